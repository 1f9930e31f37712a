using System.Text.Json;
using Provisioning.Core.Backup;
using Provisioning.Server.Hosting;
using Provisioning.Server.Repository;
using Provisioning.Server.Store;

namespace Provisioning.Server.Backup;

/// <summary>What a restore wrote.</summary>
public sealed record RestoreCounts(string SourceEngine, string TargetEngine, DateTimeOffset BackupCreated, int SchemaVersion,
    IReadOnlyDictionary<string, long> Rows, long Files, long Bytes);

/// <summary>The target is not empty and <c>-Force</c> was not given; nothing was written.</summary>
public sealed class RestoreRefusedException(string message) : Exception(message);

/// <summary>
/// Restores a backup into a server's data folder and database (docs/backup.md). Nothing is written before the whole file
/// has been read and checked (every chunk, section and file, and the file MAC), so a wrong passphrase or a damaged or
/// truncated backup restores nothing. The rows then go in one transaction; files are staged and moved into place just
/// before it commits, and removed again if it does not.
/// </summary>
public sealed class ServerRestore(IProvStore store, ServerSettings settings)
{
    /// <summary>Progress: phase ("Verifying", "Restoring"), bytes of the backup read, its size.</summary>
    public Action<string, long, long>? Progress { get; init; }

