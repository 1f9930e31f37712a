using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Playwright;
using Provisioning.Core.Api;
using Provisioning.Core.Crypto;
using Provisioning.Server.Tests.Api;

namespace Provisioning.Web.Tests;

/// <summary>
/// What the browser tests share: a real server process serving HTTPS on loopback with its own CA (its own data folder,
/// SQLite), a network's keys
/// made with the real crypto and packages built with the real writer (TestNetwork, shared with the server tests), two accounts made
/// through the API (an admin and an exporter), and Debian's chromium driven by Playwright.
/// </summary>
public sealed class WebSite : IAsyncLifetime
{
    public const string GatewayPassphrase = TestNetwork.Passphrase;
    public const string KmsPassphrase = "kms key passphrase for the tests";
    public const string AdminName = "ada", AdminPassword = "ada's long web password";
    public const string ExporterName = "eve", ExporterPassword = "eve exports the keys";
    /// <summary>The server accepts packages up to this size, so a test can send a larger one.</summary>
    public const long MaxPackageSize = 512 * 1024;

    private readonly StringBuilder _output = new();
    private Process? _server;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public string Root { get; } = Directory.CreateTempSubdirectory("prov-web-").FullName;
    public string DataPath => Path.Combine(Root, "server");
    public string StagingPath => Path.Combine(DataPath, "staging");
    public Uri BaseUri { get; private set; } = new("http://127.0.0.1/");
    public HttpClient Api { get; private set; } = new();
    /// <summary>The network's keys and package builder (shared with the server tests).</summary>
    public TestNetwork Network { get; } = new();
    /// <summary>The KMS private key as the KMS keeps it: an encrypted PKCS#8 file, opened with <see cref="KmsPassphrase"/>.</summary>
    public string KmsPrivateKeyPath => Path.Combine(Root, "kms_key.pem");
    public string ServerOutput { get { lock (_output) return _output.ToString(); } }

