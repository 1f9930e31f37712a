using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Provisioning.Core.Api;

namespace Provisioning.Server.Tests.Api;

/// <summary>The server as its own process: what happens when it is killed, and how it refuses to start.</summary>
public sealed class ServerProcessTests : IDisposable
{
    private readonly TestNetwork _network = new();
    private readonly string _data = Directory.CreateTempSubdirectory("prov-proc-").FullName;

    public void Dispose()
    {
        _network.Dispose();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private sealed class ServerProcess(Process process, Uri uri, StringBuilder output) : IDisposable
    {
        public Process Process => process;
        public Uri Uri => uri;
        public string Output { get { lock (output) return output.ToString(); } }
        public void Dispose()
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            process.WaitForExit();
            process.Dispose();
        }
    }

    private static ServerProcess Launch(string dataPath, int port, params string[] extra) =>
        LaunchWith(new[] { "--urls", $"http://127.0.0.1:{port}", $"--Provisioning:DataPath={dataPath}", "--Provisioning:ConsoleLog=false" }.Concat(extra), port);

    private static ServerProcess LaunchWith(IEnumerable<string> arguments, int port)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Provisioning.Server.dll"));
        foreach (string arg in arguments)
            start.ArgumentList.Add(arg);
        var output = new StringBuilder();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"), output);
    }

    private static async Task<HttpClient> WaitUntilServing(ServerProcess server, string dataPath)
    {
        var client = new HttpClient { BaseAddress = server.Uri };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (true)
        {
            Assert.False(server.Process.HasExited, "The server exited: " + server.Output);
            try
            {
                var health = await client.GetFromJsonAsync<HealthInfo>(ApiRoutes.Health, ApiJson.Options);
                if (health?.ProcessId == server.Process.Id)
                    break;
            }
            catch (HttpRequestException) { }
            Assert.True(DateTime.UtcNow < deadline, "The server did not answer in time: " + server.Output);
            await poll.WaitForNextTickAsync();
        }
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(dataPath, "admin.token")).Trim());
        return client;
    }

    [Fact]
    public async Task A_server_killed_mid_import_restarts_with_nothing_imported_and_imports_again()
    {
        int port = ServerUnderTest.FreePort();
        string package = _network.Package(69, firmwareSize: 2 * 1024 * 1024);
        using (var server = Launch(_data, port))
        {
            using var client = await WaitUntilServing(server, _data);
            string token = File.ReadAllText(Path.Combine(_data, "admin.token")).Trim();
            using var upload = await HeldUpload.StartAsync(server.Uri, token, package, 0.75);
            await ServerApiTests.Eventually(() => Directory.EnumerateFiles(Path.Combine(_data, "staging"), "*.bin", SearchOption.AllDirectories).Any());
            server.Process.Kill(entireProcessTree: true);
            await server.Process.WaitForExitAsync();
        }

        using (var restarted = Launch(_data, port))
        {
            using var client = await WaitUntilServing(restarted, _data);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_data, "staging")));
            Assert.Empty(await client.GetFromJsonAsync<PackageSummary[]>(ApiRoutes.Packages + "?history=true", ApiJson.Options) ?? []);
            var import = await client.PostAsync(ApiRoutes.Packages, ServerApiTests.Upload(package, TestNetwork.Passphrase));
            Assert.Equal(HttpStatusCode.Created, import.StatusCode);
            // The admin token made on the first start still works: it was not made again.
            Assert.Single((await client.GetFromJsonAsync<TokenInfo[]>(ApiRoutes.Tokens, ApiJson.Options))!);
        }
    }

    [Fact]
    public async Task A_busy_port_or_a_bad_database_spec_stops_the_server_with_a_reason()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using (var busy = Launch(_data, port))
        {
            await busy.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, busy.Process.ExitCode);
            Assert.Contains("port", busy.Output);
        }
        using (var bad = Launch(_data, ServerUnderTest.FreePort(), "--Provisioning:Database=postgres:whatever"))
        {
            await bad.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, bad.Process.ExitCode);
            Assert.Contains("postgres:whatever", bad.Output);
        }
    }

    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_data_folder_and_everything_in_it_are_owner_only_while_it_serves()
    {
        if (OperatingSystem.IsWindows()) return;
        string data = Path.Combine(_data, "fresh"); // not there yet: the server makes it, and logs/ inside it, itself
        int port = ServerUnderTest.FreePort();
        using var server = Launch(data, port);
        using var client = await WaitUntilServing(server, data);
        var import = await client.PostAsync(ApiRoutes.Packages, ServerApiTests.Upload(_network.Package(69), TestNetwork.Passphrase));
        Assert.Equal(HttpStatusCode.Created, import.StatusCode);

        // Looked at while the server runs, so the SQLite -wal and -shm files are there too.
        var entries = Directory.EnumerateFileSystemEntries(data, "*", SearchOption.AllDirectories).Prepend(data).ToList();
        Assert.Contains(Path.Combine(data, "provisioning.db-wal"), entries);
        Assert.Contains(Path.Combine(data, "logs", "server.log"), entries);
        Assert.Contains(entries, e => e.Contains(Path.Combine(data, "files") + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(e));
        var open = entries.Where(e => (File.GetUnixFileMode(e) & GroupOrOther) != 0)
            .Select(e => $"{e} {Convert.ToString((int)File.GetUnixFileMode(e), 8)}").ToList();
        Assert.True(open.Count == 0, "Open to others: " + string.Join(", ", open));
    }

    [Fact]
    public async Task A_settings_file_with_Kestrel_endpoints_is_served_as_given_without_an_override_warning()
    {
        int port = ServerUnderTest.FreePort();
        string data = Path.Combine(_data, "kestrel");
        string settings = Path.Combine(_data, "server.json");
        await File.WriteAllTextAsync(settings, $$"""
            {
              "Provisioning": { "DataPath": "{{data.Replace("\\", "\\\\")}}", "ConsoleLog": true },
              "Kestrel": { "Endpoints": { "Http": { "Url": "http://127.0.0.1:{{port}}" } } }
            }
            """);
        using var server = LaunchWith(["--settings", settings], port);
        using var client = await WaitUntilServing(server, data);
        string log = await File.ReadAllTextAsync(Path.Combine(data, "logs", "server.log"));
        Assert.DoesNotContain("Overriding", log);
        Assert.DoesNotContain("Overriding", server.Output);
        Assert.DoesNotContain(" warn ", log);
    }
}
