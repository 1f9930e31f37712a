using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Core.Api;
using Provisioning.Core.Crypto;
using Provisioning.Server.Store;
using Provisioning.Server.Tests.Api;
using Provisioning.Server.Tls;

namespace Provisioning.Server.Tests.Auth;

/// <summary>Station client certificates through /api/v1/certificates: issue from a request, list, revoke, audit.</summary>
public sealed class StationCertificateTests
{
    private static async Task<ServerUnderTest> Start(string engine, params string[] extra) =>
        await ServerUnderTest.StartAsync(await Engines.FreshDatabaseAsync(engine), extra: extra);

    /// <summary>A key pair and its PKCS#10 request, as a station makes them.</summary>
    internal static (ECDsa Key, string Csr) NewRequest(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name);
        return (key, new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256).CreateSigningRequestPem());
    }

    /// <summary>Issues a certificate through the API and returns it with its key.</summary>
    internal static async Task<(X509Certificate2 Certificate, IssuedStationCertificate Issued)> IssueAsync(HttpClient admin, string name, int? days = null)
    {
        var (key, csr) = NewRequest(name);
        using (key)
        {
            var response = await admin.PostAsJsonAsync(ApiRoutes.Certificates, new CertificateSigningRequest(name, csr, days), ApiJson.Options);
            Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            var issued = await ServerApiTests.Json<IssuedStationCertificate>(response);
            using var certificate = X509Certificate2.CreateFromPem(issued.Certificate);
            using var withKey = certificate.CopyWithPrivateKey(key);
            return (X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, "t"), "t"), issued);
        }
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task An_admin_issues_lists_and_revokes_and_each_step_is_audited(string engine)
    {
        await using var server = await Start(engine);
        var (certificate, issued) = await IssueAsync(server.Admin, "line 1", days: 30);
        using (certificate)
        {
            var ca = server.Services.GetRequiredService<CertificateAuthority>();
            using var caFromAnswer = X509Certificate2.CreateFromPem(issued.CaCertificate);
            Assert.Equal(ca.Fingerprint, CertificateFingerprint.Of(caFromAnswer));
            Assert.True(StationCertificateFile.IsIssuedBy(certificate, caFromAnswer, out string problem), problem);
            Assert.Equal("line 1", certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
            Assert.Contains(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.2");
            Assert.Equal(CertificateFingerprint.Of(certificate), issued.Info.Thumbprint);
            Assert.Equal(certificate.SerialNumber, issued.Info.Serial);
            Assert.InRange((issued.Info.NotAfter - DateTimeOffset.UtcNow).TotalDays, 29.9, 30.1);
            Assert.Equal("admin (created on first start)", issued.Info.IssuedBy);
            Assert.Null(issued.Info.Revoked);

            var listed = await ServerApiTests.Json<List<StationCertificateInfo>>(await server.Admin.GetAsync(ApiRoutes.Certificates));
            Assert.Equal(issued.Info, Assert.Single(listed));
            // Nothing of a key travels in either answer.
            Assert.DoesNotContain("PRIVATE KEY", issued.Certificate + issued.CaCertificate);

            var revoke = await server.Admin.DeleteAsync($"{ApiRoutes.Certificates}/{issued.Info.Id}");
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
            var revoked = await ServerApiTests.Json<StationCertificateInfo>(revoke);
            Assert.NotNull(revoked.Revoked);
            Assert.Equal("admin (created on first start)", revoked.RevokedBy);
            // Revoking again keeps the first revocation.
            var again = await ServerApiTests.Json<StationCertificateInfo>(await server.Admin.DeleteAsync($"{ApiRoutes.Certificates}/{issued.Info.Id}"));
            Assert.Equal(revoked.Revoked, again.Revoked);
            var missing = await server.Admin.DeleteAsync($"{ApiRoutes.Certificates}/{issued.Info.Id + 100}");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("CertificateNotFound", (await ServerApiTests.Json<ApiProblem>(missing)).ErrorId);

            var store = server.Services.GetRequiredService<IProvStore>();
            var audit = await store.ReadAuditAsync(new AuditQuery(Action: "certificate.*"));
            Assert.Equal(new[] { "certificate.revoke", "certificate.revoke", "certificate.issue" }, audit.Select(a => a.Action));
            var entry = audit[^1];
            Assert.Equal($"certificate {issued.Info.Id} (line 1)", entry.Target);
            Assert.Equal("admin (created on first start)", entry.ActorName);
            Assert.Equal("127.0.0.1", entry.Address);
            Assert.Contains(issued.Info.Thumbprint, entry.Detail);
            Assert.True(entry.Succeeded);
        }
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_the_reason_and_nothing_is_recorded()
    {
        await using var server = await Start("sqlite");
        var (key, csr) = NewRequest("line 1");
        using (key)
        {
            using var weak = RSA.Create(1024);
            var weakCsr = new CertificateRequest("CN=weak", weak, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();
            // A request whose signature does not match its content: the sender does not prove it holds the key.
            string tampered = csr.Replace(csr.Split('\n')[3], new string('A', csr.Split('\n')[3].Length));
            foreach (var (body, expected) in new (CertificateSigningRequest, string)[]
                     {
                         (new("", csr), "name"),
                         (new(new string('x', 65), csr), "name"),
                         (new("line 1", "not a request"), "PKCS#10"),
                         (new("line 1", tampered), "PKCS#10"),
                         (new("line 1", weakCsr), "1024 bits"),
                         (new("line 1", csr, 0), "validDays"),
                         (new("line 1", csr, 3651), "validDays"),
                     })
            {
                var response = await server.Admin.PostAsJsonAsync(ApiRoutes.Certificates, body, ApiJson.Options);
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                var problem = await ServerApiTests.Json<ApiProblem>(response);
                Assert.Equal("BadCertificateRequest", problem.ErrorId);
                Assert.Contains(expected, problem.Detail);
            }
        }
        Assert.Empty(await ServerApiTests.Json<List<StationCertificateInfo>>(await server.Admin.GetAsync(ApiRoutes.Certificates)));
    }

    [Fact]
    public async Task Only_admins_manage_certificates()
    {
        await using var server = await Start("sqlite");
        var tokenResponse = await server.Admin.PostAsJsonAsync(ApiRoutes.Tokens, new TokenRequest("line 1", TokenRoles.Station), ApiJson.Options);
        using var station = server.Client((await ServerApiTests.Json<NewToken>(tokenResponse)).Token);
        var (key, csr) = NewRequest("line 1");
        using (key)
        {
            foreach (var client in new[] { station, server.Anonymous })
            {
                var expected = client == station ? HttpStatusCode.Forbidden : HttpStatusCode.Unauthorized;
                Assert.Equal(expected, (await client.PostAsJsonAsync(ApiRoutes.Certificates, new CertificateSigningRequest("line 1", csr), ApiJson.Options)).StatusCode);
                Assert.Equal(expected, (await client.GetAsync(ApiRoutes.Certificates)).StatusCode);
                Assert.Equal(expected, (await client.DeleteAsync(ApiRoutes.Certificates + "/1")).StatusCode);
            }
        }
    }
}
