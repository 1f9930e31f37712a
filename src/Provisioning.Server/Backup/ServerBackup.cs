using System.Text.Json;
using Provisioning.Core.Backup;
using Provisioning.Core.Packaging;
using Provisioning.Server.Hosting;
using Provisioning.Server.Repository;
using Provisioning.Server.Store;
using Provisioning.Server.Tls;

namespace Provisioning.Server.Backup;

/// <summary>What a backup held, for the caller and the audit log.</summary>
public sealed record BackupCounts(long Packages, long DeviceRecords, long Files, long Bytes);

/// <summary>
/// Writes a backup of a running server (docs/backup.md): every table read in one snapshot transaction, the repository
/// files the snapshot's packages reference (immutable: content-addressed, only ever added whole), and the secret files of
/// the data folder (master key, admin token, the CA and its sealed key). Streamed: no table is held in memory.
/// </summary>
public sealed class ServerBackup(IProvStore store, FileRepository repository, ServerSettings settings)
{
    /// <summary>The name the master key has in a backup, wherever its file is (settings MasterKeyPath).</summary>
    public const string MasterKeyName = "master.key";

    /// <summary>Files of the data folder a backup carries (paths relative to it, '/'-separated); those absent are skipped.</summary>
    public static readonly IReadOnlyList<string> DataFiles =
    [
        MasterKeyName,
        "admin.token",
        "tls/" + CertificateAuthority.CertificateFileName,
        "tls/" + CertificateAuthority.KeyFileName,
    ];

    /// <summary>Writes the whole backup to <paramref name="output"/> under <paramref name="passphrase"/>.</summary>
    public async Task<BackupCounts> WriteAsync(Stream output, ReadOnlyMemory<char> passphrase, int iterations, CancellationToken ct)
    {
        var source = store as IBackupStore ?? throw new NotSupportedException($"The {store.Engine} store cannot be backed up.");
        int schema = await store.GetSchemaVersionAsync(ct);
        var tables = BackupTables.In(await source.DescribeTablesAsync(ct));
        BackupCounts? counts = null;
        await source.ReadSnapshotAsync(async snapshot =>
        {
            var manifest = new BackupManifest(BackupWriter.ContentVersion, DateTimeOffset.UtcNow, ServerInfo.Version, store.Engine, schema);
            await using var writer = await BackupWriter.CreateAsync(output, passphrase, manifest, iterations, ct);
            var referenced = new SortedSet<string>(StringComparer.Ordinal);
            long packages = 0, records = 0;
            foreach (var table in tables)
            {
                await writer.BeginSectionAsync(new BackupSection("table", table.Name, table.Columns), ct);
                int shaColumn = table.Name == "package_files" ? IndexOf(table, "sha256") : -1;
                int roleColumn = shaColumn >= 0 ? IndexOf(table, "role") : -1;
                await foreach (var row in snapshot.ReadTableAsync(table, ct))
                {
                    await writer.WriteRowAsync(json => WriteValues(json, row), ct);
                    // Key files (KMS public key, gateway key file) live in the database, sealed, not in the repository.
                    if (shaColumn >= 0 && !(Enum.TryParse<PackageFileRole>((string)row[roleColumn]!, out var role) && PackageLayout.IsKeyRole(role)))
                        referenced.Add((string)row[shaColumn]!);
                    if (table.Name == "packages") packages++;
                    else if (table.Name == "device_records") records++;
                }
                await writer.EndSectionAsync(ct);
            }

            long bytes = 0;
            await writer.BeginSectionAsync(new BackupSection("files", "repository"), ct);
            foreach (string sha256 in referenced)
            {
                await using var file = repository.OpenRead(sha256)
                    ?? throw new FileNotFoundException($"The repository file {repository.PathFor(sha256)} that a package references is missing; the backup was not made. Import that package again, then back up.");
                string written = await writer.WriteFileAsync(sha256, file.Length, file, ct);
                if (written != sha256)
                    throw new InvalidDataException($"The repository file {repository.PathFor(sha256)} does not match its SHA-256 (it was changed on disk); the backup was not made. Import that package again, then back up.");
                bytes += file.Length;
            }
            await writer.EndSectionAsync(ct);

            await writer.BeginSectionAsync(new BackupSection("files", "data"), ct);
            foreach (string name in DataFiles)
            {
                string path = PathOf(settings, name);
                if (!File.Exists(path)) continue;
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                await writer.WriteFileAsync(name, file.Length, file, ct);
            }
            await writer.EndSectionAsync(ct);
            await writer.CompleteAsync(ct);
            counts = new BackupCounts(packages, records, referenced.Count, writer.BytesWritten);
        }, ct);
        return counts!;
    }

    /// <summary>Where a data file of the backup lives under this server's settings (the master key may be elsewhere).</summary>
    public static string PathOf(ServerSettings settings, string name) =>
        name == MasterKeyName ? Path.GetFullPath(settings.ResolvedMasterKeyPath) : Path.Combine(settings.DataPath, name.Replace('/', Path.DirectorySeparatorChar));

    private static int IndexOf(BackupTable table, string column)
    {
        for (int i = 0; i < table.Columns.Count; i++)
            if (table.Columns[i].Name == column) return i;
        throw new InvalidOperationException($"Table {table.Name} has no column {column}.");
    }

    private static void WriteValues(Utf8JsonWriter json, object?[] row)
    {
        foreach (var value in row)
        {
            switch (value)
            {
                case null: json.WriteNullValue(); break;
                case long n: json.WriteNumberValue(n); break;
                case ulong u: json.WriteStringValue(u.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
                case string s: json.WriteStringValue(s); break;
                case byte[] b: json.WriteBase64StringValue(b); break;
                default: throw new InvalidDataException($"A {value.GetType().Name} cannot be backed up.");
            }
        }
    }
}
