using Provisioning.Core.Crypto;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Provisioning.Core.Api;

namespace Provisioning.Server.Tests.Api;

/// <summary>The HTTP API as clients meet it, on a real server, on each engine.</summary>
public sealed class ServerApiTests : IDisposable
{
    private readonly TestNetwork _network = new();

    public void Dispose() => _network.Dispose();

    private static async Task<ServerUnderTest> Start(string engine, params string[] extra) =>
        await ServerUnderTest.StartAsync(await Engines.FreshDatabaseAsync(engine), extra: extra);

    internal static MultipartFormDataContent Upload(string packagePath, string passphrase, string? comment = null)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(passphrase), "passphrase" },
        };
        if (comment is not null)
            form.Add(new StringContent(comment), "comment");
        var file = new StreamContent(File.OpenRead(packagePath));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        form.Add(file, "package", Path.GetFileName(packagePath));
        return form;
    }

    internal static async Task<T> Json<T>(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(ApiJson.Options))!;

    private static async Task<ApiProblem> Problem(HttpResponseMessage response) => await Json<ApiProblem>(response);

    private static async Task<ImportResult> Import(ServerUnderTest server, string package, string? comment = null)
    {
        var response = await server.Admin.PostAsync(ApiRoutes.Packages, Upload(package, TestNetwork.Passphrase, comment));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await Json<ImportResult>(response);
    }

    private static async Task<string> StationToken(ServerUnderTest server, string name = "line 1")
    {
        var response = await server.Admin.PostAsJsonAsync(ApiRoutes.Tokens, new TokenRequest(name, TokenRoles.Station), ApiJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Json<NewToken>(response)).Token;
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Tokens_guard_every_endpoint_but_health_and_leak_nothing(string engine)
    {
        await using var server = await Start(engine);
        await Import(server, _network.Package(69, ["kite_170"]), "secret comment");

        var health = await server.Anonymous.GetAsync(ApiRoutes.Health);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(Environment.ProcessId, (await Json<HealthInfo>(health)).ProcessId);

        foreach (var client in new[] { server.Anonymous, server.Client("prov_wrong"), server.Client(server.AdminToken + "x") })
        {
            foreach (string path in new[] { ApiRoutes.Packages, ApiRoutes.Configs + "/69", ApiRoutes.Exports, ApiRoutes.Tokens, ApiRoutes.Devices + "/1" })
            {
                var response = await client.GetAsync(path);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
                string body = await response.Content.ReadAsStringAsync();
                Assert.DoesNotContain("kite_170", body);
                Assert.DoesNotContain("secret comment", body);
                Assert.DoesNotContain("69", body);
            }
        }

        var station = server.Client(await StationToken(server));
        Assert.Equal(HttpStatusCode.OK, (await station.GetAsync(ApiRoutes.Configs + "/69")).StatusCode);
        foreach (string path in new[] { ApiRoutes.Packages, ApiRoutes.Exports, ApiRoutes.Tokens })
            Assert.Equal(HttpStatusCode.Forbidden, (await station.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await station.PostAsync(ApiRoutes.Packages, Upload(_network.Package(70), TestNetwork.Passphrase))).StatusCode);

        // A revoked token stops working.
        var tokens = await Json<TokenInfo[]>(await server.Admin.GetAsync(ApiRoutes.Tokens));
        var stationInfo = tokens.Single(t => t.Role == TokenRoles.Station);
        Assert.Equal(HttpStatusCode.NoContent, (await server.Admin.DeleteAsync($"{ApiRoutes.Tokens}/{stationInfo.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await station.GetAsync(ApiRoutes.Configs + "/69")).StatusCode);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Import_dry_run_revisions_aliases_and_overview(string engine)
    {
        await using var server = await Start(engine);
        string first = _network.Package(69, ["kite_170", "kite-171"]);

        var dry = await server.Admin.PostAsync(ApiRoutes.Packages + "?dryRun=true", Upload(first, TestNetwork.Passphrase));
        Assert.Equal(HttpStatusCode.OK, dry.StatusCode);
        var preview = await Json<ImportResult>(dry);
        Assert.False(preview.Imported);
        Assert.Equal(69UL, preview.Package.ConfigId);
        Assert.Equal("UNODE", preview.Package.NodeType);
        Assert.Empty(await Json<PackageSummary[]>(await server.Admin.GetAsync(ApiRoutes.Packages)));

        var one = await Import(server, first, "Import Demo.");
        Assert.Equal(1, one.Package.Revision);
        Assert.Null(one.ReplacedRevision);
        var two = await Import(server, _network.Package(69, ["kite_170"], nodeVersion: "1.2.3.5"));
        Assert.Equal(2, two.Package.Revision);
        Assert.Equal(1, two.ReplacedRevision);

        var overview = await Json<PackageSummary[]>(await server.Admin.GetAsync(ApiRoutes.Packages));
        var row = Assert.Single(overview);
        Assert.Equal("1.2.3.5", row.NodeVersion);
        Assert.Equal([new AppVersion("emcm", "5.6.7.8")], row.Apps);
        var history = await Json<PackageSummary[]>(await server.Admin.GetAsync(ApiRoutes.Packages + "?history=true"));
        Assert.Equal(2, history.Length);
        Assert.Contains(history, p => p.Revision == 1 && !p.IsCurrent && p.ReplacedAt is not null && p.Comment == "Import Demo.");

        // An alias belongs to one config only; nothing of the refused package is imported.
        var clash = await server.Admin.PostAsync(ApiRoutes.Packages, Upload(_network.Package(70, ["kite_170"]), TestNetwork.Passphrase));
        Assert.Equal(HttpStatusCode.Conflict, clash.StatusCode);
        var problem = await Problem(clash);
        Assert.Equal("AliasConflict", problem.ErrorId);
        Assert.Contains("kite_170", problem.Detail);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Admin.GetAsync(ApiRoutes.Configs + "/70")).StatusCode);
        // Several aliases may map to one config.
        await Import(server, _network.Package(71, ["meter_a", "meter_b"]));
        var byAlias = await Json<ConfigInfo>(await server.Admin.GetAsync(ApiRoutes.Configs + "/alias/meter_b"));
        Assert.Equal(71UL, byAlias.ConfigId);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Wrong_passphrase_or_damaged_package_imports_nothing(string engine)
    {
        await using var server = await Start(engine);
        string package = _network.Package(69);
        var wrong = await server.Admin.PostAsync(ApiRoutes.Packages, Upload(package, "not the passphrase"));
        Assert.Equal((HttpStatusCode)422, wrong.StatusCode);
        var problem = await Problem(wrong);
        Assert.Equal("WrongPassphrase", problem.ErrorId);
        Assert.DoesNotContain("not the passphrase", problem.Detail);

        byte[] bytes = File.ReadAllBytes(package);
        bytes[bytes.Length / 2] ^= 0x40;
        string damaged = Path.Combine(_network.Root, "damaged.tar.gz");
        File.WriteAllBytes(damaged, bytes);
        var bad = await server.Admin.PostAsync(ApiRoutes.Packages, Upload(damaged, TestNetwork.Passphrase));
        Assert.Equal((HttpStatusCode)422, bad.StatusCode);
        Assert.Equal("PackageInvalid", (await Problem(bad)).ErrorId);

        Assert.Empty(await Json<PackageSummary[]>(await server.Admin.GetAsync(ApiRoutes.Packages + "?history=true")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(server.DataPath, "staging")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(server.DataPath, "files"), "*", SearchOption.AllDirectories));
        await Import(server, package);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Config_files_and_gateway_keys_as_a_station_sees_them(string engine)
    {
        await using var server = await Start(engine);
        string package = _network.Package(0xFFFFFFFFFFFFFFFF, ["top"]);
        await Import(server, package);
        var station = server.Client(await StationToken(server));

        var config = await Json<ConfigInfo>(await station.GetAsync(ApiRoutes.Configs + "/0xFFFFFFFFFFFFFFFF"));
        Assert.Equal(ulong.MaxValue, config.ConfigId);
        Assert.Equal(_network.KmsFingerprint, config.KmsKeyFingerprint);
        Assert.Contains("BEGIN PUBLIC KEY", config.KmsPublicKey);
        var app = Assert.Single(config.Apps);
        Assert.Equal("emcm", app.Name);
        Assert.NotNull(app.PublicKey);
        Assert.NotNull(app.FieldConfig);
        Assert.Null(app.FactoryConfig);
        foreach (var link in new[] { config.Node.Firmware, config.Node.FieldConfig!, config.Node.FactoryConfig!, app.Firmware! })
        {
            byte[] content = await station.GetByteArrayAsync(link.Url);
            Assert.Equal(link.Size, content.Length);
            Assert.Equal(link.Sha256, Convert.ToHexStringLower(SHA256.HashData(content)));
            Assert.Equal(link.Md5, Convert.ToHexStringLower(MD5.HashData(content)));
        }
        Assert.Equal(HttpStatusCode.NotFound, (await station.GetAsync(ApiRoutes.Files + "/" + new string('0', 64))).StatusCode);

        var keys = await Json<GatewayKeysInfo>(await station.GetAsync(ApiRoutes.Configs + "/18446744073709551615/gateway-keys"));
        Assert.Equal(Convert.ToHexString(_network.GatewayKey), keys.GatewayKey);
        Assert.Equal(Convert.ToHexString(_network.CdldKey), keys.CdldKey);

        // The keys are sealed at rest: neither key, nor the passphrase, nor a token secret is in any file the server
        // wrote (database, WAL, repository, log) — except the admin token in its own owner-only file.
        string stationSecret = await StationToken(server, "scan");
        foreach (string file in Directory.EnumerateFiles(server.DataPath, "*", SearchOption.AllDirectories))
        {
            byte[] content = ReadSharedBytes(file);
            Assert.False(content.AsSpan().IndexOf(Encoding.UTF8.GetBytes(TestNetwork.Passphrase)) >= 0, $"{file} holds the passphrase");
            Assert.False(content.AsSpan().IndexOf(Encoding.UTF8.GetBytes(stationSecret)) >= 0, $"{file} holds a station token");
            if (Path.GetFileName(file) != "admin.token")
                Assert.False(content.AsSpan().IndexOf(Encoding.UTF8.GetBytes(server.AdminToken)) >= 0, $"{file} holds the admin token");
            Assert.False(content.AsSpan().IndexOf(_network.GatewayKey) >= 0, $"{file} holds the gateway key");
            string text = Encoding.Latin1.GetString(content);
            Assert.DoesNotContain(Convert.ToHexString(_network.GatewayKey), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToHexString(_network.CdldKey), text, StringComparison.OrdinalIgnoreCase);
        }

        var missing = await station.GetAsync(ApiRoutes.Configs + "/70");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("ConfigNotFound", (await Problem(missing)).ErrorId);
        var unknownAlias = await station.GetAsync(ApiRoutes.Configs + "/alias/nope");
        Assert.Equal("AliasNotFound", (await Problem(unknownAlias)).ErrorId);
        var badId = await station.GetAsync(ApiRoutes.Configs + "/0xZZ");
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Device_records_are_idempotent_confirmed_replaced_and_exported(string engine)
    {
        await using var server = await Start(engine);
        await Import(server, _network.Package(69));
        var station = server.Client(await StationToken(server, "line 2"));

        async Task<(HttpResponseMessage Response, Guid Id, DeviceRecordRequest Body)> Record(uint node, uint batch, Guid? id = null, DeviceRecordRequest? body = null)
        {
            body ??= new DeviceRecordRequest(69, batch, DateTimeOffset.UtcNow, _network.EncryptedRootKey(out var rootKey), "RSA-OAEP-SHA256", _network.KmsFingerprint,
                [new DeviceApp("emcm", "0011aabb", "cafe", null)], null, GatewayKeys.CheckValue(rootKey));
            var requestId = id ?? Guid.NewGuid();
            var response = await station.PutAsJsonAsync($"{ApiRoutes.Devices}/0x{node:X}/records/{requestId}", body, ApiJson.Options);
            return (response, requestId, body);
        }

        var (created, id, body) = await Record(0x10, 1000);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(DeviceStatus.Pending, (await Json<DeviceRecord>(created)).Status);
        var (again, _, _) = await Record(0x10, 1000, id, body);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var (conflict, _, _) = await Record(0x10, 1000, id);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("RequestConflict", (await Problem(conflict)).ErrorId);

        // Pending records are left out of an export unless asked for.
        async Task<XDocument> Export(ExportRequest request)
        {
            var response = await server.Admin.PostAsJsonAsync(ApiRoutes.Exports, request, ApiJson.Options);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            byte[] file = await response.Content.ReadAsByteArrayAsync();
            long exportId = long.Parse(response.Headers.GetValues(ApiRoutes.ExportIdHeader).Single());
            var receipt = await Json<ExportReceipt>(await server.Admin.GetAsync($"{ApiRoutes.Exports}/{exportId}"));
            Assert.Equal(ExportStatus.Complete, receipt.Status);
            Assert.Equal(file.Length, receipt.Size);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), receipt.Sha256);
            var document = XDocument.Load(new MemoryStream(file));
            Assert.Equal(receipt.Count, document.Root!.Elements().Count(e => e.Name.LocalName == "device"));
            return document;
        }
        static IEnumerable<XElement> Devices(XDocument d) => d.Root!.Elements().Where(e => e.Name.LocalName == "device");

        Assert.Empty(Devices(await Export(new ExportRequest(69, null, null, null, null, false))));
        Assert.Single(Devices(await Export(new ExportRequest(69, null, null, null, null, true))));

        var confirm = await station.PostAsync($"{ApiRoutes.Devices}/16/records/{id}/confirm", null);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        Assert.Equal(DeviceStatus.Confirmed, (await Json<DeviceRecord>(confirm)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await station.PostAsync($"{ApiRoutes.Devices}/16/records/{Guid.NewGuid()}/confirm", null)).StatusCode);

        // Re-provisioning replaces the key; the old record stays in history.
        var (second, secondId, secondBody) = await Record(0x10, 1001);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        await station.PostAsync($"{ApiRoutes.Devices}/16/records/{secondId}/confirm", null);
        var history = await Json<DeviceHistory>(await server.Admin.GetAsync($"{ApiRoutes.Devices}/0x10"));
        Assert.Equal(secondId, history.Current!.RequestId);
        Assert.Equal(2, history.Records.Count);
        Assert.Contains(history.Records, r => r.RequestId == id && !r.IsCurrent && r.ReplacedAt is not null);

        foreach (uint node in new uint[] { 0x11, 0x1F, 0x20, 0x40 })
        {
            var (r, rid, _) = await Record(node, node == 0x40 ? 1005u : 1002u);
            await station.PostAsync($"{ApiRoutes.Devices}/{node}/records/{rid}/confirm", null);
        }
        var all = Devices(await Export(new ExportRequest(69, null, null, null, null, false))).ToList();
        Assert.Equal(5, all.Count);
        var device = all.First();
        Assert.Equal(secondBody.EncryptedRootKey, device.Elements().Single(e => e.Name.LocalName == "rootKey").Value);
        var combined = Devices(await Export(new ExportRequest(69, "1000,1002-1005", "0x0010-0x001F,0x40", DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), false))).ToList();
        Assert.Equal(3, combined.Count); // 0x11, 0x1F (1002) and 0x40 (1005); 0x10 is now batch 1001, 0x20 outside the node filter
        Assert.Empty(Devices(await Export(new ExportRequest(69, null, null, DateTimeOffset.UtcNow.AddHours(1), null, false))));

        foreach (var (batch, node, token) in new[] { ("1005-1002", (string?)null, "1005-1002"), (null, "0xZZ", "0xZZ"), ("4294967296", null, "4294967296") })
        {
            var refused = await server.Admin.PostAsJsonAsync(ApiRoutes.Exports, new ExportRequest(69, batch, node, null, null, false), ApiJson.Options);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var problem = await Problem(refused);
            Assert.Equal("BadFilter", problem.ErrorId);
            Assert.Contains(token, problem.Detail);
        }
        var unknown = await server.Admin.PostAsJsonAsync(ApiRoutes.Exports, new ExportRequest(70, null, null, null, null, false), ApiJson.Options);
        Assert.Equal("ConfigNotFound", (await Problem(unknown)).ErrorId);

        // A record for another KMS key, a bad algorithm or a malformed key is refused.
        var wrongKms = (await Record(0x50, 1, body: body with { KmsKeyFingerprint = "SHA256:" + new string('0', 64) })).Response;
        Assert.Equal(HttpStatusCode.BadRequest, wrongKms.StatusCode);
        var shortKey = (await Record(0x50, 1, body: body with { EncryptedRootKey = Convert.ToBase64String(new byte[16]) })).Response;
        Assert.Equal("BadDeviceRecord", (await Problem(shortKey)).ErrorId);
        // Without its key check value a record could never be settled from what the node reports: refused too.
        foreach (var kcv in new[] { null, "", "12345", "1234567", "ZZZZZZ" })
        {
            var refused = (await Record(0x50, 1, body: body with { Kcv = kcv })).Response;
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("kcv", (await Problem(refused)).Detail);
        }
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task A_station_reports_the_node_key_check_value_and_the_server_settles_the_pending_record(string engine)
    {
        await using var server = await Start(engine);
        await Import(server, _network.Package(69));
        var station = server.Client(await StationToken(server, "line 4"));
        async Task<(Guid Id, string Kcv)> Record(uint node, bool confirm)
        {
            var body = new DeviceRecordRequest(69, 1, DateTimeOffset.UtcNow, _network.EncryptedRootKey(out var rootKey), "RSA-OAEP-SHA256",
                _network.KmsFingerprint, null, null, GatewayKeys.CheckValue(rootKey));
            var id = Guid.NewGuid();
            Assert.Equal(HttpStatusCode.Created, (await station.PutAsJsonAsync($"{ApiRoutes.Devices}/{node}/records/{id}", body, ApiJson.Options)).StatusCode);
            if (confirm)
                Assert.Equal(HttpStatusCode.OK, (await station.PostAsync($"{ApiRoutes.Devices}/{node}/records/{id}/confirm", null)).StatusCode);
            return (id, body.Kcv!);
        }
        Task<HttpResponseMessage> Resolve(uint node, string? kcv) =>
            station.PostAsJsonAsync($"{ApiRoutes.Devices}/0x{node:X}/resolve", new DeviceResolveRequest(kcv), ApiJson.Options);

        await Record(0x90, confirm: true);
        var (written, kcv) = await Record(0x90, confirm: false);
        await Record(0x91, confirm: false);
        var listed = await Json<List<DeviceHistory>>(await server.Admin.GetAsync($"{ApiRoutes.Devices}?unresolved=true"));
        Assert.Equal(new uint[] { 0x90, 0x91 }, listed.Select(d => d.NodeId));
        Assert.All(listed, d => Assert.True(d.Unresolved));

        var settled = await Json<DeviceResolution>(await Resolve(0x90, kcv.ToLowerInvariant()));
        Assert.Equal((DeviceResolveOutcome.Confirmed, written), (settled.Outcome, settled.Current!.RequestId));
        var none = await Json<DeviceResolution>(await Resolve(0x91, null));
        Assert.Equal((DeviceResolveOutcome.NoKey, 1), (none.Outcome, none.Abandoned));
        Assert.Equal(DeviceResolveOutcome.NotRecorded, (await Json<DeviceResolution>(await Resolve(0x92, "ABCDEF"))).Outcome);
        Assert.Empty(await Json<List<DeviceHistory>>(await server.Admin.GetAsync($"{ApiRoutes.Devices}?unresolved=true")));

        // Paging in node order; refusals.
        var page = await Json<List<DeviceHistory>>(await server.Admin.GetAsync($"{ApiRoutes.Devices}?limit=1&after=0x90"));
        Assert.Equal(0x91u, Assert.Single(page).NodeId);
        Assert.Equal("BadKcv", (await Problem(await Resolve(0x90, "12345G"))).ErrorId);
        Assert.Equal("BadLimit", (await Problem(await server.Admin.GetAsync($"{ApiRoutes.Devices}?limit=1001"))).ErrorId);
        Assert.Equal(HttpStatusCode.Forbidden, (await station.GetAsync(ApiRoutes.Devices)).StatusCode);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task A_cut_upload_imports_nothing_and_the_next_import_works(string engine)
    {
        await using var server = await Start(engine);
        string package = _network.Package(69, firmwareSize: 2 * 1024 * 1024);
        using (await HeldUpload.StartAsync(server.BaseUri, server.AdminToken, package, 0.5))
        {
        }
        // The server notices the broken upload, says so in its log and cleans its staging folder.
        string log = Path.Combine(server.DataPath, "logs", "server.log");
        await Eventually(() => File.Exists(log) && ReadShared(log).Contains("upload ended early"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(server.DataPath, "staging")));
        Assert.Empty(await Json<PackageSummary[]>(await server.Admin.GetAsync(ApiRoutes.Packages + "?history=true")));
        await Import(server, package);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Two_imports_of_one_config_at_once_one_wins_the_other_gets_a_conflict(string engine)
    {
        await using var server = await Start(engine);
        string package = _network.Package(69, firmwareSize: 1024 * 1024);
        // The first upload sends its manifest and part of the firmware, then waits.
        using var first = await HeldUpload.StartAsync(server.BaseUri, server.AdminToken, package, 0.5);
        await Eventually(() => Directory.EnumerateFiles(Path.Combine(server.DataPath, "staging"), "manifest.xml", SearchOption.AllDirectories).Any());

        var second = await server.Admin.PostAsync(ApiRoutes.Packages, Upload(package, TestNetwork.Passphrase));
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var problem = await Problem(second);
        Assert.Equal("ImportConflict", problem.ErrorId);
        Assert.Contains("69", problem.Detail);

        // The first finishes and wins.
        Assert.Contains("201", await first.FinishAsync());
        var overview = await Json<PackageSummary[]>(await server.Admin.GetAsync(ApiRoutes.Packages + "?history=true"));
        Assert.Equal(1, Assert.Single(overview).Revision);
    }

    [NonLoopbackFact]
    public async Task Gateway_keys_and_uploads_are_refused_over_plain_http_from_another_machine()
    {
        string address = NonLoopbackAddress()!;
        await using (var server = await ServerUnderTest.StartAsync(host: address))
        {
            var refusedUpload = await server.Admin.PostAsync(ApiRoutes.Packages, Upload(_network.Package(69), TestNetwork.Passphrase));
            Assert.Equal(HttpStatusCode.Forbidden, refusedUpload.StatusCode);
            Assert.Equal("InsecureKeyTransport", (await Problem(refusedUpload)).ErrorId);
        }

        // Import from loopback, then look at the same data from the other address.
        string data = Directory.CreateTempSubdirectory("prov-srv-").FullName;
        await using (var local = await ServerUnderTest.StartAsync(dataPath: data))
            await Import(local, _network.Package(69));
        await using (var remote = await ServerUnderTest.StartAsync(dataPath: data, host: address))
        {
            Assert.Equal(HttpStatusCode.OK, (await remote.Admin.GetAsync(ApiRoutes.Configs + "/69")).StatusCode);
            var keys = await remote.Admin.GetAsync(ApiRoutes.Configs + "/69/gateway-keys");
            Assert.Equal(HttpStatusCode.Forbidden, keys.StatusCode);
            string body = await keys.Content.ReadAsStringAsync();
            Assert.Contains("InsecureKeyTransport", body);
            Assert.DoesNotContain(Convert.ToHexString(_network.GatewayKey), body, StringComparison.OrdinalIgnoreCase);
        }
        await using (var optedIn = await ServerUnderTest.StartAsync(dataPath: data, host: address, extra: "--Provisioning:AllowInsecureKeyTransport=true"))
        {
            var keys = await Json<GatewayKeysInfo>(await optedIn.Admin.GetAsync(ApiRoutes.Configs + "/69/gateway-keys"));
            Assert.Equal(Convert.ToHexString(_network.GatewayKey), keys.GatewayKey);
        }
    }

    internal static string? NonLoopbackAddress() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))?.ToString();

    private static byte[] ReadSharedBytes(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        file.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ReadShared(string path)
    {
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }

    internal static async Task Eventually(Func<bool> condition, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail("The condition did not become true in time.");
            await poll.WaitForNextTickAsync();
        }
    }
}

/// <summary>A test that needs a non-loopback IPv4 address on this machine; skipped, saying so, where there is none.</summary>
public sealed class NonLoopbackFactAttribute : FactAttribute
{
    public NonLoopbackFactAttribute()
    {
        if (ServerApiTests.NonLoopbackAddress() is null)
            Skip = "This machine has no non-loopback IPv4 address to connect from.";
    }
}
