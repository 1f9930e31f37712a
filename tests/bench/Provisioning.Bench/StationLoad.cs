using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Api;

namespace Provisioning.Bench;

/// <summary>Figures of one load phase; latencies in milliseconds, CPU in seconds used during the phase.</summary>
internal sealed record LoadFigures(
    string Phase, int Stations, int Records, double Seconds, double RecordsPerSecond, double RequestsPerSecond,
    double RecordP50, double RecordP99, double FirstP50, double FirstP99, double SecondP50, double SecondP99,
    double RequestP50, double RequestP99, double RequestMax, double? ClientCpu, double? ServerCpu, double? DatabaseCpu);

/// <summary>
/// Stations recording devices the way the real flow does (guide §3.2 steps 5–6): PUT the record as pending with the
/// root key encrypted for the config's KMS key, then confirm it. Each station has its own token and one connection.
/// The same load against the health endpoint, which touches no database, is the baseline for what the store costs.
/// </summary>
internal sealed class StationLoad : IDisposable
{
    private const int EncryptedKeyPool = 256;
    private readonly HttpClient[] _stations;
    private readonly string[] _encryptedKeys;
    private readonly ulong _configId;
    private readonly string _fingerprint;
    private readonly int? _serverPid;
    private readonly int? _databasePid;

    private StationLoad(HttpClient[] stations, string[] encryptedKeys, ulong configId, string fingerprint, int serverPid, int? databasePid)
    {
        _stations = stations;
        _encryptedKeys = encryptedKeys;
        _configId = configId;
        _fingerprint = fingerprint;
        _serverPid = serverPid;
        _databasePid = databasePid;
    }

    /// <remarks>
    /// With <paramref name="ca"/> (an HTTPS server's CA) each station authenticates by its own client certificate over
    /// mutual TLS instead of a token, as on a server started with -RequireClientCertificate (with a token over HTTPS when
    /// not <paramref name="certificates"/>).
    /// </remarks>
    /// <para>With <paramref name="spread"/> (several instances sharing one database), station i talks to spread[i % n].</para>
    public static async Task<StationLoad> CreateAsync(Uri server, string adminToken, int stations, ulong configId, string kmsPublicKeyPath,
        string fingerprint, int? databasePid, X509Certificate2? ca = null, bool certificates = true, IReadOnlyList<Uri>? spread = null)
    {
        using var admin = BenchHttp.Client(server, adminToken, ca: ca);
        using var healthResponse = await admin.GetAsync(ApiRoutes.Health);
        var health = await BenchHttp.ReadAsync<HealthInfo>(healthResponse, "GET /health");
        var clients = new HttpClient[stations];
        for (int i = 0; i < stations; i++)
        {
            if (ca is not null && certificates)
            {
                clients[i] = BenchHttp.Client(server, null, connections: 1, ca, await BenchTls.IssueAsync(admin, $"bench station {i + 1}"));
                continue;
            }
            using var response = await admin.PostAsync(ApiRoutes.Tokens, BenchHttp.Json(new TokenRequest($"bench station {i + 1}", TokenRoles.Station)));
            var token = await BenchHttp.ReadAsync<NewToken>(response, "POST /tokens");
            clients[i] = BenchHttp.Client(spread is { Count: > 0 } ? spread[i % spread.Count] : server, token.Token, connections: 1, ca);
        }
        // Encrypting is cheap next to a request, but a pool keeps the client's CPU for the HTTP work being measured.
        using var kms = RSA.Create();
        kms.ImportFromPem(await File.ReadAllTextAsync(kmsPublicKeyPath));
        var keys = new string[EncryptedKeyPool];
        for (int i = 0; i < keys.Length; i++)
            keys[i] = Convert.ToBase64String(kms.Encrypt(RandomNumberGenerator.GetBytes(16), RSAEncryptionPadding.OaepSHA256));
        return new StationLoad(clients, keys, configId, fingerprint, health.ProcessId, databasePid);
    }

    /// <summary>A warm-up then the measured phase: devices recorded (PUT pending, then confirm).</summary>
    public async Task<LoadFigures> RecordDevicesAsync(int warmup, int records)
    {
        await RunAsync("warm-up", 0, warmup, RecordAsync);
        return await RunAsync("records", warmup, records, RecordAsync);
    }

    /// <summary>The same shape of load (two requests per "record") against the health endpoint.</summary>
    public async Task<LoadFigures> HealthAsync(int warmup, int records)
    {
        await RunAsync("warm-up", 0, warmup, HealthTwiceAsync);
        return await RunAsync("health", warmup, records, HealthTwiceAsync);
    }

