using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Core.Api;
using Provisioning.Server.Auth;

namespace Provisioning.Server.Tests.Api;

/// <summary>
/// Every endpoint of the running server, found by enumerating its routes (so a new endpoint is covered the day it is
/// added): each states who may call it, refuses anonymous callers, and refuses the roles it is not for.
/// </summary>
public sealed class AuthorizationTests : IDisposable
{
    private readonly TestNetwork _network = new();

    public void Dispose() => _network.Dispose();

    /// <summary>One route and method, with the policies it states.</summary>
    private sealed record Route(string Method, string Pattern, string Path, bool Anonymous, IReadOnlyList<string?> Policies)
    {
        public bool IsWeb => Path.StartsWith(WebPaths.Root, StringComparison.OrdinalIgnoreCase);
        public bool Is(string policy) => Policies.Contains(policy);
        public override string ToString() => $"{Method} {Pattern}";
    }

    private static IReadOnlyList<Route> Routes(ServerUnderTest server)
    {
        var routes = new List<Route>();
        foreach (var endpoint in server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            string pattern = "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            bool anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            foreach (string method in methods)
                routes.Add(new Route(method, pattern, SamplePath(pattern), anonymous, policies));
        }
        return routes;
    }

    // A concrete path for a route pattern: a value of the right form for each parameter (the checks run before any lookup).
    private static string SamplePath(string pattern) => Regex.Replace(pattern, @"\{\*?([A-Za-z]+)(:[^}]*)?\}", m => m.Groups[1].Value switch
    {
        "configId" => "69",
        "nodeId" => "16",
        "requestId" => "0f8fad5b-d9cb-469f-a165-70867728950e",
        "id" or "exportId" => "1",
        "sha256" => new string('0', 64),
        "alias" => "kite_170",
        "name" => "alice",
        _ => "x",
    });

    private static HttpRequestMessage Request(Route route) =>
        new(new HttpMethod(route.Method), route.Path) { Content = route.Method is "GET" or "DELETE" or "HEAD" ? null : JsonContent.Create(new { }) };

    private static async Task<string> TokenFor(ServerUnderTest server, string role)
    {
        var response = await server.Admin.PostAsJsonAsync(ApiRoutes.Tokens, new TokenRequest($"{role} test", role), ApiJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await ServerApiTests.Json<NewToken>(response)).Token;
    }

    [Fact]
    public async Task Every_endpoint_states_a_policy_or_says_it_is_open_and_only_health_is_open()
    {
        await using var server = await ServerUnderTest.StartAsync();
        var routes = Routes(server);
        Assert.Contains(routes, r => r.Pattern == ApiRoutes.Users);
        Assert.Contains(routes, r => r.Pattern == ApiRoutes.Audit);
        Assert.Contains(routes, r => r.Pattern == WebPaths.Login);
        Assert.Contains(routes, r => r.IsWeb && !r.Anonymous);
        Assert.All(routes, r => Assert.True(r.Anonymous || r.Policies.Count > 0, $"{r} states no policy"));
        // Open: health, and the web pages a person must reach before signing in.
        Assert.All(routes.Where(r => r.Anonymous), r => Assert.True(r.Pattern == ApiRoutes.Health || r.IsWeb, $"{r} is open to anyone"));
        Assert.All(routes.Where(r => r.Pattern.StartsWith(ApiRoutes.Users, StringComparison.Ordinal) || r.Pattern.StartsWith(ApiRoutes.Audit, StringComparison.Ordinal)
                                     || r.Pattern.StartsWith(ApiRoutes.Tokens, StringComparison.Ordinal) || r.Pattern == ApiRoutes.ServerStop
                                     || r.Pattern == ApiRoutes.Packages && r.Method == "POST"),
            r => Assert.True(r.Is(Policies.Admin), $"{r} is not admin-only"));
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Anonymous_callers_are_refused_everywhere_but_health_and_each_role_only_where_it_belongs(string engine)
    {
        await using var server = await ServerUnderTest.StartAsync(await Engines.FreshDatabaseAsync(engine));
        var routes = Routes(server);
        var station = server.Client(await TokenFor(server, TokenRoles.Station));
        var exporter = server.Client(await TokenFor(server, TokenRoles.Exporter));
        var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseUri };

        foreach (var route in routes.Where(r => !r.Anonymous))
        {
            using var anonymous = await noRedirects.SendAsync(Request(route));
            if (route.IsWeb)
            {
                // A web page sends the person to the login page instead.
                Assert.True(anonymous.StatusCode == HttpStatusCode.Redirect, $"{route}: {anonymous.StatusCode}");
                Assert.StartsWith(WebPaths.Login, anonymous.Headers.Location!.OriginalString.Replace(server.BaseUri.ToString().TrimEnd('/'), ""));
                continue;
            }
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"anonymous {route}: {anonymous.StatusCode}");
            Assert.Equal("Unauthorized", (await ServerApiTests.Json<ApiProblem>(anonymous)).ErrorId);

            // A station token may call station endpoints only, an exporter token exporter endpoints only.
            if (route.Is(Policies.Admin) || route.Is(Policies.Exporter))
                await AssertForbidden(station, route, "station");
            if (route.Is(Policies.Admin) || route.Is(Policies.Station))
                await AssertForbidden(exporter, route, "exporter");
        }

