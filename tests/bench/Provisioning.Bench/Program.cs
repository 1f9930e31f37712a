using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Provisioning.Bench;
using Provisioning.Core.Packaging;

// Usage:
//   Provisioning.Bench build <package> <kms_key.pub.pem> <gw_keys.csv.aes> <node firmware> <field config>
//   Provisioning.Bench verify <package> [<extract folder>]
//   Provisioning.Bench idle            (the runtime alone: the floor under every peak-memory figure)
//     build, verify and idle print the operation's own elapsed seconds (without process start-up) on stdout.
//   Provisioning.Bench seed <db> <configId> <kmsFingerprint> <first index> <count>
//   Provisioning.Bench select <db> <configId> [unordered]
//   Provisioning.Bench size <db>      (database bytes, device records and their payload bytes; see DatabaseSize)
//   Provisioning.Bench export <server url> <data path> <configId> <output file>
//   Provisioning.Bench stations <server url> <data path> <configId> <kms_key.pub.pem> <kmsFingerprint> <stations> <warm-up> <records> [<database pid>]
//     (an https:// server is trusted by <data path>/tls/ca.crt, and each station presents its own client certificate;
//     stations-tokens: the same with station tokens, to tell TLS from certificate checks)
//   Provisioning.Bench connections <server url> <data path> <count> <parallel> [certificate]
//     new connections, each a TCP connect (and for https a full TLS handshake, with a station certificate when asked) and one GET /health
//   Provisioning.Bench mysql-create|mysql-drop <database>
//     <db> is sqlite:<file> or mysql:<database> (server and credentials from PROV_TEST_MYSQL); the admin token is
//     read from <data path>/admin.token. These print one JSON object per line on stdout.
if (args.Length == 1 && args[0] == "idle") { Console.WriteLine("0.000"); return 0; }
if (args.Length < 2) { Console.Error.WriteLine("usage: build | verify | idle | seed | select | export | stations | mysql-create | mysql-drop (see Program.cs)"); return 2; }
var clock = Stopwatch.StartNew();
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
try
{
    switch (args[0])
    {
        case "build":
            var definition = new PackageDefinition
            {
                ConfigId = new ProvConfigId(69), AppLabel = "bench", NodeType = "UNODE", NodeVersion = "1.0.0.0",
                KmsPublicKeyPath = args[2], GatewayKeyFile = args[3], NodeFirmware = args[4], NodeFieldConfig = args[5],
            };
            PackageWriter.Build(definition, args[1], overwrite: true);
            break;
        case "verify":
            // With a folder, the files are also written out, as an import does; GNU tar xzf writes them too.
            var result = PackageVerifier.Verify(args[1], new PackageVerifyOptions { ExtractTo = args.Length > 2 ? args[2] : null });
            if (!result.IsValid) { Console.Error.WriteLine(string.Join(Environment.NewLine, result.Problems.Select(p => p.Message))); return 1; }
            break;
        case "seed" when args.Length == 6:
            long databaseBytes = await new DeviceSeeder(BenchDatabase.Parse(args[1]), ulong.Parse(args[2], CultureInfo.InvariantCulture), args[3])
                .SeedAsync(long.Parse(args[4], CultureInfo.InvariantCulture), long.Parse(args[5], CultureInfo.InvariantCulture));
            Console.WriteLine(JsonSerializer.Serialize(new { seconds = clock.Elapsed.TotalSeconds, databaseBytes }, json));
            return 0;
        case "select" when args.Length == 3 || (args.Length == 4 && args[3] == "unordered"):
            var (rows, bytes, selectSeconds, selectCpu) = await DeviceSelect.RunAsync(BenchDatabase.Parse(args[1]), ulong.Parse(args[2], CultureInfo.InvariantCulture),
                ordered: args.Length == 3);
            Console.WriteLine(JsonSerializer.Serialize(new { rows, bytes, seconds = selectSeconds, cpu = selectCpu }, json));
            return 0;
        case "size" when args.Length == 2:
            var (databaseSize, recordCount, payloadBytes) = await DatabaseSize.MeasureAsync(BenchDatabase.Parse(args[1]));
            Console.WriteLine(JsonSerializer.Serialize(new { databaseBytes = databaseSize, records = recordCount, payloadBytes }, json));
            return 0;
        case "export" when args.Length == 5:
            var (devices, size, exportSeconds, firstByte, clientCpu) = await ExportDownload.RunAsync(new Uri(args[1]), BenchHttp.AdminToken(args[2]),
                ulong.Parse(args[3], CultureInfo.InvariantCulture), args[4]);
            Console.WriteLine(JsonSerializer.Serialize(new { devices, bytes = size, seconds = exportSeconds, firstByteSeconds = firstByte, clientCpu }, json));
            return 0;
        case "stations" or "stations-tokens" when args.Length is 9 or 10:
            int stations = int.Parse(args[6], CultureInfo.InvariantCulture), warmup = int.Parse(args[7], CultureInfo.InvariantCulture),
                records = int.Parse(args[8], CultureInfo.InvariantCulture);
            int? databasePid = args.Length == 10 ? int.Parse(args[9], CultureInfo.InvariantCulture) : null;
            var stationServer = new Uri(args[1]);
            using (var stationCa = stationServer.Scheme == Uri.UriSchemeHttps ? BenchTls.LoadCa(args[2]) : null)
            using (var load = await StationLoad.CreateAsync(stationServer, BenchHttp.AdminToken(args[2]), stations,
                       ulong.Parse(args[3], CultureInfo.InvariantCulture), args[4], args[5], databasePid, stationCa, certificates: args[0] == "stations"))
            {
                Console.WriteLine(JsonSerializer.Serialize(await load.HealthAsync(warmup, records), json));
                Console.WriteLine(JsonSerializer.Serialize(await load.RecordDevicesAsync(warmup, records), json));
            }
            return 0;
        case "connections" when args.Length is 5 or 6:
            var connectTo = new Uri(args[1]);
            using (var connectCa = connectTo.Scheme == Uri.UriSchemeHttps ? BenchTls.LoadCa(args[2]) : null)
            {
                using var admin = BenchHttp.Client(connectTo, BenchHttp.AdminToken(args[2]), ca: connectCa);
                var health = await BenchHttp.ReadAsync<Provisioning.Core.Api.HealthInfo>(await admin.GetAsync(Provisioning.Core.Api.ApiRoutes.Health), "GET /health");
                using var presented = args.Length == 6 && args[5] == "certificate" ? await BenchTls.IssueAsync(admin, "bench connections") : null;
                var figures = await Handshakes.RunAsync(connectTo.Scheme, connectTo, connectCa, presented,
                    int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), health.ProcessId);
                Console.WriteLine(JsonSerializer.Serialize(figures, json));
            }
            return 0;
        case "mysql-create" or "mysql-drop" when args.Length == 2:
            await BenchDatabase.CreateOrDropMySqlAsync(args[1], create: args[0] == "mysql-create");
            return 0;
        default:
            Console.Error.WriteLine($"unknown operation or wrong argument count: {string.Join(' ', args)}");
            return 2;
    }
}
catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or IOException or HttpRequestException or DbException)
{
    Console.Error.WriteLine($"{args[0]} failed: {ex.Message}");
    return 1;
}
Console.WriteLine(clock.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture));
return 0;
