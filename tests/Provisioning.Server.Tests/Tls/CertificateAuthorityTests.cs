using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Provisioning.Core.Crypto;
using Provisioning.Core.Tests;
using Provisioning.Server.Hosting;
using Provisioning.Server.Keys;
using Provisioning.Server.Tls;

namespace Provisioning.Server.Tests.Tls;

/// <summary>The server's private CA: what it keeps on disk, and certificates that real TLS stacks and openssl accept.</summary>
public sealed class CertificateAuthorityTests : IDisposable
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private readonly string _data = Directory.CreateTempSubdirectory("prov-ca-").FullName;
    private readonly MasterKey _masterKey;

    public CertificateAuthorityTests() => _masterKey = MasterKey.LoadOrCreate(Path.Combine(_data, "master.key"));

    private string TlsFolder => Path.Combine(_data, "tls");

    private CertificateAuthority Load(MasterKey? key = null) => CertificateAuthority.LoadOrCreate(TlsFolder, key ?? _masterKey, NullLogger.Instance);

    public void Dispose()
    {
        _masterKey.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public void FirstLoadCreatesTheCaOwnerOnlyWithItsKeySealedAndLaterLoadsKeepIt()
    {
        string fingerprint;
        using (var ca = Load())
        {
            fingerprint = ca.Fingerprint;
            Assert.Equal(CertificateFingerprint.Of(ca.Certificate), fingerprint);
            Assert.Matches("^[0-9A-F]{64}$", fingerprint);
            Assert.False(ca.Certificate.HasPrivateKey);
            var constraints = ca.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single();
            Assert.True(constraints.CertificateAuthority);
            Assert.True(constraints.Critical);
            var usage = ca.Certificate.Extensions.OfType<X509KeyUsageExtension>().Single();
            Assert.True(usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        }
        Assert.True(File.Exists(Path.Combine(TlsFolder, "ca.crt")));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", File.ReadAllText(Path.Combine(TlsFolder, "ca.crt")));
        byte[] sealedKey = File.ReadAllBytes(Path.Combine(TlsFolder, "ca.key.sealed"));
        Assert.DoesNotContain("PRIVATE KEY", Encoding.ASCII.GetString(sealedKey));
        Assert.Equal(1, sealedKey[0]); // the master key's sealed format
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(TlsFolder));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(TlsFolder, "ca.key.sealed")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(TlsFolder, "ca.crt")));
        }

        using var again = Load();
        Assert.Equal(fingerprint, again.Fingerprint);
    }

    [Fact]
    public void ACaKeySealedWithAnotherMasterKeyStopsTheStartWithWhatToRestore()
    {
        Load().Dispose();
        using var other = MasterKey.LoadOrCreate(Path.Combine(_data, "other.key"));
        var error = Assert.Throws<StartupException>(() => Load(other));
        Assert.Contains("ca.key.sealed", error.Message);
        Assert.Contains("master", error.Message);
    }

    [Fact]
    public void AStartThatStoppedBeforeTheCertificateWasWrittenMakesItFromTheKey()
    {
        Load().Dispose();
        File.Delete(Path.Combine(TlsFolder, "ca.crt"));
        using var ca = Load();
        Assert.True(File.Exists(Path.Combine(TlsFolder, "ca.crt")));
        using var issued = ca.IssueClientCertificate("after recovery", Day, out _);
        Assert.True(ChainsTo(issued, ca.Certificate, ClientAuthOid));
    }

    [Fact]
    public void ACertificateWhoseKeyIsGoneIsRefusedRatherThanReplaced()
    {
        string fingerprint;
        using (var ca = Load())
            fingerprint = ca.Fingerprint;
        File.Delete(Path.Combine(TlsFolder, "ca.key.sealed"));
        var error = Assert.Throws<StartupException>(() => Load());
        Assert.Contains("ca.key.sealed", error.Message);
        // The certificate clients trust is left as it was, for the operator to restore its key.
        Assert.Equal(fingerprint, CertificateFingerprint.Of(X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(TlsFolder, "ca.crt")))));
        Assert.False(File.Exists(Path.Combine(TlsFolder, "ca.key.sealed")));
    }

    [Fact]
    public void ServerCertificateNamesItsHostsAndAddressesAndChainsToTheCa()
    {
        using var ca = Load();
        using var server = ca.IssueServerCertificate(["prov.factory.example", "localhost"], [IPAddress.Loopback, IPAddress.IPv6Loopback], TimeSpan.FromDays(30));
        Assert.True(server.HasPrivateKey);
        var names = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["prov.factory.example", "localhost"], names.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], names.EnumerateIPAddresses());
        Assert.Equal("prov.factory.example", server.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.True(server.MatchesHostname("localhost"));
        Assert.False(server.MatchesHostname("other.example"));
        var usage = server.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal(["1.3.6.1.5.5.7.3.1"], usage.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        Assert.False(server.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(16, server.SerialNumberBytes.Length);
        Assert.InRange(server.NotAfter.ToUniversalTime(), DateTime.UtcNow.AddDays(29), DateTime.UtcNow.AddDays(31));
        Assert.True(ChainsTo(server, ca.Certificate, ServerAuthOid));
        Assert.False(ChainsTo(server, ca.Certificate, ClientAuthOid));
    }

    [Fact]
    public void AServerCertificateNeverOutlivesTheCa()
    {
        using var ca = Load();
        using var server = ca.IssueServerCertificate(["localhost"], [], TimeSpan.FromDays(365 * 50));
        Assert.Equal(ca.Certificate.NotAfter, server.NotAfter);
    }

    [Fact]
    public void ClientCertificateCarriesTheNameAndARandomSerial()
    {
        using var ca = Load();
        using var first = ca.IssueClientCertificate("line 1, station A", TimeSpan.FromDays(365), out byte[] serial1);
        using var second = ca.IssueClientCertificate("line 1, station A", TimeSpan.FromDays(365), out byte[] serial2);
        Assert.Equal("line 1, station A", first.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Equal(16, serial1.Length);
        Assert.Equal(serial1, first.SerialNumberBytes.ToArray());
        Assert.NotEqual(serial1, serial2);
        Assert.True(first.HasPrivateKey);
        Assert.True(ChainsTo(first, ca.Certificate, ClientAuthOid));
        Assert.False(ChainsTo(first, ca.Certificate, ServerAuthOid));

        // The station receives it as a password-protected PFX: the key must export.
        byte[] pfx = first.Export(X509ContentType.Pkcs12, "pfx password");
        using var loaded = X509CertificateLoader.LoadPkcs12(pfx, "pfx password");
        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(first.Thumbprint, loaded.Thumbprint);
    }

    [Fact]
    public void SignsTheKeyOfAVerifiedRequestUnderTheNameTheCaGives()
    {
        using var ca = Load();
        using var stationKey = RSA.Create(3072);
        var csr = new CertificateRequest("CN=whatever the station asked, O=Someone", stationKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        csr.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true)); // asks to be a CA: not copied
        byte[] der = csr.CreateSigningRequest();

        using var signed = ca.SignClientCertificate("line 2", der, TimeSpan.FromDays(90));
        Assert.Equal("CN=line 2", signed.Subject);
        Assert.False(signed.HasPrivateKey);
        Assert.False(signed.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(stationKey.ExportSubjectPublicKeyInfo(), signed.PublicKey.ExportSubjectPublicKeyInfo());
        using var withKey = signed.CopyWithPrivateKey(stationKey);
        Assert.True(ChainsTo(withKey, ca.Certificate, ClientAuthOid));

        string pem = PemEncoding.WriteString("CERTIFICATE REQUEST", der);
        using var fromPem = ca.SignClientCertificate("line 2", Encoding.ASCII.GetBytes(pem), TimeSpan.FromDays(90));
        Assert.Equal(signed.PublicKey.ExportSubjectPublicKeyInfo(), fromPem.PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void RefusesARequestWhoseSignatureDoesNotVerifyOrWhoseKeyIsWeak()
    {
        using var ca = Load();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] der = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        der[^3] ^= 0x01; // inside the signature
        var tampered = Assert.Throws<ArgumentException>(() => ca.SignClientCertificate("line 3", der, Day));
        Assert.Contains("PKCS#10", tampered.Message);

        Assert.Throws<ArgumentException>(() => ca.SignClientCertificate("line 3", "not a request"u8.ToArray(), Day));

        using var weak = RSA.Create(1024);
        byte[] weakCsr = new CertificateRequest("CN=x", weak, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest();
        var tooShort = Assert.Throws<ArgumentException>(() => ca.SignClientCertificate("line 3", weakCsr, Day));
        Assert.Contains("1024", tooShort.Message);

        Assert.Throws<ArgumentException>(() => ca.IssueClientCertificate("", Day, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => ca.IssueClientCertificate("line 3", TimeSpan.Zero, out _));
    }

    [Fact]
    public async Task ATlsClientTrustingOnlyTheCaCompletesAHandshakeAndFindsTheCaInTheCertificate()
    {
        using var ca = Load();
        using var server = ca.IssueServerCertificate(["localhost"], [IPAddress.Loopback], Day);
        var handshake = await LoopbackTls.RunAsync(SslStreamCertificateContext.Create(server, [ca.Certificate], offline: true), ca.Certificate);
        Assert.Equal(SslPolicyErrors.None, handshake.Errors);
        Assert.Equal(SslProtocols.Tls13, handshake.Protocol);
        // TLS here does not send the self-signed CA; the certificate carries it, under the CA's signature.
        using var carried = IssuingCaExtension.Read(handshake.Remote);
        Assert.NotNull(carried);
        Assert.Equal(ca.Fingerprint, CertificateFingerprint.Of(carried));
        Assert.Null(IssuingCaExtension.Read(ca.IssueClientCertificate("no CA inside", Day, out _)));
    }

    [ToolFact("openssl")]
    public void OpenSslVerifiesTheCertificatesAndSignsTheKeyOfItsOwnRequest()
    {
        using var ca = Load();
        string caFile = Path.Combine(TlsFolder, "ca.crt");
        Assert.Equal(ca.Fingerprint, OpenSslFingerprint(caFile));

        using var server = ca.IssueServerCertificate(["prov.factory.example"], [IPAddress.Parse("10.1.2.3")], Day);
        string serverFile = WritePem("server.pem", server);
        var verified = ExternalTool.Run("openssl", "verify", "-CAfile", caFile, "-purpose", "sslserver", serverFile);
        Assert.True(verified.ExitCode == 0, verified.Stdout + verified.Stderr);
        var text = ExternalTool.Run("openssl", "x509", "-in", serverFile, "-noout", "-ext", "subjectAltName,extendedKeyUsage");
        Assert.Contains("DNS:prov.factory.example", text.Stdout);
        Assert.Contains("IP Address:10.1.2.3", text.Stdout);
        Assert.Contains("TLS Web Server Authentication", text.Stdout);

        string keyFile = Path.Combine(_data, "station.key"), csrFile = Path.Combine(_data, "station.csr");
        var made = ExternalTool.Run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", keyFile, "-out", csrFile, "-subj", "/CN=asked");
        Assert.True(made.ExitCode == 0, made.Stderr);
        using var station = ca.SignClientCertificate("line 4", File.ReadAllBytes(csrFile), TimeSpan.FromDays(30));
        string stationFile = WritePem("station.pem", station);
        var client = ExternalTool.Run("openssl", "verify", "-CAfile", caFile, "-purpose", "sslclient", stationFile);
        Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        Assert.NotEqual(0, ExternalTool.Run("openssl", "verify", "-CAfile", caFile, "-purpose", "sslserver", stationFile).ExitCode);
        var samePublicKey = ExternalTool.Run("openssl", "pkey", "-in", keyFile, "-pubout");
        Assert.Equal(samePublicKey.Stdout.Trim(), PemEncoding.WriteString("PUBLIC KEY", station.PublicKey.ExportSubjectPublicKeyInfo()).Trim());
    }

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1", ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 root, string usage)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usage));
        return chain.Build(leaf);
    }

    private string WritePem(string name, X509Certificate2 certificate)
    {
        string path = Path.Combine(_data, name);
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }

    private static string OpenSslFingerprint(string file)
    {
        var result = ExternalTool.Run("openssl", "x509", "-in", file, "-noout", "-fingerprint", "-sha256");
        Assert.Equal(0, result.ExitCode);
        return CertificateFingerprint.Normalize(result.Stdout.Trim());
    }
}