        // The whole list of what each role may not do, as the issue names it.
        foreach (var (path, method) in new[]
                 {
                     (ApiRoutes.Packages, "POST"), (ApiRoutes.Tokens, "GET"), (ApiRoutes.Tokens, "POST"), (ApiRoutes.Users, "GET"), (ApiRoutes.Users, "POST"),
                     (ApiRoutes.Audit, "GET"), (ApiRoutes.ServerStop, "POST"), (ApiRoutes.Configs + "/69/gateway-keys", "GET"),
                 })
        {
            var status = (await exporter.SendAsync(Request(new Route(method, path, path, false, [])))).StatusCode;
            Assert.True(status == HttpStatusCode.Forbidden, $"exporter token on {method} {path}: {status}");
        }
    }

    private static async Task AssertForbidden(HttpClient client, Route route, string role)
    {
        using var response = await client.SendAsync(Request(route));
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{role} token on {route}: {response.StatusCode}");
        var problem = await ServerApiTests.Json<ApiProblem>(response);
        Assert.Contains(role, problem.Detail);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task An_exporter_reads_packages_and_devices_and_exports_keys(string engine)
    {
        await using var server = await ServerUnderTest.StartAsync(await Engines.FreshDatabaseAsync(engine));
        var import = await server.Admin.PostAsync(ApiRoutes.Packages, ServerApiTests.Upload(_network.Package(69, ["kite_170"]), TestNetwork.Passphrase));
        Assert.Equal(HttpStatusCode.Created, import.StatusCode);
        var exporter = server.Client(await TokenFor(server, TokenRoles.Exporter));

        var whoami = await ServerApiTests.Json<TokenIdentity>(await exporter.GetAsync(ApiRoutes.WhoAmI));
        Assert.Equal(TokenRoles.Exporter, whoami.Role);
        Assert.Null(whoami.Database);
        var packages = await ServerApiTests.Json<List<PackageSummary>>(await exporter.GetAsync(ApiRoutes.Packages));
        Assert.Equal(69UL, Assert.Single(packages).ConfigId);
        Assert.Equal(HttpStatusCode.OK, (await exporter.GetAsync(ApiRoutes.Devices)).StatusCode);

        var export = await exporter.PostAsJsonAsync(ApiRoutes.Exports, new ExportRequest(69, null, null, null, null, false), ApiJson.Options);
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Contains("<", await export.Content.ReadAsStringAsync());
        long exportId = long.Parse(export.Headers.GetValues(ApiRoutes.ExportIdHeader).Single());
        var receipt = await ServerApiTests.Json<ExportReceipt>(await exporter.GetAsync($"{ApiRoutes.Exports}/{exportId}"));
        Assert.Equal((ExportStatus.Complete, "exporter test"), (receipt.Status, receipt.RequestedBy));
    }
}
