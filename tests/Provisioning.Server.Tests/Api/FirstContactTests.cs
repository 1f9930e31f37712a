using System.Net;
using System.Net.Http.Json;
using Provisioning.Core.Api;

namespace Provisioning.Server.Tests.Api;

/// <summary>What a new operator meets first: who a token is, and endpoints that do not exist.</summary>
public sealed class FirstContactTests
{
    private static async Task<string> StationToken(ServerUnderTest server, string name)
    {
        var response = await server.Admin.PostAsJsonAsync(ApiRoutes.Tokens, new TokenRequest(name, TokenRoles.Station), ApiJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await ServerApiTests.Json<NewToken>(response)).Token;
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Who_am_i_names_the_token_and_its_role_and_a_station_asking_leaves_no_warning(string engine)
    {
        await using var server = await ServerUnderTest.StartAsync(await Engines.FreshDatabaseAsync(engine));
        using var station = server.Client(await StationToken(server, "line 7"));

        var mine = await ServerApiTests.Json<TokenIdentity>(await station.GetAsync(ApiRoutes.WhoAmI));
        Assert.Equal(("line 7", TokenRoles.Station, (string?)null), (mine.Name, mine.Role, mine.Database));

        var admin = await ServerApiTests.Json<TokenIdentity>(await server.Admin.GetAsync(ApiRoutes.WhoAmI));
        Assert.Equal(TokenRoles.Admin, admin.Role);
        Assert.StartsWith(engine == "sqlite" ? "sqlite:" + Path.Combine(server.DataPath, "provisioning.db") : "mysql:", admin.Database);
        Assert.DoesNotContain("assword", admin.Database);

        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Anonymous.GetAsync(ApiRoutes.WhoAmI)).StatusCode);
        // A station learning its role is not a refusal: nothing for an operator to chase in the log.
        string log = await File.ReadAllTextAsync(Path.Combine(server.DataPath, "logs", "server.log"));
        Assert.DoesNotContain(" warn ", log);
    }

    [Fact]
    public async Task An_unknown_endpoint_is_not_found_for_a_station_token_too_and_refused_without_a_token()
    {
        await using var server = await ServerUnderTest.StartAsync();
        using var station = server.Client(await StationToken(server, "line 1"));

        foreach (var client in new[] { station, server.Admin })
        {
            var response = await client.GetAsync(ApiRoutes.Prefix + "/no-such-thing");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("NoSuchEndpoint", (await ServerApiTests.Json<ApiProblem>(response)).ErrorId);
        }
        // Without a token, nothing is said about which endpoints exist.
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Anonymous.GetAsync(ApiRoutes.Prefix + "/no-such-thing")).StatusCode);
        // A station still may not call admin endpoints.
        Assert.Equal(HttpStatusCode.Forbidden, (await station.GetAsync(ApiRoutes.Tokens)).StatusCode);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_data_folder_left_open_to_others_is_made_owner_only_and_a_chosen_open_folder_is_pointed_out()
    {
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode open = (UnixFileMode)0b111_101_101; // 0755, as an earlier version made its data folder
        string used = Directory.CreateTempSubdirectory("prov-used-").FullName;
        string chosen = Directory.CreateTempSubdirectory("prov-chosen-").FullName;
        try
        {
            await using (await ServerUnderTest.StartAsync(dataPath: used)) { }
            File.SetUnixFileMode(used, open);
            await using (await ServerUnderTest.StartAsync(dataPath: used)) { }
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(used));
            Assert.Contains("Made the data folder", await File.ReadAllTextAsync(Path.Combine(used, "logs", "server.log")));

            // An existing folder the operator pointed the server at is theirs: it is left as it is, with a warning.
            File.SetUnixFileMode(chosen, open);
            await using (await ServerUnderTest.StartAsync(dataPath: chosen)) { }
            Assert.Equal(open, File.GetUnixFileMode(chosen));
            Assert.Contains($"warn Provisioning.Server: The data folder {chosen} is open to other accounts", await File.ReadAllTextAsync(Path.Combine(chosen, "logs", "server.log")));
        }
        finally
        {
            Directory.Delete(used, recursive: true);
            Directory.Delete(chosen, recursive: true);
        }
    }
}