    /// <summary>
    /// The same shape of load against GET /whoami: a token check, which reads the database's change count once per
    /// request (what keeps the instances' caches coherent), and nothing else.
    /// </summary>
    public async Task<LoadFigures> WhoAmIAsync(int warmup, int records)
    {
        await RunAsync("warm-up", 0, warmup, (station, _, _) => GetTwiceAsync(station, ApiRoutes.WhoAmI));
        return await RunAsync("whoami", warmup, records, (station, _, _) => GetTwiceAsync(station, ApiRoutes.WhoAmI));
    }

    private delegate Task<(long First, long Second)> RecordStep(HttpClient station, int stationNumber, long index);

    private async Task<LoadFigures> RunAsync(string phase, long firstIndex, int count, RecordStep step)
    {
        var first = new long[count];
        var second = new long[count];
        long next = -1;
        double? client = ProcessCpu.Seconds(Environment.ProcessId), server = ProcessCpu.Seconds(_serverPid), database = ProcessCpu.Seconds(_databasePid);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(_stations.Select((station, number) => Task.Run(async () =>
        {
            for (long i; (i = Interlocked.Increment(ref next)) < count;)
                (first[i], second[i]) = await step(station, number, firstIndex + i);
        })));
        double seconds = clock.Elapsed.TotalSeconds;
        double? Used(double? before, int? pid) => before is { } b && ProcessCpu.Seconds(pid) is { } after ? after - b : null;

        var records = first.Zip(second, (a, b) => a + b).ToArray();
        var requests = first.Concat(second).ToArray();
        return new LoadFigures(phase, _stations.Length, count, seconds, count / seconds, 2 * count / seconds,
            Percentile(records, 0.50), Percentile(records, 0.99), Percentile(first, 0.50), Percentile(first, 0.99),
            Percentile(second, 0.50), Percentile(second, 0.99), Percentile(requests, 0.50), Percentile(requests, 0.99), Percentile(requests, 1.0),
            Used(client, Environment.ProcessId), Used(server, _serverPid), Used(database, _databasePid));
    }

    /// <summary>A key check value per device (the bench's keys are random; the server only checks the form).</summary>
    private static string KcvOf(long index) => (index & 0xFFFFFF).ToString("X6", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<(long, long)> RecordAsync(HttpClient station, int number, long index)
    {
        var device = new SeedDevice(index, Random.Shared);
        var body = new DeviceRecordRequest(_configId, device.Batch, DateTimeOffset.UtcNow, _encryptedKeys[index % _encryptedKeys.Length],
            "RSA-OAEP-SHA256", _fingerprint, device.Apps(), $"bench station {number + 1}, port ttyUSB{index % 8}", KcvOf(index));
        string record = $"{ApiRoutes.Devices}/{device.NodeId}/records/{Guid.NewGuid()}";
        long start = Stopwatch.GetTimestamp();
        using (var put = await station.PutAsync(record, BenchHttp.Json(body)))
            await BenchHttp.EnsureAsync(put, $"PUT {record}", expected: 201);
        long recorded = Stopwatch.GetTimestamp();
        using (var confirm = await station.PostAsync(record + "/confirm", null))
            await BenchHttp.EnsureAsync(confirm, $"POST {record}/confirm", expected: 200);
        return (recorded - start, Stopwatch.GetTimestamp() - recorded);
    }

    private static Task<(long, long)> HealthTwiceAsync(HttpClient station, int number, long index) => GetTwiceAsync(station, ApiRoutes.Health);

    private static async Task<(long, long)> GetTwiceAsync(HttpClient station, string route)
    {
        long start = Stopwatch.GetTimestamp();
        using (var a = await station.GetAsync(route))
            await BenchHttp.EnsureAsync(a, $"GET {route}");
        long middle = Stopwatch.GetTimestamp();
        using (var b = await station.GetAsync(route))
            await BenchHttp.EnsureAsync(b, $"GET {route}");
        return (middle - start, Stopwatch.GetTimestamp() - middle);
    }

    /// <summary>The nearest-rank percentile, in milliseconds, of Stopwatch tick durations.</summary>
    private static double Percentile(long[] ticks, double q)
    {
        if (ticks.Length == 0)
            return 0;
        var sorted = (long[])ticks.Clone();
        Array.Sort(sorted);
        int rank = Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[rank] * 1000.0 / Stopwatch.Frequency;
    }

    public void Dispose()
    {
        foreach (var station in _stations)
            station.Dispose();
    }
}
