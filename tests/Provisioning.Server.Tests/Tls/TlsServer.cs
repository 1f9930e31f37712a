using Microsoft.AspNetCore.Builder;
using Provisioning.Core.Tests;
using Provisioning.Server.Hosting;
using Provisioning.Server.Tests.Api;

namespace Provisioning.Server.Tests.Tls;

/// <summary>A real server serving HTTPS on a loopback port (Kestrel in this process), with its own data folder.</summary>
internal sealed class TlsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsServer(WebApplication app, string dataPath, int port)
    {
        _app = app;
        DataPath = dataPath;
        Port = port;
    }

    public IServiceProvider Services => _app.Services;
    public string DataPath { get; }
    public int Port { get; }
    public Uri Https => new($"https://127.0.0.1:{Port}/");
    public string CaCertificatePath => Path.Combine(DataPath, "tls", "ca.crt");

    /// <summary>Builds and starts the server; a start that fails throws what <see cref="ProvisioningServer"/> throws.</summary>
    public static async Task<TlsServer> StartAsync(string dataPath, params string[] extra)
    {
        int port = ServerUnderTest.FreePort();
        var args = new List<string>
        {
            "--urls", $"https://127.0.0.1:{port}",
            $"--Provisioning:DataPath={dataPath}",
            "--Provisioning:ConsoleLog=false",
            "--Provisioning:Tls=true",
        };
        args.AddRange(extra);
        var app = ProvisioningServer.Build(args.ToArray());
        try
        {
            await ProvisioningServer.PrepareAsync(app);
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new TlsServer(app, dataPath, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A CA and a server certificate for localhost and 127.0.0.1 made with the openssl command line, as PFX and as PEM.</summary>
internal sealed class OpenSslServerCertificate
{
    public const string Password = "operator pfx password";

    public OpenSslServerCertificate(string folder, string commonName = "localhost", string names = "DNS:localhost,IP:127.0.0.1")
    {
        Directory.CreateDirectory(folder);
        CaPath = Path.Combine(folder, "operator-ca.crt");
        string caKey = Path.Combine(folder, "operator-ca.key"), key = Path.Combine(folder, "server.key"), csr = Path.Combine(folder, "server.csr");
        CertificatePath = Path.Combine(folder, "server.crt");
        EncryptedKeyPath = Path.Combine(folder, "server.enc.key");
        PfxPath = Path.Combine(folder, "server.pfx");
        ChainPemPath = Path.Combine(folder, "server-chain.pem");
        Run("req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", caKey, "-out", CaPath, "-days", "30", "-subj", "/CN=Operator Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        Run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", $"/CN={commonName}");
        string extensions = Path.Combine(folder, "server.ext");
        File.WriteAllText(extensions, $"subjectAltName={names}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
        Run("x509", "-req", "-in", csr, "-CA", CaPath, "-CAkey", caKey, "-CAcreateserial", "-out", CertificatePath, "-days", "10", "-extfile", extensions);
        Run("pkcs12", "-export", "-in", CertificatePath, "-inkey", key, "-certfile", CaPath, "-out", PfxPath, "-passout", $"pass:{Password}");
        Run("pkcs8", "-topk8", "-in", key, "-out", EncryptedKeyPath, "-passout", $"pass:{Password}");
        File.WriteAllText(ChainPemPath, File.ReadAllText(CertificatePath) + File.ReadAllText(CaPath) + File.ReadAllText(key));
    }

    public string CaPath { get; }
    public string CertificatePath { get; }
    public string EncryptedKeyPath { get; }
    public string PfxPath { get; }
    public string ChainPemPath { get; }

    private static void Run(params string[] args)
    {
        var result = ExternalTool.Run("openssl", args);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"openssl {args[0]} failed: {result.Stderr}");
    }
}
