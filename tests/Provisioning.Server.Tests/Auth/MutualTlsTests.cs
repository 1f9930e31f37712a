using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Provisioning.Core.Api;
using Provisioning.Core.Crypto;
using Provisioning.Server.Keys;
using Provisioning.Server.Store;
using Provisioning.Server.Tests.Api;
using Provisioning.Server.Tls;

namespace Provisioning.Server.Tests.Auth;

/// <summary>
/// Stations over mutual TLS on a real HTTPS server: a certificate of this server's CA that the database knows is a
/// station; every other certificate is refused with its problem named, at once after a revocation.
/// </summary>
public sealed class MutualTlsTests : IAsyncDisposable
{
    private readonly List<IDisposable> _owned = [];

    public ValueTask DisposeAsync()
    {
        foreach (var item in _owned)
            item.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed record TlsServer(ServerUnderTest Server, Uri Uri, X509Certificate2 Ca) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }

    private async Task<TlsServer> StartTls(string engine, bool requireClientCertificate)
    {
        int port = ServerUnderTest.FreePort();
        var extra = new List<string> { "--urls", $"https://127.0.0.1:{port}", "--Provisioning:Tls=true" };
        if (requireClientCertificate)
            extra.Add("--Provisioning:RequireClientCertificate=true");
        var server = await ServerUnderTest.StartAsync(await Engines.FreshDatabaseAsync(engine), extra: extra.ToArray());
        var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(server.DataPath, "tls", "ca.crt")));
        _owned.Add(ca);
        return new TlsServer(server, new Uri($"https://127.0.0.1:{port}"), ca);
    }

    /// <summary>A client that trusts the server's CA only, presenting <paramref name="certificate"/> and/or sending <paramref name="token"/>.</summary>
    private HttpClient Client(TlsServer server, X509Certificate2? certificate, string? token = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, errors) =>
        {
            if (presented is null || (errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(server.Ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(X509CertificateLoader.LoadCertificate(presented.GetRawCertData()));
        };
        if (certificate is not null)
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { certificate };
        var client = new HttpClient(handler) { BaseAddress = server.Uri, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _owned.Add(client);
        return client;
    }

    private async Task<X509Certificate2> Issue(TlsServer server, string name)
    {
        var (certificate, _) = await StationCertificateTests.IssueAsync(Client(server, null, server.Server.AdminToken), name);
        _owned.Add(certificate);
        return certificate;
    }

    /// <summary>A certificate of <paramref name="ca"/> for a fresh key, with the key; recorded in the server's database when <paramref name="record"/>.</summary>
    private async Task<X509Certificate2> SignDirectly(TlsServer server, CertificateAuthority ca, string name, TimeSpan validity, bool record)
    {
        var (key, csr) = StationCertificateTests.NewRequest(name);
        using (key)
        {
            using var signed = ca.SignClientCertificate(name, System.Text.Encoding.ASCII.GetBytes(csr), validity);
            if (record)
                await server.Server.Services.GetRequiredService<IProvStore>().AddStationCertificateAsync(new NewStationCertificate(name, signed.SerialNumber,
                    CertificateFingerprint.Of(signed), signed.NotBefore.ToUniversalTime(), signed.NotAfter.ToUniversalTime(), DateTimeOffset.UtcNow, "test"));
            using var withKey = signed.CopyWithPrivateKey(key);
            var loaded = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, "t"), "t");
            _owned.Add(loaded);
            return loaded;
        }
    }

    private static async Task<ApiProblem> Refused(HttpResponseMessage response, HttpStatusCode status, string errorId)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        var problem = System.Text.Json.JsonSerializer.Deserialize<ApiProblem>(body, ApiJson.Options)!;
        Assert.Equal(errorId, problem.ErrorId);
        return problem;
    }

    private async Task<string> StationToken(TlsServer server)
    {
        var response = await Client(server, null, server.Server.AdminToken).PostAsJsonAsync(ApiRoutes.Tokens, new TokenRequest("line 1 token", TokenRoles.Station), ApiJson.Options);
        return (await ServerApiTests.Json<NewToken>(response)).Token;
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task A_station_certificate_is_a_station_until_it_is_revoked_which_holds_from_the_next_request(string engine)
    {
        await using var server = await StartTls(engine, requireClientCertificate: true);
        var station = Client(server, await Issue(server, "line 1"));

        var identity = await ServerApiTests.Json<TokenIdentity>(await station.GetAsync(ApiRoutes.WhoAmI));
        Assert.Equal("line 1", identity.Name);
        Assert.Equal(TokenRoles.Station, identity.Role);
        // Authorized as a station: the answer is about the data, not the caller.
        await Refused(await station.GetAsync(ApiRoutes.Configs + "/69"), HttpStatusCode.NotFound, "ConfigNotFound");
        // A station certificate is no admin.
        await Refused(await station.GetAsync(ApiRoutes.Packages), HttpStatusCode.Forbidden, "Forbidden");

        var admin = Client(server, null, server.Server.AdminToken);
        var listed = await ServerApiTests.Json<List<StationCertificateInfo>>(await admin.GetAsync(ApiRoutes.Certificates));
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"{ApiRoutes.Certificates}/{listed.Single().Id}")).StatusCode);

        // The same client, on the same TLS connection: refused at once, saying why.
        var problem = await Refused(await station.GetAsync(ApiRoutes.WhoAmI), HttpStatusCode.Unauthorized, "CertificateRefused");
        Assert.Matches(@"The client certificate 'line 1' \(ID \d+\) was revoked on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by admin", problem.Detail);
        Assert.Equal(HttpStatusCode.Unauthorized, (await station.GetAsync(ApiRoutes.Configs + "/69")).StatusCode);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Expired_foreign_and_unknown_certificates_are_refused_naming_the_problem(string engine)
    {
        await using var server = await StartTls(engine, requireClientCertificate: true);
        var ca = server.Server.Services.GetRequiredService<CertificateAuthority>();

        // Signed by this CA and recorded, but its validity has passed (1 ms from now: over before the request is made).
        var expired = await SignDirectly(server, ca, "old line", TimeSpan.FromMilliseconds(1), record: true);
        var problem = await Refused(await Client(server, expired).GetAsync(ApiRoutes.WhoAmI), HttpStatusCode.Unauthorized, "CertificateRefused");
        Assert.Contains("'old line' expired on", problem.Detail);

        // Signed by another server's CA.
        string otherFolder = Directory.CreateTempSubdirectory("prov-foreign-ca-").FullName;
        try
        {
            using var otherKey = MasterKey.LoadOrCreate(Path.Combine(otherFolder, "master.key"));
            using var foreign = CertificateAuthority.LoadOrCreate(Path.Combine(otherFolder, "tls"), otherKey, NullLogger.Instance);
            var intruder = await SignDirectly(server, foreign, "intruder", TimeSpan.FromDays(1), record: false);
            problem = await Refused(await Client(server, intruder).GetAsync(ApiRoutes.WhoAmI), HttpStatusCode.Unauthorized, "CertificateRefused");
            Assert.Contains("'intruder'", problem.Detail);
            Assert.Contains("was not issued by this server's CA", problem.Detail);
        }
        finally
        {
            Directory.Delete(otherFolder, recursive: true);
        }

        // Signed by this CA but not in the database (a database restored from before it was issued).
        var unknown = await SignDirectly(server, ca, "restored line", TimeSpan.FromDays(1), record: false);
        problem = await Refused(await Client(server, unknown).GetAsync(ApiRoutes.Configs + "/69"), HttpStatusCode.Unauthorized, "CertificateRefused");
        Assert.Contains("'restored line'", problem.Detail);
        Assert.Contains("is unknown to this server", problem.Detail);
        // The refusal says nothing of what was asked for (config 69); the certificate's hex thumbprint may hold "69" by chance.
        Assert.DoesNotMatch("(?<![0-9A-F])69(?![0-9A-F])", problem.Detail);
        Assert.DoesNotContain("config", problem.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task RequireClientCertificate_refuses_station_tokens_but_not_admin_tokens(string engine)
    {
        await using var server = await StartTls(engine, requireClientCertificate: true);
        var token = Client(server, null, await StationToken(server));
        var problem = await Refused(await token.GetAsync(ApiRoutes.Configs + "/69"), HttpStatusCode.Forbidden, "CertificateRequired");
        Assert.Contains("requires station certificates", problem.Detail);
        await Refused(await token.GetAsync(ApiRoutes.WhoAmI), HttpStatusCode.Forbidden, "CertificateRequired");
        Assert.Equal(HttpStatusCode.OK, (await Client(server, null, server.Server.AdminToken).GetAsync(ApiRoutes.Certificates)).StatusCode);
    }

    [Fact]
    public async Task A_station_whose_certificate_or_token_is_refused_reports_code_101_naming_the_problem()
    {
        await using var server = await StartTls("sqlite", requireClientCertificate: true);
        var ca = server.Server.Services.GetRequiredService<CertificateAuthority>();
        var revoked = await Issue(server, "revoked line");
        var admin = Client(server, null, server.Server.AdminToken);
        var id = (await ServerApiTests.Json<List<StationCertificateInfo>>(await admin.GetAsync(ApiRoutes.Certificates))).Single().Id;
        await admin.DeleteAsync($"{ApiRoutes.Certificates}/{id}");
        string otherFolder = Directory.CreateTempSubdirectory("prov-foreign-ca-").FullName;
        try
        {
            using var otherKey = MasterKey.LoadOrCreate(Path.Combine(otherFolder, "master.key"));
            using var foreign = CertificateAuthority.LoadOrCreate(Path.Combine(otherFolder, "tls"), otherKey, NullLogger.Instance);
            var cases = new (X509Certificate2? Certificate, string? Token, string Expected)[]
            {
                (revoked, null, "'revoked line' (ID " + id + ") was revoked on"),
                (await SignDirectly(server, ca, "old line", TimeSpan.FromMilliseconds(1), record: true), null, "'old line' expired on"),
                (await SignDirectly(server, foreign, "intruder", TimeSpan.FromDays(1), record: false), null, "was not issued by this server's CA"),
                (await SignDirectly(server, ca, "restored line", TimeSpan.FromDays(1), record: false), null, "is unknown to this server"),
                (null, await StationToken(server), "requires station certificates"),
            };
            foreach (var (certificate, token, expected) in cases)
            {
                using var client = new Core.Client.ProvServerClient(server.Uri, token, Core.Client.ServerTrust.Create([server.Ca], null, certificate));
                using var run = new Core.Station.StationRun(client, throttleLimit: 1);
                // Nothing listens on the port: the configuration is fetched first, so the refusal decides the outcome.
                var result = await run.ProvisionAsync(new Core.Station.ProvisionRequest($"tcp://127.0.0.1:{ServerUnderTest.FreePort()}", 115200, 1000, "none",
                    FactoryConfig: false, SkipKeys: false, SkipLock: false, Force: false), Core.Station.ConfigSelector.ById(69), null, CancellationToken.None);
                Assert.Equal(Core.Station.ProvExitCode.ServerError, result.Result);
                Assert.StartsWith("Provisioning server returned error response: ", result.Message);
                Assert.Contains(expected, result.Message);
            }
        }
        finally
        {
            Directory.Delete(otherFolder, recursive: true);
        }
    }

    [Fact]
    public async Task Without_RequireClientCertificate_stations_may_use_a_token_or_a_certificate()
    {
        await using var server = await StartTls("sqlite", requireClientCertificate: false);
        var byToken = await ServerApiTests.Json<TokenIdentity>(await Client(server, null, await StationToken(server)).GetAsync(ApiRoutes.WhoAmI));
        Assert.Equal("line 1 token", byToken.Name);
        var byCertificate = await ServerApiTests.Json<TokenIdentity>(await Client(server, await Issue(server, "line 2")).GetAsync(ApiRoutes.WhoAmI));
        Assert.Equal("line 2", byCertificate.Name);
        Assert.Equal(TokenRoles.Station, byCertificate.Role);
    }
}
