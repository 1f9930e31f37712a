using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Core.Api;
using Provisioning.Server.Store;

namespace Provisioning.Server.Tests.Api;

/// <summary>The users and audit endpoints as an admin's script meets them, and the audit entry every audited action leaves, on each engine.</summary>
public sealed class UserAndAuditApiTests : IDisposable
{
    private const string Password = "tulip anvil orbit sparrow";
    private readonly TestNetwork _network = new();

    public void Dispose() => _network.Dispose();

    private static Task<T> Json<T>(HttpResponseMessage response) => ServerApiTests.Json<T>(response);

    private static async Task<ApiProblem> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.True(response.StatusCode == status, $"{status} expected, got {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json<ApiProblem>(response);
    }

    private static Task<HttpResponseMessage> Patch(HttpClient client, string name, UserUpdate update) =>
        client.PatchAsJsonAsync($"{ApiRoutes.Users}/{name}", update, ApiJson.Options);

    private static async Task<List<AuditEntry>> Audit(ServerUnderTest server, string query = "")
    {
        var response = await server.Admin.GetAsync(ApiRoutes.Audit + query);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await Json<List<AuditEntry>>(response);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task An_admin_creates_lists_changes_and_removes_accounts_and_no_answer_carries_a_hash(string engine)
    {
        await using var server = await ServerUnderTest.StartAsync(await Engines.FreshDatabaseAsync(engine));

        var created = await server.Admin.PostAsJsonAsync(ApiRoutes.Users, new UserRequest("Alice", "exporter", Password), ApiJson.Options);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string createdText = await created.Content.ReadAsStringAsync();
        var alice = JsonSerializer.Deserialize<UserInfo>(createdText, ApiJson.Options)!;
        Assert.Equal(("alice", TokenRoles.Exporter, false), (alice.Name, alice.Role, alice.Disabled));
        var stored = await server.Services.GetRequiredService<IProvStore>().FindUserAsync("alice");
        Assert.StartsWith("AQAAAA", stored!.PasswordHash); // PasswordHasher v3, in the database only
        Assert.DoesNotContain(stored.PasswordHash, createdText);
        Assert.DoesNotContain(Password, createdText);

        // Refusals say what to fix.
        Assert.Equal("UserExists", (await Problem(await server.Admin.PostAsJsonAsync(ApiRoutes.Users, new UserRequest("ALICE", "admin", Password), ApiJson.Options),
            HttpStatusCode.Conflict)).ErrorId);
        var weak = await Problem(await server.Admin.PostAsJsonAsync(ApiRoutes.Users, new UserRequest("bob", "admin", "short"), ApiJson.Options), HttpStatusCode.BadRequest);
        Assert.Equal("WeakPassword", weak.ErrorId);
        Assert.Contains("12 characters", weak.Detail);
        Assert.Equal("BadUserRole", (await Problem(await server.Admin.PostAsJsonAsync(ApiRoutes.Users, new UserRequest("bob", "station", Password), ApiJson.Options),
            HttpStatusCode.BadRequest)).ErrorId);
        Assert.Equal("BadUserName", (await Problem(await server.Admin.PostAsJsonAsync(ApiRoutes.Users, new UserRequest("bob smith", "admin", Password), ApiJson.Options),
            HttpStatusCode.BadRequest)).ErrorId);

        var listText = await server.Admin.GetStringAsync(ApiRoutes.Users);
        Assert.Equal(["alice"], JsonSerializer.Deserialize<List<UserInfo>>(listText, ApiJson.Options)!.Select(u => u.Name));
        Assert.DoesNotContain("AQAAAA", listText);
        Assert.DoesNotContain("hash", listText, StringComparison.OrdinalIgnoreCase);

        // Disable, then enable with a new password and a new role, in one PATCH each; PUT does the same.
        Assert.True((await Json<UserInfo>(await Patch(server.Admin, "alice", new UserUpdate(Disabled: true)))).Disabled);
        var changed = await Json<UserInfo>(await Patch(server.Admin, "ALICE", new UserUpdate("a brand new passphrase", false, "admin")));
        Assert.Equal((false, TokenRoles.Admin), (changed.Disabled, changed.Role));
        Assert.NotEqual(stored.PasswordHash, (await server.Services.GetRequiredService<IProvStore>().FindUserAsync("alice"))!.PasswordHash);
        var put = await server.Admin.PutAsJsonAsync($"{ApiRoutes.Users}/alice", new UserUpdate(Role: "exporter"), ApiJson.Options);
        Assert.Equal(TokenRoles.Exporter, (await Json<UserInfo>(put)).Role);
        Assert.Equal("BadUserUpdate", (await Problem(await Patch(server.Admin, "alice", new UserUpdate()), HttpStatusCode.BadRequest)).ErrorId);
        Assert.Equal("WeakPassword", (await Problem(await Patch(server.Admin, "alice", new UserUpdate(Password: "alice")), HttpStatusCode.BadRequest)).ErrorId);
        Assert.Equal("UserNotFound", (await Problem(await Patch(server.Admin, "carol", new UserUpdate(Disabled: true)), HttpStatusCode.NotFound)).ErrorId);

        Assert.Equal(HttpStatusCode.NoContent, (await server.Admin.DeleteAsync($"{ApiRoutes.Users}/alice")).StatusCode);
        Assert.Equal("UserNotFound", (await Problem(await server.Admin.DeleteAsync($"{ApiRoutes.Users}/alice"), HttpStatusCode.NotFound)).ErrorId);
        Assert.Equal("[]", await server.Admin.GetStringAsync(ApiRoutes.Users));

        // Each change is audited with the admin token that made it; never a password.
        var entries = await Audit(server, "?action=user.*");
        Assert.Equal(["user.remove", "user.update", "user.update", "user.update", "user.create"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal(("token", "admin (created on first start)", "alice", "127.0.0.1"), (e.ActorKind, e.ActorName, e.Target, e.Address)));
        Assert.Equal(["role exporter", "password reset, enabled, role admin", "disabled", "role exporter"], entries.Skip(1).Select(e => e.Detail));
        Assert.All(entries, e => Assert.DoesNotContain("passphrase", e.Detail ?? ""));
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Imports_dry_runs_refused_uploads_exports_tokens_and_refused_key_requests_are_all_audited(string engine)
    {
        await using var server = await ServerUnderTest.StartAsync(await Engines.FreshDatabaseAsync(engine));
        string package = _network.Package(69, ["kite_170"]);
        string sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(package)));

        Assert.Equal(HttpStatusCode.OK, (await server.Admin.PostAsync(ApiRoutes.Packages + "?dryRun=true", ServerApiTests.Upload(package, TestNetwork.Passphrase))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await server.Admin.PostAsync(ApiRoutes.Packages, ServerApiTests.Upload(package, TestNetwork.Passphrase))).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await server.Admin.PostAsync(ApiRoutes.Packages, ServerApiTests.Upload(package, "not the passphrase"))).StatusCode);

        var token = await Json<NewToken>(await server.Admin.PostAsJsonAsync(ApiRoutes.Tokens, new TokenRequest("kms script", TokenRoles.Exporter), ApiJson.Options));
        var exporter = server.Client(token.Token);
        var export = await exporter.PostAsJsonAsync(ApiRoutes.Exports, new ExportRequest(69, "1000-1002", null, null, null, false), ApiJson.Options);
        await export.Content.ReadAsByteArrayAsync();
        long exportId = long.Parse(export.Headers.GetValues(ApiRoutes.ExportIdHeader).Single());
        var receipt = await Json<ExportReceipt>(await server.Admin.GetAsync($"{ApiRoutes.Exports}/{exportId}"));
        Assert.Equal(HttpStatusCode.Forbidden, (await exporter.GetAsync(ApiRoutes.Configs + "/69/gateway-keys")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await server.Admin.DeleteAsync($"{ApiRoutes.Tokens}/{token.Info.Id}")).StatusCode);

        var entries = await Audit(server);
        Assert.Equal(["token.revoke", "keys.refused", "export", "token.create", "package.import", "package.import", "package.dryrun"],
            entries.Select(e => e.Action));
        var (revoke, refused, exported, create, rejected, imported, dryRun) = (entries[0], entries[1], entries[2], entries[3], entries[4], entries[5], entries[6]);

        foreach (var entry in new[] { dryRun, imported })
        {
            Assert.Equal(("config 69", true, "admin (created on first start)", "token"), (entry.Target, entry.Succeeded, entry.ActorName, entry.ActorKind));
            using var detail = JsonDocument.Parse(entry.Detail!);
            Assert.Equal((1, sha256), (detail.RootElement.GetProperty("revision").GetInt32(), detail.RootElement.GetProperty("sha256").GetString()));
        }
        Assert.False(rejected.Succeeded);
        Assert.Equal(Path.GetFileName(package), rejected.Target);
        Assert.Contains("WrongPassphrase", rejected.Detail);
        Assert.DoesNotContain("not the passphrase", rejected.Detail);

        Assert.Equal($"token {token.Info.Id}", create.Target);
        Assert.Contains("kms script", create.Detail);
        Assert.Contains("exporter", create.Detail);
        Assert.Equal(($"token {token.Info.Id}", true), (revoke.Target, revoke.Succeeded));

        // The export is audited with its receipt, under the exporter's name.
        Assert.Equal(("config 69", "kms script", true), (exported.Target, exported.ActorName, exported.Succeeded));
        using (var detail = JsonDocument.Parse(exported.Detail!))
        {
            var root = detail.RootElement;
            Assert.Equal((exportId, receipt.Count, receipt.Sha256, "1000-1002", 0L),
                (root.GetProperty("exportId").GetInt64(), root.GetProperty("count").GetInt64(), root.GetProperty("sha256").GetString(),
                    root.GetProperty("batch").GetString(), root.GetProperty("unresolved").GetInt64()));
        }

        // A key request refused for the role, with the exporter named.
        Assert.Equal(("/api/v1/configs/69/gateway-keys", false, "kms script"), (refused.Target, refused.Succeeded, refused.ActorName));
        Assert.All(entries, e => Assert.DoesNotContain(TestNetwork.Passphrase, e.Detail ?? ""));
        Assert.All(entries, e => Assert.DoesNotContain(token.Token, e.Detail ?? ""));
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task The_audit_log_pages_newest_first_and_filters_by_time_action_and_user(string engine)
    {
        await using var server = await ServerUnderTest.StartAsync(await Engines.FreshDatabaseAsync(engine));
        for (int i = 0; i < 5; i++)
            await server.Admin.PostAsJsonAsync(ApiRoutes.Tokens, new TokenRequest($"line {i}", TokenRoles.Station), ApiJson.Options);

        var all = await Audit(server);
        Assert.Equal(5, all.Count);
        Assert.Equal(all.Select(e => e.Id).OrderDescending(), all.Select(e => e.Id));
        var first = await Audit(server, "?limit=2");
        var second = await Audit(server, $"?limit=2&before={first[^1].Id}");
        var third = await Audit(server, $"?limit=2&before={second[^1].Id}");
        Assert.Equal(all.Select(e => e.Id), first.Concat(second).Concat(third).Select(e => e.Id));

        Assert.Equal(5, (await Audit(server, "?action=token.create&user=ADMIN%20(created%20on%20first%20start)")).Count);
        Assert.Empty(await Audit(server, "?user=someone"));
        Assert.Empty(await Audit(server, "?action=token.revoke"));
        Assert.Equal(5, (await Audit(server, "?action=token*")).Count);
        string from = Uri.EscapeDataString(all[0].At.AddMinutes(1).ToString("O"));
        Assert.Empty(await Audit(server, $"?from={from}"));
        Assert.Equal(5, (await Audit(server, $"?to={from}")).Count);

        Assert.Equal("BadFilter", (await Problem(await server.Admin.GetAsync(ApiRoutes.Audit + "?from=yesterday"), HttpStatusCode.BadRequest)).ErrorId);
        Assert.Equal("BadLimit", (await Problem(await server.Admin.GetAsync(ApiRoutes.Audit + "?limit=0"), HttpStatusCode.BadRequest)).ErrorId);
    }
}
