using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Provisioning.Core.Api;

namespace Provisioning.Bench;

/// <summary>HTTP plumbing shared by the export and station benches: clients with a bearer token, JSON bodies, clear failures.</summary>
internal static class BenchHttp
{
    /// <summary>A client with its own connection pool; <paramref name="connections"/> 1 makes it one station's single connection.</summary>
    /// <remarks>Over HTTPS the server is trusted by <paramref name="ca"/> alone, and <paramref name="certificate"/>, when given, is the station's client certificate.</remarks>
    public static HttpClient Client(Uri server, string? token, int connections = int.MaxValue, X509Certificate2? ca = null, X509Certificate2? certificate = null)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10) };
        if (ca is not null)
            handler.SslOptions.RemoteCertificateValidationCallback = BenchTls.TrustOnly(ca);
        if (certificate is not null)
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { certificate };
        var client = new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The admin token the server wrote on first start.</summary>
    public static string AdminToken(string dataPath) => File.ReadAllText(Path.Combine(dataPath, "admin.token")).Trim();

    public static ByteArrayContent Json<T>(T body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, ApiJson.Options));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, string what)
    {
        await EnsureAsync(response, what);
        return await JsonSerializer.DeserializeAsync<T>(await response.Content.ReadAsStreamAsync(), ApiJson.Options)
            ?? throw new InvalidOperationException($"{what}: the server answered with an empty body.");
    }

    public static async Task EnsureAsync(HttpResponseMessage response, string what, int? expected = null)
    {
        if (expected is { } status ? (int)response.StatusCode == status : response.IsSuccessStatusCode)
            return;
        string body = await response.Content.ReadAsStringAsync();
        throw new InvalidOperationException($"{what}: HTTP {(int)response.StatusCode} {body}");
    }
}