    /// <summary>Runs the restore; <paramref name="force"/> replaces a target that is not empty.</summary>
    public async Task<RestoreCounts> RunAsync(string backupPath, ReadOnlyMemory<char> passphrase, bool force, CancellationToken ct)
    {
        var target = store as IBackupStore ?? throw new NotSupportedException($"The {store.Engine} store cannot be restored into.");
        long size = new FileInfo(backupPath).Length;
        BackupSummary summary;
        await using (var input = OpenBackup(backupPath))
            summary = await BackupReader.VerifyAsync(input, passphrase, new Progress<long>(p => Progress?.Invoke("Verifying", p, size)), ct);
        Progress?.Invoke("Verifying", size, size);

        await store.MigrateAsync(ct);
        int schema = await store.GetSchemaVersionAsync(ct);
        if (summary.Manifest.SchemaVersion != schema)
            throw new RestoreRefusedException(
                $"The backup holds schema version {summary.Manifest.SchemaVersion} (server {summary.Manifest.ServerVersion}); this server's database is at version {schema}. " +
                "Restore with the server version that made the backup, then upgrade that server.");
        foreach (var section in summary.Sections.Where(s => s.Kind == "table"))
            if (BackupTables.Find(section.Name) is null)
                throw new RestoreRefusedException($"The backup holds a table '{section.Name}' this server does not know; restore with the server version that made it ({summary.Manifest.ServerVersion}).");

        var tables = BackupTables.In(await target.DescribeTablesAsync(ct));
        var occupied = await DescribeContentAsync(target, ct);
        if (occupied.Count > 0)
        {
            if (!force)
                throw new RestoreRefusedException(
                    $"The target server is not empty ({string.Join(", ", occupied)}); nothing was restored. Restore into an empty data folder and database, or add -Force to replace everything in them with the backup.");
            await WipeAsync(target, ct);
        }

        string staging = Path.Combine(settings.StagingPath, "restore-" + Guid.NewGuid().ToString("N"));
        var placed = new List<string>();
        var rows = new Dictionary<string, long>();
        long files = 0, bytes = 0;
        try
        {
            OwnerOnlyFolder.Create(staging);
            await target.RestoreAsync(async sink =>
            {
                rows.Clear();
                files = bytes = 0;
                await using var input = OpenBackup(backupPath);
                using var reader = await BackupReader.OpenAsync(input, passphrase, ct);
                BackupTable? table = null;
                int[] map = [];
                FileStream? file = null;
                string? stagedFile = null;
                var staged = new List<(string Staged, string Section, string Name)>();
                long lastReport = 0;
                try
                {
                    while (true)
                    {
                        var item = await reader.ReadAsync(ct);
                        if (reader.Position - lastReport > 1 << 20)
                        {
                            lastReport = reader.Position;
                            Progress?.Invoke("Restoring", lastReport, size);
                        }
                        switch (item.Kind)
                        {
                            case BackupItemKind.SectionStart when item.Section!.Kind == "table":
                                table = tables.First(t => t.Name == item.Section.Name);
                                map = ColumnMap(table, item.Section.Columns!);
                                rows[table.Name] = 0;
                                break;
                            case BackupItemKind.Row:
                                await sink.AddAsync(table!, ParseRow(table!, map, item.Data.Span), ct);
                                rows[table!.Name]++;
                                break;
                            case BackupItemKind.FileStart:
                                stagedFile = Path.Combine(staging, staged.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                                file = new FileStream(stagedFile, OwnerOnlyFile.Options(FileMode.CreateNew, FileShare.None));
                                break;
                            case BackupItemKind.FileData:
                                await file!.WriteAsync(item.Data, ct);
                                break;
                            case BackupItemKind.FileEnd:
                                await file!.FlushAsync(ct);
                                file.Flush(flushToDisk: true);
                                await file.DisposeAsync();
                                file = null;
                                staged.Add((stagedFile!, item.Section!.Name, item.File!.Name));
                                files++;
                                bytes += item.File.Size;
                                break;
                            case BackupItemKind.End:
                                await sink.FlushAsync(ct);
                                // Everything was read and checked again: put the files in place, then the transaction commits.
                                foreach (var (stagedPath, section, name) in staged)
                                    placed.Add(Place(stagedPath, section, name));
                                Progress?.Invoke("Restoring", size, size);
                                return;
                        }
                    }
                }
                finally
                {
                    if (file is not null) await file.DisposeAsync();
                }
            }, ct);
        }
        catch
        {
            foreach (string path in placed) File.Delete(path);
            throw;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return new RestoreCounts(summary.Manifest.Engine, store.Engine, summary.Manifest.Created, schema, rows, files, bytes);
    }

    /// <summary>What the target holds already, in words; empty when it holds nothing.</summary>
    private async Task<List<string>> DescribeContentAsync(IBackupStore target, CancellationToken ct)
    {
        var found = new List<string>();
        foreach (var table in BackupTables.All)
            if (await target.CountRowsAsync(table, ct) is var n && n > 0)
                found.Add($"{n} rows in {table.Name}");
        foreach (string name in ServerBackup.DataFiles)
            if (File.Exists(ServerBackup.PathOf(settings, name)))
                found.Add($"the file {ServerBackup.PathOf(settings, name)}");
        if (Directory.Exists(settings.FilesPath) && Directory.EnumerateFiles(settings.FilesPath, "*", SearchOption.AllDirectories).Any())
            found.Add($"repository files in {settings.FilesPath}");
        return found;
    }

    /// <summary>
    /// -Force: the target's tables are dropped and created anew, its repository and secret files removed. The backup was
    /// checked whole before this, so what can still fail is the disk or the database; the target is then empty, never a
    /// mix, and the same restore can be run again.
    /// </summary>
    private async Task WipeAsync(IBackupStore target, CancellationToken ct)
    {
        await target.DropTablesAsync(BackupTables.All.Reverse(), BackupTables.NotCarried, ct);
        await store.MigrateAsync(ct);
        foreach (string name in ServerBackup.DataFiles)
            File.Delete(ServerBackup.PathOf(settings, name));
        if (Directory.Exists(settings.FilesPath))
            Directory.Delete(settings.FilesPath, recursive: true);
    }

    private string Place(string stagedPath, string section, string name)
    {
        string path;
        if (section == "repository")
        {
            path = new FileRepository(settings.FilesPath).PathFor(name);
        }
        else
        {
            if (!ServerBackup.DataFiles.Contains(name))
                throw new BackupDamagedException($"The backup holds a data file '{name}' this server does not restore.");
            path = ServerBackup.PathOf(settings, name);
        }
        OwnerOnlyFolder.Create(Path.GetDirectoryName(path)!);
        File.Move(stagedPath, path, overwrite: false);
        return path;
    }

    private static int[] ColumnMap(BackupTable table, IReadOnlyList<BackupColumn> columns)
    {
        var map = new int[table.Columns.Count];
        for (int i = 0; i < map.Length; i++)
        {
            map[i] = -1;
            for (int j = 0; j < columns.Count; j++)
                if (columns[j].Name == table.Columns[i].Name)
                {
                    if (columns[j].Type != table.Columns[i].Type)
                        throw new BackupDamagedException($"The backup's column {table.Name}.{columns[j].Name} has type {columns[j].Type}, not {table.Columns[i].Type}.");
                    map[i] = j;
                }
        }
        foreach (var column in columns)
            if (table.Columns.All(c => c.Name != column.Name))
                throw new BackupDamagedException($"The backup's table {table.Name} has a column {column.Name} this server does not know.");
        return map;
    }

    private static object?[] ParseRow(BackupTable table, int[] map, ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) throw new BackupDamagedException($"A row of {table.Name} is not a JSON array.");
        var values = new object?[map.Length];
        var parsed = new List<(JsonTokenType Type, object? Value)>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            parsed.Add(reader.TokenType switch
            {
                JsonTokenType.Null => (JsonTokenType.Null, null),
                JsonTokenType.Number => (JsonTokenType.Number, reader.GetInt64()),
                JsonTokenType.String => (JsonTokenType.String, reader.GetString()),
                _ => throw new BackupDamagedException($"A row of {table.Name} holds a value that is not a number, text or null."),
            });
        }
        for (int i = 0; i < map.Length; i++)
        {
            if (map[i] < 0 || map[i] >= parsed.Count) { values[i] = null; continue; }
            var (type, value) = parsed[map[i]];
            values[i] = type == JsonTokenType.Null ? null : table.Columns[i].Type switch
            {
                "int" when value is long n => n,
                "uint64" when value is string s => ulong.Parse(s, System.Globalization.CultureInfo.InvariantCulture),
                "text" when value is string s => s,
                "blob" when value is string s => Convert.FromBase64String(s),
                _ => throw new BackupDamagedException($"A value of {table.Name}.{table.Columns[i].Name} does not have the column's type."),
            };
        }
        return values;
    }

    private static FileStream OpenBackup(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
}