    public async Task InitializeAsync()
    {
        if (BrowserFactAttribute.Missing is not null)
            return;
        File.WriteAllText(KmsPrivateKeyPath, Network.Kms.ExportEncryptedPkcs8PrivateKeyPem(KmsPassphrase,
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));

        await StartServerAsync();
        await CreateUserAsync(AdminName, TokenRoles.Admin, AdminPassword);
        await CreateUserAsync(ExporterName, TokenRoles.Exporter, ExporterPassword);

        // Playwright's own requests (APIRequest, used for the forged posts) go out from its Node driver: it trusts the CA file.
        Environment.SetEnvironmentVariable("NODE_EXTRA_CA_CERTS", CaCertificatePath);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = BrowserFactAttribute.ChromiumPath,
            Headless = true,
            // The browser trusts the server by its certificate's key, pinned after the handshake above checked it against the
            // server's own CA: what an operator does by installing ca.crt, without touching the machine's trust store.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                $"--ignore-certificate-errors-spki-list={ServerKeyPin}"],
        });
    }

    /// <summary>Fails with the reason when the browser is missing (CI), so every test says what is wrong.</summary>
    public void RequireBrowser()
    {
        if (BrowserFactAttribute.Missing is { } reason)
            Assert.Fail($"Browser tests {reason}.");
    }

    /// <summary>The server's own CA certificate (written on its first start).</summary>
    public string CaCertificatePath => Path.Combine(DataPath, "tls", "ca.crt");

    /// <summary>SHA-256 of the server certificate's public key (base64), as chromium pins it; seen through a handshake checked against the CA.</summary>
    public string ServerKeyPin { get; private set; } = "";

    /// <summary>An HTTP handler that trusts the server's own CA, and nothing else, for the server's certificate.</summary>
    public HttpClientHandler TrustingServerCa() => new() { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => IsServerCertificate(certificate) };

    /// <summary>Whether a certificate chains to the server's own CA (and, if so, remembers its key for the browser's pin).</summary>
    public bool IsServerCertificate(X509Certificate? presented)
    {
        if (presented is null || !File.Exists(CaCertificatePath))
            return false;
        using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(CaCertificatePath));
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(certificate))
            return false;
        ServerKeyPin = Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        return true;
    }

    /// <summary>The antiforgery form field of the pages.</summary>
    public const string AntiforgeryField = "__RequestVerificationToken";

    private async Task StartServerAsync()
    {
        int port;
        using (var listener = new TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        BaseUri = new Uri($"https://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "Provisioning.Server.dll"), "--urls", BaseUri.ToString().TrimEnd('/'),
            $"--Provisioning:DataPath={DataPath}", "--Provisioning:ConsoleLog=true", "--Provisioning:TokenCacheSeconds=0", "--Provisioning:Tls=true",
            $"--Provisioning:MaxPackageSize={MaxPackageSize}" })
            start.ArgumentList.Add(arg);
        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _server.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        using var probe = new HttpClient(TrustingServerCa()) { BaseAddress = BaseUri };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (true)
        {
            Assert.False(_server.HasExited, "The server exited: " + ServerOutput);
            try
            {
                if ((await probe.GetFromJsonAsync<HealthInfo>(ApiRoutes.Health, ApiJson.Options))?.ProcessId == _server.Id)
                    break;
            }
            catch (HttpRequestException) { }
            catch (IOException) { } // the CA file is written during start
            Assert.True(DateTime.UtcNow < deadline, "The server did not answer in time: " + ServerOutput);
            await poll.WaitForNextTickAsync();
        }
        Api = new HttpClient(TrustingServerCa()) { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            File.ReadAllText(Path.Combine(DataPath, "admin.token")).Trim());
    }

    /// <summary>Makes an account through the API, as New-ProvUser does.</summary>
    public async Task CreateUserAsync(string name, string role, string password)
    {
        var response = await Api.PostAsJsonAsync(ApiRoutes.Users, new UserRequest(name, role, password), ApiJson.Options);
        Assert.True(response.IsSuccessStatusCode, $"Creating the user {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Builds a package for <paramref name="configId"/> (with an application bundle) and returns its path.</summary>
    public string Package(ulong configId, string[]? aliases = null, int firmwareSize = 4096) =>
        Network.Package(configId, aliases, firmwareSize: firmwareSize, name: $"provPackage_{configId}_{Guid.NewGuid():N}.tar.gz");

    /// <summary>Imports a package through the API (for tests about other pages).</summary>
    public async Task ImportAsync(string package, string? comment = null)
    {
        using var form = new MultipartFormDataContent { { new StringContent(GatewayPassphrase), "passphrase" } };
        if (comment is not null)
            form.Add(new StringContent(comment), "comment");
        var file = new StreamContent(File.OpenRead(package));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        form.Add(file, "package", Path.GetFileName(package));
        var response = await Api.PostAsync(ApiRoutes.Packages, form);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Records a device as a station does (pending, then confirmed unless <paramref name="confirm"/> is false); returns its root key.</summary>
    public async Task<byte[]> RecordDeviceAsync(ulong configId, uint nodeId, uint batch, bool confirm = true)
    {
        var body = new DeviceRecordRequest(configId, batch, DateTimeOffset.UtcNow, Network.EncryptedRootKey(out byte[] rootKey),
            RootKeyEncryption.Algorithm, Network.KmsFingerprint, null, "line 1", GatewayKeys.CheckValue(rootKey));
        var requestId = Guid.NewGuid();
        var recorded = await Api.PutAsJsonAsync($"{ApiRoutes.Devices}/0x{nodeId:X}/records/{requestId}", body, ApiJson.Options);
        Assert.True(recorded.IsSuccessStatusCode, await recorded.Content.ReadAsStringAsync());
        if (confirm)
        {
            var confirmed = await Api.PostAsync($"{ApiRoutes.Devices}/0x{nodeId:X}/records/{requestId}/confirm", null);
            Assert.True(confirmed.IsSuccessStatusCode, await confirmed.Content.ReadAsStringAsync());
        }
        return rootKey;
    }

    /// <summary>A fresh browser context (its own cookies) and page on the server.</summary>
    public async Task<IPage> NewPageAsync(bool javaScript = true)
    {
        RequireBrowser();
        var context = await _browser!.NewContextAsync(new()
        {
            BaseURL = BaseUri.ToString(),
            AcceptDownloads = true,
            JavaScriptEnabled = javaScript,
            ViewportSize = new() { Width = 1200, Height = 800 },
            Locale = "en-US",
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in on the login page and waits for the overview.</summary>
    public static async Task LoginAsync(IPage page, string name, string password)
    {
        await page.GotoAsync("/provisioning/login");
        await page.GetByLabel("User name").FillAsync(name);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Log out" })).ToBeVisibleAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _playwright?.Dispose();
        Api.Dispose();
        if (_server is { HasExited: false })
            _server.Kill(entireProcessTree: true);
        _server?.WaitForExit();
        _server?.Dispose();
        Network.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>The browser tests share one server and browser and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class WebSiteCollection : ICollectionFixture<WebSite>
{
    public const string Name = "web site";
}
