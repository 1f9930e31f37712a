namespace Provisioning.Server.Hosting;

/// <summary>
/// The <c>Provisioning</c> section of the server's configuration (settings file, environment variables
/// <c>Provisioning__Name</c>, or command line <c>--Provisioning:Name=value</c>); see docs/server-api.md.
/// </summary>
public sealed class ServerSettings
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Provisioning";

    /// <summary>Folder for the SQLite database, the file repository, the master key, the admin token and logs.</summary>
    public string DataPath { get; set; } = DefaultDataPath;

    /// <summary>Database spec: <c>sqlite</c>, <c>sqlite:&lt;file&gt;</c> or <c>mysql:&lt;connection string&gt;</c>.</summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>MySQL password, kept out of the connection string and the command line (set it through the environment).</summary>
    public string? DatabasePassword { get; set; }

    /// <summary>Serve gateway keys and accept passphrases over plain HTTP from other machines. Off: only HTTPS or loopback.</summary>
    public bool AllowInsecureKeyTransport { get; set; }

    /// <summary>Also log to the console (the log file under DataPath/logs is always written).</summary>
    public bool ConsoleLog { get; set; } = true;

    /// <summary>Master key file (32 bytes) sealing gateway keys at rest; several instances sharing a database must share it.</summary>
    public string? MasterKeyPath { get; set; }

    /// <summary>Largest package upload accepted, in bytes.</summary>
    public long MaxPackageSize { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>How long a token lookup is cached, in seconds (a revocation on another instance takes effect within it).</summary>
    public int TokenCacheSeconds { get; set; } = 30;

    /// <summary>Per-user default data folder.</summary>
    public static string DefaultDataPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
            "Provisioning", "server");

    /// <summary>Full path of the master key file.</summary>
    public string ResolvedMasterKeyPath => MasterKeyPath ?? Path.Combine(DataPath, "master.key");
    /// <summary>File holding the admin token created on first start.</summary>
    public string AdminTokenPath => Path.Combine(DataPath, "admin.token");
    /// <summary>The log file.</summary>
    public string LogPath => Path.Combine(DataPath, "logs", "server.log");
    /// <summary>Content-addressed repository of configuration files.</summary>
    public string FilesPath => Path.Combine(DataPath, "files");
    /// <summary>Where uploads are unpacked while they are verified; emptied on start.</summary>
    public string StagingPath => Path.Combine(DataPath, "staging");
}
