using Provisioning.Core.Client;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Tests.Client;

public class ServerLaunchTlsTests
{
    private static ServerLaunch Launch(char[]? password = null) => new()
    {
        ServerAssembly = "/opt/prov/server/Provisioning.Server.dll",
        DotnetHost = "/usr/bin/dotnet",
        Port = 18443,
        ListenAddress = "0.0.0.0",
        DataPath = "/var/lib/prov",
        Tls = true,
        HostNames = ["prov1.factory.example", "prov1"],
        IpAddresses = ["10.0.0.5"],
        CertificatePath = "/etc/prov/server.pfx",
        CertificatePassword = password,
    };

    [Fact]
    public void A_tls_server_listens_on_https_and_gets_its_names_and_certificate_but_never_its_password_on_the_command_line()
    {
        var info = Launch("pfx secret".ToCharArray()).StartInfo();
        var args = info.ArgumentList.ToList();
        Assert.Contains("https://0.0.0.0:18443", args);
        Assert.Contains("--Provisioning:Tls=true", args);
        Assert.Contains("--Provisioning:HostNames:0=prov1.factory.example", args);
        Assert.Contains("--Provisioning:HostNames:1=prov1", args);
        Assert.Contains("--Provisioning:IpAddresses:0=10.0.0.5", args);
        Assert.Contains($"--Provisioning:CertificatePath={Path.GetFullPath("/etc/prov/server.pfx")}", args);
        Assert.DoesNotContain(args, a => a.Contains("pfx secret"));
        Assert.Equal("pfx secret", info.Environment[ServerLaunch.CertificatePasswordVariable]);
        Assert.Equal(new Uri("https://127.0.0.1:18443/"), Launch().ClientAddress);
    }

    [Fact]
    public void A_password_this_process_inherited_is_not_passed_on()
    {
        Environment.SetEnvironmentVariable(ServerLaunch.CertificatePasswordVariable, "inherited");
        try { Assert.False(Launch().StartInfo().Environment.ContainsKey(ServerLaunch.CertificatePasswordVariable)); }
        finally { Environment.SetEnvironmentVariable(ServerLaunch.CertificatePasswordVariable, null); }
    }

    [Fact]
    public void The_trust_in_a_server_of_its_own_ca_waits_for_the_ca_file()
    {
        string data = Directory.CreateTempSubdirectory("prov-launch-").FullName;
        try
        {
            var launch = new ServerLaunch { ServerAssembly = "x.dll", DotnetHost = "dotnet", DataPath = data, Tls = true };
            Assert.Null(launch.ClientTrust());
            Directory.CreateDirectory(Path.Combine(data, "tls"));
            using var key = System.Security.Cryptography.ECDsa.Create();
            using var ca = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=t", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
                .CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllText(launch.CaCertificatePath, ca.ExportCertificatePem());
            var trust = launch.ClientTrust();
            Assert.NotNull(trust);
            Assert.Equal(ca.Thumbprint, Assert.Single(trust.CaCertificates).Thumbprint);
            Assert.Same(ServerTrust.System, new ServerLaunch { ServerAssembly = "x.dll", DotnetHost = "dotnet", DataPath = data }.ClientTrust());
        }
        finally { Directory.Delete(data, recursive: true); }
    }

    [Theory]
    [InlineData("sha256 Fingerprint=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89")]
    [InlineData("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    [InlineData("ab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67 89")]
    public void A_fingerprint_is_taken_as_openssl_prints_it_or_as_typed(string text) =>
        Assert.Equal("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", CertificateFingerprint.Normalize(text));

    [Fact]
    public void A_sha1_thumbprint_is_refused_saying_what_a_fingerprint_is()
    {
        var e = Assert.Throws<ArgumentException>(() => CertificateFingerprint.Normalize("0123456789ABCDEF0123456789ABCDEF01234567"));
        Assert.Contains("64 hex digits", e.Message);
    }
}
