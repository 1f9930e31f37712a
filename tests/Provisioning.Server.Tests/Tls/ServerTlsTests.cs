using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;
using Provisioning.Core.Tests;
using Provisioning.Server.Hosting;
using Provisioning.Server.Tests.Api;

namespace Provisioning.Server.Tests.Tls;

/// <summary>The server over HTTPS and the client's trust in it: real Kestrel TLS on loopback, real certificates.</summary>
public sealed class ServerTlsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("prov-tls-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private string Data(string name) => Path.Combine(_root, name);

    private static ServerTrust CaTrust(string caFile) => ServerTrust.Create(CertificateFile.LoadCaCertificates(caFile), null);

    [Fact]
    public async Task AClientTrustingTheServersCaConnectsAndSeesBothFingerprints()
    {
        await using var server = await TlsServer.StartAsync(Data("ca"));
        using var client = new ProvServerClient(server.Https, null, CaTrust(server.CaCertificatePath));
        var health = await client.GetHealthAsync();
        Assert.Equal(Environment.ProcessId, health.ProcessId);

        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(server.CaCertificatePath));
        var shown = client.ServerCertificate;
        Assert.NotNull(shown);
        Assert.Equal(CertificateFingerprint.Of(ca), shown.CaFingerprint);
        Assert.Contains("127.0.0.1", shown.Names);
        Assert.Contains("localhost", shown.Names);
        Assert.Contains(shown.Fingerprint, File.ReadAllText(Path.Combine(server.DataPath, "logs", "server.log")));
        Assert.Contains(shown.CaFingerprint!, File.ReadAllText(Path.Combine(server.DataPath, "logs", "server.log")));
    }

    [Fact]
    public async Task WithoutTrustTheCertificateIsRefusedWithTheFingerprintsToCheck()
    {
        await using var server = await TlsServer.StartAsync(Data("none"));
        using var client = new ProvServerClient(server.Https, null);
        var refused = await Assert.ThrowsAsync<ProvServerException>(() => client.GetHealthAsync());
        Assert.Equal("CertificateNotTrusted", refused.ErrorId);
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(server.CaCertificatePath));
        Assert.Contains(CertificateFingerprint.Of(ca), refused.Message);
        Assert.Contains("-CertificateThumbprint", refused.Message);
        Assert.Contains("-CaCertificatePath", refused.Message);
    }

    [Fact]
    public async Task APinOnTheCaOrOnTheServerCertificateIsAcceptedAndAWrongPinIsNot()
    {
        await using var server = await TlsServer.StartAsync(Data("pin"));
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(server.CaCertificatePath));
        // As openssl prints it: lower case with colons.
        string caPin = string.Join(":", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(ca.RawData)).Chunk(2).Select(c => new string(c)));
        using (var byCa = new ProvServerClient(server.Https, null, ServerTrust.Create(null, [caPin])))
            Assert.Equal("ok", (await byCa.GetHealthAsync()).Status);

        string leafPin;
        using (var first = new ProvServerClient(server.Https, null, CaTrust(server.CaCertificatePath)))
        {
            await first.GetHealthAsync();
            leafPin = first.ServerCertificate!.Fingerprint;
        }
        using (var byLeaf = new ProvServerClient(server.Https, null, ServerTrust.Create(null, [leafPin])))
            Assert.Equal("ok", (await byLeaf.GetHealthAsync()).Status);

        string wrong = new('0', 64);
        using var byWrong = new ProvServerClient(server.Https, null, ServerTrust.Create(null, [wrong]));
        var refused = await Assert.ThrowsAsync<ProvServerException>(() => byWrong.GetHealthAsync());
        Assert.Contains("matches no pinned fingerprint", refused.Message);
        Assert.Contains(leafPin, refused.Message);
        Assert.Contains(CertificateFingerprint.Of(ca), refused.Message);
    }

    [Fact]
    public async Task AnotherServersCaIsNotTrusted()
    {
        await using var server = await TlsServer.StartAsync(Data("one"));
        await using var other = await TlsServer.StartAsync(Data("two"));
        using var client = new ProvServerClient(server.Https, null, CaTrust(other.CaCertificatePath));
        var refused = await Assert.ThrowsAsync<ProvServerException>(() => client.GetHealthAsync());
        Assert.Equal("CertificateNotTrusted", refused.ErrorId);
        Assert.Contains("does not accept", refused.Message);
    }

    [Fact]
    public async Task TheCaAndTheServerCertificateNamesSurviveARestartOfTheSameDataFolder()
    {
        string data = Data("restart");
        string fingerprint;
        await using (var first = await TlsServer.StartAsync(data, "--Provisioning:HostNames:0=prov1.factory.example", "--Provisioning:IpAddresses:0=10.20.30.40"))
        {
            using var client = new ProvServerClient(first.Https, null, CaTrust(first.CaCertificatePath));
            await client.GetHealthAsync();
            Assert.Contains("prov1.factory.example", client.ServerCertificate!.Names);
            Assert.Contains("10.20.30.40", client.ServerCertificate.Names);
            fingerprint = client.ServerCertificate.CaFingerprint!;
        }
        await using var second = await TlsServer.StartAsync(data);
        using var again = new ProvServerClient(second.Https, null, ServerTrust.Create(null, [fingerprint]));
        Assert.Equal("ok", (await again.GetHealthAsync()).Status);
    }

    [Fact]
    public async Task PlainHttpToTheTlsPortIsToldToUseHttps()
    {
        await using var server = await TlsServer.StartAsync(Data("plain"));
        using var client = new ProvServerClient(new Uri($"http://127.0.0.1:{server.Port}/"), null);
        var refused = await Assert.ThrowsAsync<ProvServerException>(() => client.GetHealthAsync());
        Assert.Equal(ProvServerException.HttpsRequiredId, refused.ErrorId);
        Assert.Contains($"speaks HTTPS: use https://127.0.0.1:{server.Port}", refused.Message);
    }

    [Fact]
    public async Task HttpsToAPlainPortIsToldToUseHttp()
    {
        await using var plain = await ServerUnderTest.StartAsync();
        using var client = new ProvServerClient(new Uri($"https://127.0.0.1:{plain.BaseUri.Port}/"), null, ServerTrust.Create(null, [new string('A', 64)]));
        var refused = await Assert.ThrowsAsync<ProvServerException>(() => client.GetHealthAsync());
        Assert.Equal("ServerSpeaksHttp", refused.ErrorId);
        Assert.Contains($"use http://127.0.0.1:{plain.BaseUri.Port}", refused.Message);
    }

    [Fact]
    public async Task AClientCertificateIsAcceptedAtTheTlsLayer()
    {
        await using var server = await TlsServer.StartAsync(Data("client-cert"));
        using var master = Keys.MasterKey.LoadOrCreate(Path.Combine(server.DataPath, "master.key"));
        using var ca = Server.Tls.CertificateAuthority.LoadOrCreate(Path.Combine(server.DataPath, "tls"), master, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        using var station = ca.IssueClientCertificate("line 1", TimeSpan.FromDays(1), out _);
        using var client = new ProvServerClient(server.Https, null, CaTrust(server.CaCertificatePath).WithClientCertificate(station));
        Assert.Equal("ok", (await client.GetHealthAsync()).Status);
        Assert.Same(station, client.Trust.ClientCertificate);
    }

    [Fact]
    public async Task TheCertificateHandlerTrustsTheServersCaAsItsOnlyRoot()
    {
        await using var server = await TlsServer.StartAsync(Data("handler"));
        var options = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.Certificate.CertificateAuthenticationOptions>>(server.Services)
            .Get(Server.Auth.AuthSchemes.Certificate);
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(server.CaCertificatePath));
        Assert.Equal(X509ChainTrustMode.CustomRootTrust, options.ChainTrustValidationMode);
        Assert.Equal([ca.Thumbprint], options.CustomTrustStore.Select(c => c.Thumbprint));
        Assert.Equal(X509RevocationMode.NoCheck, options.RevocationMode);
    }

    [ToolFact("openssl")]
    public async Task AnOperatorPfxMadeByOpensslIsServedAndItsCaTrusted()
    {
        var made = new OpenSslServerCertificate(Data("openssl-pfx"));
        await using var server = await TlsServer.StartAsync(Data("pfx"), $"--Provisioning:CertificatePath={made.PfxPath}",
            $"--Provisioning:CertificatePassword={OpenSslServerCertificate.Password}");
        using var client = new ProvServerClient(server.Https, null, CaTrust(made.CaPath));
        Assert.Equal("ok", (await client.GetHealthAsync()).Status);
        using var leaf = X509Certificate2.CreateFromPem(File.ReadAllText(made.CertificatePath));
        Assert.Equal(CertificateFingerprint.Of(leaf), client.ServerCertificate!.Fingerprint);
        // The operator's certificate replaces the server's own: none is issued, but the CA exists for station certificates.
        Assert.Contains("operator certificate", File.ReadAllText(Path.Combine(server.DataPath, "logs", "server.log")));

        // Pinned by the fingerprint openssl prints.
        var printed = ExternalTool.Run("openssl", "x509", "-in", made.CertificatePath, "-noout", "-fingerprint", "-sha256").Stdout.Trim();
        using var pinned = new ProvServerClient(server.Https, null, ServerTrust.Create(null, [printed]));
        Assert.Equal("ok", (await pinned.GetHealthAsync()).Status);
    }

    [ToolFact("openssl")]
    public async Task AnOperatorPemWithItsChainAndAnEncryptedKeyIsServed()
    {
        var made = new OpenSslServerCertificate(Data("openssl-pem"));
        await using (var inOne = await TlsServer.StartAsync(Data("pem-one"), $"--Provisioning:CertificatePath={made.ChainPemPath}"))
        {
            using var client = new ProvServerClient(inOne.Https, null, CaTrust(made.CaPath));
            Assert.Equal("ok", (await client.GetHealthAsync()).Status);
        }
        await using var separate = await TlsServer.StartAsync(Data("pem-two"), $"--Provisioning:CertificatePath={made.CertificatePath}",
            $"--Provisioning:CertificateKeyPath={made.EncryptedKeyPath}", $"--Provisioning:CertificatePassword={OpenSslServerCertificate.Password}");
        using var second = new ProvServerClient(separate.Https, null, CaTrust(made.CaPath));
        Assert.Equal("ok", (await second.GetHealthAsync()).Status);
    }

    [ToolFact("openssl")]
    public async Task ACertificateForOtherNamesIsRefusedNamingTheNamesItHas()
    {
        var made = new OpenSslServerCertificate(Data("openssl-names"), "prov1.factory.example", "DNS:prov1.factory.example");
        await using var server = await TlsServer.StartAsync(Data("names"), $"--Provisioning:CertificatePath={made.PfxPath}",
            $"--Provisioning:CertificatePassword={OpenSslServerCertificate.Password}");
        using var client = new ProvServerClient(server.Https, null, CaTrust(made.CaPath));
        var refused = await Assert.ThrowsAsync<ProvServerException>(() => client.GetHealthAsync());
        Assert.Contains("not valid for the name '127.0.0.1'", refused.Message);
        Assert.Contains("prov1.factory.example", refused.Message);
    }

    [Fact]
    public async Task WithoutAnAddressATlsServerListensOnTheGuidesPortOverHttpsAndAnHttpsAddressOrClientCertificatesNeedTls()
    {
        await using var app = ProvisioningServer.Build([$"--Provisioning:DataPath={Data("default-url")}", "--Provisioning:Tls=true", "--Provisioning:ConsoleLog=false"]);
        Assert.Equal($"https://127.0.0.1:{ProvisioningServer.DefaultPort}", app.Configuration["urls"]);

        var off = Assert.Throws<StartupException>(() => ProvisioningServer.Build(["--urls", "https://127.0.0.1:1", $"--Provisioning:DataPath={Data("no-tls")}"]));
        Assert.Contains("TLS is off", off.Message);
        Assert.Contains("-Tls", off.Message);

        var certificatesOverHttp = Assert.Throws<StartupException>(() => ProvisioningServer.Build(["--urls", "http://127.0.0.1:1",
            $"--Provisioning:DataPath={Data("certificates-no-tls")}", "--Provisioning:RequireClientCertificate=true"]));
        Assert.Contains("RequireClientCertificate", certificatesOverHttp.Message);
        Assert.Contains("-Tls", certificatesOverHttp.Message);
    }

    [Fact]
    public async Task AnExpiredOperatorCertificateIsRefusedSayingWhenItEnded()
    {
        using var caKey = System.Security.Cryptography.ECDsa.Create();
        var caRequest = new CertificateRequest("CN=Old CA", caKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(30));
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var expired = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-20), DateTimeOffset.UtcNow.AddDays(-10), [1, 2, 3, 4]);
        using var withKey = expired.CopyWithPrivateKey(key);
        string pfx = Data("expired.pfx");
        File.WriteAllBytes(pfx, withKey.Export(X509ContentType.Pkcs12, "pw"));

        await using var server = await TlsServer.StartAsync(Data("expired"), $"--Provisioning:CertificatePath={pfx}", "--Provisioning:CertificatePassword=pw");
        Assert.Contains("expires on", File.ReadAllText(Path.Combine(server.DataPath, "logs", "server.log")));
        using var client = new ProvServerClient(server.Https, null, ServerTrust.Create([ca], null));
        var refused = await Assert.ThrowsAsync<ProvServerException>(() => client.GetHealthAsync());
        Assert.Contains("not valid now", refused.Message);
        Assert.Contains($"valid until {expired.NotAfter.ToUniversalTime():yyyy-MM-dd}", refused.Message);
    }

    [Fact]
    public async Task ACaKeyTheMasterKeyCannotOpenStopsTheStartSayingWhatToRestore()
    {
        string data = Data("foreign-key");
        await (await TlsServer.StartAsync(data)).DisposeAsync();
        File.Delete(Path.Combine(data, "master.key"));
        var refused = await Assert.ThrowsAsync<StartupException>(() => TlsServer.StartAsync(data));
        Assert.Contains("ca.key.sealed", refused.Message);
        Assert.Contains("master", refused.Message);
    }

    [ToolFact("openssl")]
    public async Task AWrongPasswordOrAMissingKeyStopsTheStartWithTheReason()
    {
        var made = new OpenSslServerCertificate(Data("openssl-bad"));
        var wrong = await Assert.ThrowsAsync<StartupException>(() => TlsServer.StartAsync(Data("bad-pass"),
            $"--Provisioning:CertificatePath={made.PfxPath}", "--Provisioning:CertificatePassword=not the password"));
        Assert.Contains("password is wrong", wrong.Message);
        Assert.DoesNotContain("not the password", wrong.Message);

        var noKey = await Assert.ThrowsAsync<StartupException>(() => TlsServer.StartAsync(Data("no-key"), $"--Provisioning:CertificatePath={made.CertificatePath}"));
        Assert.Contains("No private key", noKey.Message);
        Assert.Contains("CertificateKeyPath", noKey.Message);

        var missing = await Assert.ThrowsAsync<StartupException>(() => TlsServer.StartAsync(Data("missing"), $"--Provisioning:CertificatePath={Data("nothing.pfx")}"));
        Assert.Contains("does not exist", missing.Message);
    }
}
