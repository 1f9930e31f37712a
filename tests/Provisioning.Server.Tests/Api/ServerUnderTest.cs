using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Provisioning.Server.Hosting;

namespace Provisioning.Server.Tests.Api;

/// <summary>
/// A real server on a real port (Kestrel, in this process) with its own data folder, on SQLite or on the MariaDB
/// named by PROV_TEST_MYSQL. Tests talk to it over HTTP like any client.
/// </summary>
public sealed class ServerUnderTest : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsData;
    public string DataPath { get; }
    public Uri BaseUri { get; }
    public string AdminToken { get; }
    public HttpClient Admin { get; }
    public HttpClient Anonymous { get; }
    /// <summary>The server's services (its store, its CA, audit log, sign-in), for tests that set up or drive a part directly.</summary>
    public IServiceProvider Services => _app.Services;

    private ServerUnderTest(WebApplication app, string dataPath, Uri baseUri, bool ownsData)
    {
        _app = app;
        _ownsData = ownsData;
        DataPath = dataPath;
        BaseUri = baseUri;
        AdminToken = File.ReadAllText(Path.Combine(dataPath, "admin.token")).Trim();
        Admin = Client(AdminToken);
        Anonymous = Client(null);
    }

    public static async Task<ServerUnderTest> StartAsync(string? database = null, string? dataPath = null, string host = "127.0.0.1", params string[] extra)
    {
        bool ownsData = dataPath is null;
        dataPath ??= Directory.CreateTempSubdirectory("prov-srv-").FullName;
        int port = FreePort(host);
        var args = new List<string>
        {
            "--urls", $"http://{host}:{port}",
            $"--Provisioning:DataPath={dataPath}",
            "--Provisioning:ConsoleLog=false",
            "--Provisioning:TokenCacheSeconds=0",
        };
        if (database is not null)
            args.Add($"--Provisioning:Database={database}");
        args.AddRange(extra);
        var app = ProvisioningServer.Build(args.ToArray());
        await ProvisioningServer.PrepareAsync(app);
        await app.StartAsync();
        return new ServerUnderTest(app, dataPath, new Uri($"http://{host}:{port}"), ownsData);
    }

    public HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static int FreePort(string host = "127.0.0.1")
    {
        using var listener = new TcpListener(IPAddress.Parse(host), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Anonymous.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsData)
            try { Directory.Delete(DataPath, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
