using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Provisioning.Core.Api;
using Provisioning.Core.Export;
using static Microsoft.Playwright.Assertions;

namespace Provisioning.Web.Tests;

/// <summary>The web pages under /provisioning as people use them, in headless chromium against a real server process.</summary>
[Collection(WebSiteCollection.Name)]
public sealed class WebPagesTests(WebSite site)
{
    private const string FailedMessage = "The user name or password is wrong, or the account is disabled.";

    [BrowserFact]
    public async Task Anonymous_visitors_are_sent_to_login_and_a_wrong_password_gets_one_generic_message()
    {
        var page = await site.NewPageAsync();
        await page.GotoAsync("/provisioning/export");
        await Expect(page).ToHaveURLAsync(new Regex("/provisioning/login\\?ReturnUrl=%2Fprovisioning%2Fexport$"));
        await Screenshots.TakeAsync(page, "login");

        await page.GetByLabel("User name").FillAsync(WebSite.AdminName);
        await page.GetByLabel("Password").FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(FailedMessage);
        await Screenshots.TakeAsync(page, "login-failed");
        // A name that does not exist gets the very same answer.
        await page.GetByLabel("User name").FillAsync("nobody-here");
        await page.GetByLabel("Password").FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(FailedMessage);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "prov_session");

        // The right password then signs in and returns to the page asked for.
        await page.GetByLabel("User name").FillAsync(WebSite.AdminName);
        await page.GetByLabel("Password").FillAsync(WebSite.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/provisioning/export$"));
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Import_shows_the_verified_package_then_imports_it_without_a_second_upload()
    {
        string package = site.Package(69, ["kite_170"]);
        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.AdminName, WebSite.AdminPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Import", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Import Provisioning Package" })).ToBeVisibleAsync();
        await page.GetByLabel("Passphrase").FillAsync(WebSite.GatewayPassphrase);
        await page.GetByLabel("Comment").FillAsync("Import Demo.");
        await page.GetByLabel(new Regex("^File")).SetInputFilesAsync(package);
        await Screenshots.TakeAsync(page, "import");
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();

        var information = page.Locator("dl.facts");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Uploaded Package Information" })).ToBeVisibleAsync();
        await Expect(information).ToContainTextAsync("Prov. Config ID69");
        await Expect(information).ToContainTextAsync("App. Labelge_sgm3000_falconv1_zigbeev2");
        await Expect(information).ToContainTextAsync("App. Nameemcm");
        await Expect(information).ToContainTextAsync("App. Version5.6.7.8");
        await Expect(information).ToContainTextAsync(Sha256(package));
        await Screenshots.TakeAsync(page, "import-preview");
        // Verified and staged, not imported: the API does not list it yet.
        Assert.DoesNotContain(await Packages(), p => p.ConfigId == 69);
        Assert.NotEmpty(Directory.GetDirectories(site.StagingPath));

        var import = await page.RunAndWaitForRequestAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Import", Exact = true }).ClickAsync(),
            r => r.Method == "POST");
        Assert.True(import.PostDataBuffer!.Length < 2048, $"Import sent {import.PostDataBuffer.Length} bytes: it must not upload the package again.");
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Imported config 69 revision 1");
        await Screenshots.TakeAsync(page, "import-done");
        Assert.Contains(await Packages(), p => p.ConfigId == 69 && p.Comment == "Import Demo." && p.PackageSha256 == Sha256(package));
        Assert.Empty(Directory.GetDirectories(site.StagingPath));

        // The overview shows the guide's columns and the package; its detail page the files, aliases and revisions.
        await page.GetByRole(AriaRole.Link, new() { Name = "Go To Overview" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Import Demo." });
        await Expect(row).ToContainTextAsync(new Regex(string.Join(@"\s*", new[] { "69", "UNODE", "1.2.3.4", "ge_sgm3000_falconv1_zigbeev2",
            "emcm(5.6.7.8)", "Import Demo." }.Select(Regex.Escape))));
        foreach (string column in new[] { "Prov. Config ID", "Node Type", "Node Version", "App. Label", "App. Names (versions)", "Comment", "Imported Time" })
            await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = column, Exact = true })).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "overview");
        await row.GetByRole(AriaRole.Link, new() { Name = "69" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Config 69" })).ToBeVisibleAsync();
        await Expect(page.Locator("dl.facts")).ToContainTextAsync("kite_170");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "node.bin" })).ToContainTextAsync("NodeFirmware");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "1 (current)" })).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "config");
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Cancel_discards_the_verified_upload_and_imports_nothing()
    {
        string package = site.Package(73);
        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.AdminName, WebSite.AdminPassword);
        await Upload(page, package, WebSite.GatewayPassphrase);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Uploaded Package Information" })).ToBeVisibleAsync();
        string preview = page.Url;
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("The upload was cancelled; nothing was imported.");
        Assert.DoesNotContain(await Packages(), p => p.ConfigId == 73);
        Assert.Empty(Directory.GetDirectories(site.StagingPath));
        // The staged upload is gone: its page says so and cannot import it.
        var gone = await page.GotoAsync(preview);
        Assert.Equal(404, gone!.Status);
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Upload the package again.");
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task A_wrong_passphrase_a_package_too_large_or_a_cut_one_imports_nothing_and_says_why()
    {
        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.AdminName, WebSite.AdminPassword);

        await Upload(page, site.Package(72), "not the passphrase");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("was not imported");

        // Just over the limit (the server stops reading at it), and far over (the request itself is too large).
        foreach (int firmwareSize in new[] { (int)WebSite.MaxPackageSize + 8 * 1024, (int)WebSite.MaxPackageSize + 256 * 1024 })
        {
            await Upload(page, site.Package(72, firmwareSize: firmwareSize), WebSite.GatewayPassphrase);
            await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The package is larger than the 0.5 MiB this server accepts");
        }
        await Screenshots.TakeAsync(page, "import-too-large");

        string whole = site.Package(72);
        string cut = Path.Combine(site.Root, "cut.tar.gz");
        byte[] bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        await Upload(page, cut, WebSite.GatewayPassphrase);
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("is damaged");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Nothing was imported.");

        Assert.DoesNotContain(await Packages(), p => p.ConfigId == 72);
        Assert.Empty(Directory.GetDirectories(site.StagingPath));
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task An_upload_cut_off_mid_way_imports_nothing_and_leaves_nothing_staged()
    {
        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.AdminName, WebSite.AdminPassword);
        await page.GotoAsync("/provisioning/import");
        string token = (await page.Locator($"#main input[name={WebSite.AntiforgeryField}]").GetAttributeAsync("value"))!;
        string cookies = string.Join("; ", (await page.Context.CookiesAsync()).Select(c => $"{c.Name}={c.Value}"));

        // The browser's form, sent by hand so the connection can drop after 60 % of the package.
        using var form = new MultipartFormDataContent
        {
            { new StringContent(token), WebSite.AntiforgeryField },
            { new StringContent(WebSite.GatewayPassphrase), "passphrase" },
            { new ByteArrayContent(File.ReadAllBytes(site.Package(76, firmwareSize: 256 * 1024))), "package", "provPackage_76.tar.gz" },
        };
        byte[] body = await form.ReadAsByteArrayAsync();
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await tcp.ConnectAsync(site.BaseUri.Host, site.BaseUri.Port);
            using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, certificate, _, _) => site.IsServerCertificate(certificate));
            await tls.AuthenticateAsClientAsync(site.BaseUri.Host);
            string head = $"POST /provisioning/import HTTP/1.1\r\nHost: {site.BaseUri.Authority}\r\nCookie: {cookies}\r\n" +
                          $"Content-Type: {form.Headers.ContentType}\r\nContent-Length: {body.Length}\r\n\r\n";
            await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
            await tls.WriteAsync(body.AsMemory(0, body.Length * 6 / 10));
            await tls.FlushAsync();
            // Cut it once the server is verifying the package (its staging folder exists), not before the request got in.
            var streaming = DateTime.UtcNow.AddSeconds(30);
            using var wait = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            while (Directory.GetDirectories(site.StagingPath).Length == 0)
            {
                Assert.True(DateTime.UtcNow < streaming, "The server did not start verifying the upload: " + site.ServerOutput);
                await wait.WaitForNextTickAsync();
            }
        }

        // The server records the refused upload in the audit log once it has seen the connection end.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        AuditEntry? refused;
        while ((refused = (await site.Api.GetFromJsonAsync<AuditEntry[]>($"{ApiRoutes.Audit}?action=package.dryrun", ApiJson.Options))!
                   .FirstOrDefault(e => e.Target == "provPackage_76.tar.gz")) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "The server did not record the cut upload: " + site.ServerOutput);
            await poll.WaitForNextTickAsync();
        }
        Assert.False(refused.Succeeded);
        Assert.Contains("UploadIncomplete", refused.Detail);
        Assert.DoesNotContain(await Packages(), p => p.ConfigId == 76);
        Assert.Empty(Directory.GetDirectories(site.StagingPath));
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Export_downloads_a_key_file_the_KMS_key_decrypts_and_shows_its_receipt_and_warnings()
    {
        await site.ImportAsync(site.Package(70), "export line");
        var keys = new Dictionary<uint, byte[]>
        {
            [0x0010] = await site.RecordDeviceAsync(70, 0x0010, 1000),
            [0x0011] = await site.RecordDeviceAsync(70, 0x0011, 1000),
            [0x0040] = await site.RecordDeviceAsync(70, 0x0040, 1001),
        };
        await site.RecordDeviceAsync(70, 0x0012, 1000, confirm: false);
        await site.RecordDeviceAsync(70, 0x0050, 2000);

        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.ExporterName, WebSite.ExporterPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Export", Exact = true }).ClickAsync();
        await page.GetByLabel("Prov. Config ID").SelectOptionAsync("70");
        await page.GetByLabel("Batch Number(s)").FillAsync("1000-1001");
        await page.GetByLabel("Node ID(s)").FillAsync("0x0010-0x001F,0x0040");
        await page.GetByLabel("From Date").FillAsync(DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd"));
        await page.GetByLabel("To Date").FillAsync(DateTime.UtcNow.ToString("yyyy-MM-dd"));
        await Screenshots.TakeAsync(page, "export");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export", Exact = true }).ClickAsync());
        Assert.Equal("device_keys.xml", download.SuggestedFilename);
        string file = Path.Combine(site.Root, "device_keys.xml");
        await download.SaveAsAsync(file);

        // The KMS ingests it as Read-ProvKeyFile does: every root key decrypts with the KMS private key.
        using (var ingest = new KeyFileIngest(site.KmsPrivateKeyPath, WebSite.KmsPassphrase))
        using (var reader = KeyExportReader.Open(file))
        {
            var found = new Dictionary<uint, byte[]>();
            while (reader.Read() is { } device)
            {
                using var key = ingest.Decrypt(device, file);
                found[device.NodeId] = key.CopyRootKey();
            }
            Assert.Equal(keys.Keys.Order(), found.Keys.Order());
            foreach (var (node, key) in keys)
                Assert.Equal(key, found[node]);
        }

        await page.GetByRole(AriaRole.Link, new() { Name = "the receipt of your latest export" }).ClickAsync();
        var receipt = page.Locator("dl.facts");
        await Expect(receipt).ToContainTextAsync("Devices3");
        await Expect(receipt).ToContainTextAsync(Sha256(file));
        await Expect(receipt).ToContainTextAsync($"Requested by{WebSite.ExporterName}");
        await Expect(page.Locator(".message.warning")).ToContainTextAsync("1 node(s) in this export have an unresolved pending key");
        await Expect(page.Locator(".message.warning")).ToContainTextAsync("Get-ProvDevice -Unresolved");
        await Screenshots.TakeAsync(page, "export-receipt");

        // A filter that matches nothing says so, as Export-ProvKey warns.
        await page.GotoAsync("/provisioning/export");
        await page.GetByLabel("Prov. Config ID").SelectOptionAsync("70");
        await page.GetByLabel("Batch Number(s)").FillAsync("9999");
        await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export", Exact = true }).ClickAsync());
        await page.GotoAsync("/provisioning/exports/latest");
        await Expect(page.Locator(".message.warning")).ToContainTextAsync("No device matched (config 70, batch 9999, confirmed only)");

        // A bad filter is named on the page, and nothing is downloaded.
        await page.GotoAsync("/provisioning/export");
        await page.GetByLabel("Node ID(s)").FillAsync("0xZZ");
        await page.GetByRole(AriaRole.Button, new() { Name = "Export", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("0xZZ");
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Devices_show_the_current_record_and_history_without_key_material()
    {
        await site.ImportAsync(site.Package(74));
        await site.RecordDeviceAsync(74, 0x0A01, 500);
        await site.RecordDeviceAsync(74, 0x0A01, 501);
        await site.RecordDeviceAsync(74, 0x0A02, 500, confirm: false);
        var device = await site.Api.GetFromJsonAsync<DeviceHistory>($"{ApiRoutes.Devices}/0x0A01", ApiJson.Options);

        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.ExporterName, WebSite.ExporterPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Devices" }).ClickAsync();
        await page.GetByLabel("Node ID").FillAsync("0x0A01");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Node 0x00000A01" })).ToBeVisibleAsync();
        await Expect(page.Locator("dl.facts")).ToContainTextAsync("Batch501");
        await Expect(page.Locator("dl.facts")).ToContainTextAsync(device!.Current!.Kcv!);
        await Expect(page.Locator("tbody tr").Filter(new() { HasText = "replaced" })).ToContainTextAsync("500");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "0x00000A02" })).ToBeVisibleAsync();
        string html = await page.ContentAsync();
        foreach (var record in device.Records)
            Assert.DoesNotContain(record.EncryptedRootKey, html);
        await Screenshots.TakeAsync(page, "devices");

        await page.GetByLabel("Node ID").FillAsync("banana");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("'banana' is not a node ID");
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Stations_page_shows_a_new_token_once_and_revokes_it_and_the_audit_log_records_both()
    {
        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.AdminName, WebSite.AdminPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Stations" }).ClickAsync();
        await page.GetByLabel("Name").FillAsync("line 7");
        await page.GetByLabel("Role").SelectOptionAsync(TokenRoles.Station);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        string secret = (await page.Locator(".secret").TextContentAsync())!.Trim();
        Assert.StartsWith("prov_", secret);
        await Screenshots.TakeAsync(page, "stations-token-created");

        using var station = new HttpClient(site.TrustingServerCa()) { BaseAddress = site.BaseUri };
        station.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        Assert.Equal(HttpStatusCode.NotFound, (await station.GetAsync($"{ApiRoutes.Configs}/999")).StatusCode);

        await page.GotoAsync("/provisioning/stations");
        Assert.DoesNotContain(secret, await page.ContentAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke token line 7" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, (await station.GetAsync($"{ApiRoutes.Configs}/999")).StatusCode);

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        await page.GetByLabel("Action").FillAsync("token*");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "token.create" }).First).ToContainTextAsync($"user {WebSite.AdminName}");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "token.revoke" }).First).ToBeVisibleAsync();
        Assert.DoesNotContain(secret, await page.ContentAsync());
        await page.GetByLabel("Action").FillAsync("login*");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "login" }).First).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "audit");
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Stations_page_lists_station_certificates_and_revokes_one()
    {
        // A station's certificate, issued from its own key's request as New-ProvStationCertificate asks for it.
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        string csr = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=line 9", key,
            System.Security.Cryptography.HashAlgorithmName.SHA256).CreateSigningRequestPem();
        var issued = await site.Api.PostAsJsonAsync(ApiRoutes.Certificates, new CertificateSigningRequest("line 9", csr, 30), ApiJson.Options);
        Assert.True(issued.IsSuccessStatusCode, await issued.Content.ReadAsStringAsync());
        var certificate = (await issued.Content.ReadFromJsonAsync<IssuedStationCertificate>(ApiJson.Options))!.Info;

        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.AdminName, WebSite.AdminPassword);
        await page.GotoAsync("/provisioning/stations");
        var row = page.Locator("tbody tr").Filter(new() { HasText = "line 9" });
        await Expect(row).ToContainTextAsync("valid");
        await Expect(row).ToContainTextAsync(certificate.Thumbprint);
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke certificate line 9" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The station certificate line 9");
        await Expect(row).ToContainTextAsync($"revoked");
        await Expect(row).ToContainTextAsync($"by {WebSite.AdminName}");
        await Screenshots.TakeAsync(page, "stations");
        var listed = await site.Api.GetFromJsonAsync<StationCertificateInfo[]>(ApiRoutes.Certificates, ApiJson.Options);
        Assert.NotNull(Assert.Single(listed!, c => c.Id == certificate.Id).Revoked);
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task A_form_post_without_its_antiforgery_token_is_refused()
    {
        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.AdminName, WebSite.AdminPassword);
        var api = page.Context.APIRequest;
        async Task<int> PostWithoutToken(string path, Dictionary<string, string> fields)
        {
            var form = api.CreateFormData();
            foreach (var (name, value) in fields)
                form.Set(name, value);
            return (await api.PostAsync(path, new() { Form = form, MaxRedirects = 0 })).Status;
        }
        Assert.Equal(400, await PostWithoutToken("/provisioning/stations?handler=create", new() { ["Name"] = "forged", ["Role"] = TokenRoles.Admin }));
        Assert.Equal(400, await PostWithoutToken("/provisioning/logout", []));
        Assert.Equal(400, await PostWithoutToken("/provisioning/export", new() { ["ConfigId"] = "70" }));
        var upload = api.CreateFormData();
        upload.Set("passphrase", WebSite.GatewayPassphrase);
        upload.Set("package", new FilePayload { Name = "p.tar.gz", MimeType = "application/gzip", Buffer = File.ReadAllBytes(site.Package(75)) });
        Assert.Equal(400, (await api.PostAsync("/provisioning/import", new() { Multipart = upload, MaxRedirects = 0 })).Status);
        Assert.DoesNotContain(await Packages(), p => p.ConfigId == 75);
        Assert.DoesNotContain(await site.Api.GetFromJsonAsync<TokenInfo[]>(ApiRoutes.Tokens, ApiJson.Options) ?? [], t => t.Name == "forged");
        // The session is still good: only the forged posts were refused.
        await page.GotoAsync("/provisioning");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Log out" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task The_session_cookie_is_HttpOnly_and_SameSite_Strict_and_logout_ends_the_session()
    {
        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.AdminName, WebSite.AdminPassword);
        var cookies = await page.Context.CookiesAsync();
        var session = Assert.Single(cookies, c => c.Name == "prov_session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.Equal("/provisioning", session.Path);
        Assert.True(session.Secure, "over HTTPS the session cookie is Secure");
        foreach (var cookie in cookies)
            Assert.True(cookie.HttpOnly, $"{cookie.Name} is readable by script");

        // A copy of the cookie works while the session lasts...
        var copy = await site.NewPageAsync();
        await copy.Context.AddCookiesAsync(cookies.Select(c => new Microsoft.Playwright.Cookie { Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path }));
        await copy.GotoAsync("/provisioning");
        await Expect(copy.GetByRole(AriaRole.Button, new() { Name = "Log out" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("You are logged out.");
        await Screenshots.TakeAsync(page, "logout");
        await page.GotoAsync("/provisioning");
        await Expect(page).ToHaveURLAsync(new Regex("/provisioning/login"));

        // ...and not after logout: the session is gone on the server.
        await copy.GotoAsync("/provisioning");
        await Expect(copy).ToHaveURLAsync(new Regex("/provisioning/login"));
        await page.Context.CloseAsync();
        await copy.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Disabling_an_account_ends_its_session_at_once()
    {
        const string name = "dora", password = "dora's web password";
        await site.CreateUserAsync(name, TokenRoles.Exporter, password);
        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, name, password);
        var disable = await site.Api.PatchAsJsonAsync($"{ApiRoutes.Users}/{name}", new UserUpdate(null, true, null), ApiJson.Options);
        Assert.True(disable.IsSuccessStatusCode, await disable.Content.ReadAsStringAsync());
        await page.GotoAsync("/provisioning/export");
        await Expect(page).ToHaveURLAsync(new Regex("/provisioning/login"));
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task An_exporter_cannot_reach_import_or_admin_pages()
    {
        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.ExporterName, WebSite.ExporterPassword);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Import", Exact = true })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Stations" })).ToHaveCountAsync(0);
        foreach (string path in new[] { "/provisioning/import", "/provisioning/import/0123456789abcdef0123456789abcdef", "/provisioning/stations", "/provisioning/audit" })
        {
            var response = await page.GotoAsync(path);
            Assert.Equal(403, response!.Status);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
        }
        await Screenshots.TakeAsync(page, "denied");
        // A post straight to the import is refused before anything is read.
        var form = page.Context.APIRequest.CreateFormData();
        form.Set("passphrase", WebSite.GatewayPassphrase);
        Assert.Equal(403, (await page.Context.APIRequest.PostAsync("/provisioning/import", new() { Multipart = form })).Status);
        // The overview and export remain theirs.
        Assert.Equal(200, (await page.GotoAsync("/provisioning"))!.Status);
        Assert.Equal(200, (await page.GotoAsync("/provisioning/export"))!.Status);
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task With_JavaScript_off_login_import_export_and_logout_still_work()
    {
        var page = await site.NewPageAsync(javaScript: false);
        await WebSite.LoginAsync(page, WebSite.AdminName, WebSite.AdminPassword);
        await Upload(page, site.Package(71), WebSite.GatewayPassphrase);
        await page.GetByRole(AriaRole.Button, new() { Name = "Import", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Imported config 71 revision 1");
        await site.RecordDeviceAsync(71, 0x0711, 7);

        await page.GotoAsync("/provisioning/export?configId=71");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export", Exact = true }).ClickAsync());
        string file = Path.Combine(site.Root, "device_keys_nojs.xml");
        await download.SaveAsAsync(file);
        using (var reader = KeyExportReader.Open(file))
            Assert.Equal(0x0711u, Assert.Single(reader.ReadAll()).NodeId);
        await page.GotoAsync("/provisioning/exports/latest");
        await Expect(page.Locator("dl.facts")).ToContainTextAsync(Sha256(file));

        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("You are logged out.");
        await page.Context.CloseAsync();
    }

    [BrowserFact]
    public async Task Every_response_carries_the_security_headers()
    {
        site.RequireBrowser();
        using var handler = site.TrustingServerCa();
        handler.AllowAutoRedirect = false;
        using var anonymous = new HttpClient(handler) { BaseAddress = site.BaseUri };
        foreach (string path in new[] { "/provisioning/login", "/provisioning", "/provisioning/static/site.css", ApiRoutes.Health, ApiRoutes.Packages, "/nothing/here" })
        {
            var response = await anonymous.GetAsync(path);
            string csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.Contains("script-src 'none'", csp);
            Assert.DoesNotContain("unsafe-inline", csp);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
            Assert.Equal("max-age=31536000", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
        }
        // The pages hold no script at all.
        var page = await site.NewPageAsync();
        await WebSite.LoginAsync(page, WebSite.AdminName, WebSite.AdminPassword);
        foreach (string path in new[] { "/provisioning", "/provisioning/import", "/provisioning/export", "/provisioning/devices", "/provisioning/stations", "/provisioning/audit" })
        {
            await page.GotoAsync(path);
            await Expect(page.Locator("script")).ToHaveCountAsync(0);
            await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" })).ToHaveCountAsync(1);
        }
        await page.Context.CloseAsync();
    }

    private async Task<PackageSummary[]> Packages() =>
        await site.Api.GetFromJsonAsync<PackageSummary[]>(ApiRoutes.Packages, ApiJson.Options) ?? [];

    private static async Task Upload(IPage page, string package, string passphrase)
    {
        await page.GotoAsync("/provisioning/import");
        await page.GetByLabel("Passphrase").FillAsync(passphrase);
        await page.GetByLabel(new Regex("^File")).SetInputFilesAsync(package);
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
