using System.Diagnostics;
using System.Security.Cryptography;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Tests.Crypto;

/// <summary>A fresh folder, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("prov-crypto-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>One KMS key pair per test class: RSA key generation is the slow part.</summary>
public sealed class KmsKeyFixture : IDisposable
{
    private readonly TempDirectory _dir = new();

    public KmsKeyFixture()
    {
        Files = KmsKeyPair.Create(_dir.Path, passphrase: "");
        PrivateKey = KmsKeyPair.LoadPrivateKey(Files.PrivateKeyPath, "");
        PublicKey = KmsKeyPair.LoadPublicKey(Files.PublicKeyPath);
    }

    public KmsKeyPairFiles Files { get; }
    public RSA PrivateKey { get; }
    public RSA PublicKey { get; }

    public void Dispose()
    {
        PrivateKey.Dispose();
        PublicKey.Dispose();
        _dir.Dispose();
    }
}

/// <summary>The openssl command line, to check that other tools read what we write.</summary>
internal static class OpenSsl
{
    public sealed record Result(int ExitCode, string Stdout, byte[] StdoutBytes, string Stderr);

    public static Result Run(params string[] args)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("These interoperability tests need 'openssl' on PATH.", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            using var stdout = new MemoryStream();
            process.StandardOutput.BaseStream.CopyTo(stdout);
            process.WaitForExit();
            byte[] bytes = stdout.ToArray();
            return new Result(process.ExitCode, System.Text.Encoding.UTF8.GetString(bytes), bytes, stderr.Result);
        }
    }
}
