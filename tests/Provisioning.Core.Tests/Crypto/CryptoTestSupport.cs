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
    public static ExternalTool.Result Run(params string[] args) => ExternalTool.Run("openssl", args);
}
