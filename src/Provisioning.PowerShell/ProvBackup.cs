using Provisioning.Core.Backup;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>A backup written by Backup-ProvServer and read back whole with its passphrase.</summary>
public sealed class ProvBackup
{
    internal ProvBackup(ServerBackupFile file)
    {
        Path = file.Path;
        Size = file.Summary.FileSize;
        Created = file.Summary.Manifest.Created;
        ServerVersion = file.Summary.Manifest.ServerVersion;
        Engine = file.Summary.Manifest.Engine;
        SchemaVersion = file.Summary.Manifest.SchemaVersion;
        Rows = file.Summary.Sections.Where(s => s.Kind == "table").ToDictionary(s => s.Name, s => s.Count);
        Packages = Rows.GetValueOrDefault("packages");
        DeviceRecords = Rows.GetValueOrDefault("device_records");
        Devices = Rows.GetValueOrDefault("nodes");
        Files = file.Summary.Sections.FirstOrDefault(s => s.Name == "repository")?.Count ?? 0;
    }

    /// <summary>Where the backup was saved.</summary>
    public string Path { get; }
    /// <summary>Its size in bytes.</summary>
    public long Size { get; }
    /// <summary>When the server took the snapshot (UTC).</summary>
    public DateTimeOffset Created { get; }
    /// <summary>The server version that wrote it.</summary>
    public string ServerVersion { get; }
    /// <summary>The database engine it was read from (the backup itself is engine-neutral).</summary>
    public string Engine { get; }
    /// <summary>The database schema version of its tables.</summary>
    public int SchemaVersion { get; }
    /// <summary>Package revisions (current and history).</summary>
    public long Packages { get; }
    /// <summary>Devices (nodes) recorded.</summary>
    public long Devices { get; }
    /// <summary>Device records, history included.</summary>
    public long DeviceRecords { get; }
    /// <summary>Repository files (firmware, configurations).</summary>
    public long Files { get; }
    /// <summary>Rows per table.</summary>
    public IReadOnlyDictionary<string, long> Rows { get; }
}

/// <summary>What Restore-ProvServer wrote into the new server.</summary>
public sealed class ProvRestore
{
    internal ProvRestore(ServerRestoreResult result, string dataPath, string database)
    {
        DataPath = dataPath;
        Database = database;
        SourceEngine = result.SourceEngine;
        TargetEngine = result.TargetEngine;
        BackupCreated = result.BackupCreated;
        SchemaVersion = result.SchemaVersion;
        Rows = result.Rows;
        Packages = result.Rows.GetValueOrDefault("packages");
        Devices = result.Rows.GetValueOrDefault("nodes");
        DeviceRecords = result.Rows.GetValueOrDefault("device_records");
        Files = result.Files;
    }

    /// <summary>The data folder restored into.</summary>
    public string DataPath { get; }
    /// <summary>The database restored into (without a password).</summary>
    public string Database { get; }
    /// <summary>The engine the backup came from.</summary>
    public string SourceEngine { get; }
    /// <summary>The engine it went into.</summary>
    public string TargetEngine { get; }
    /// <summary>When the backup's snapshot was taken.</summary>
    public DateTimeOffset BackupCreated { get; }
    /// <summary>The schema version restored.</summary>
    public int SchemaVersion { get; }
    /// <summary>Package revisions restored.</summary>
    public long Packages { get; }
    /// <summary>Devices (nodes) restored.</summary>
    public long Devices { get; }
    /// <summary>Device records restored, history included.</summary>
    public long DeviceRecords { get; }
    /// <summary>Files restored (repository files and the data folder's secret files).</summary>
    public long Files { get; }
    /// <summary>Rows per table.</summary>
    public IReadOnlyDictionary<string, long> Rows { get; }
}
