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

    /// <summary>Database spec: <c>sqlite</c>, <c>sqlite:&lt;file&gt;</c>, <c>mysql:&lt;connection string&gt;</c> or <c>sqlserver:&lt;connection string&gt;</c>.</summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>MySQL or SQL Server password, kept out of the connection string and the command line (set it through the environment, <c>Provisioning__DatabasePassword</c>).</summary>
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

    /// <summary>Serve HTTPS on the https:// addresses (default https://127.0.0.1:8085), with the operator's certificate or one from the server's own CA.</summary>
    public bool Tls { get; set; }

    /// <summary>DNS names the server's own certificate is issued for, beside localhost and the machine's host name.</summary>
    public string[] HostNames { get; set; } = [];

    /// <summary>IP addresses the server's own certificate is issued for, beside 127.0.0.1, ::1 and the listen addresses.</summary>
    public string[] IpAddresses { get; set; } = [];

    /// <summary>The operator's certificate: PKCS#12 (PFX) or PEM (certificate first, then its chain; key in the file or <see cref="CertificateKeyPath"/>).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/> when it is not in the same file.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>Password of the PFX or of the encrypted key; from the environment (<c>Provisioning__CertificatePassword</c>), never the command line.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Station endpoints accept station callers only with a valid station client certificate (guide Table 2 "Client Authentication").</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>
    /// How stations get the repository's files (guide §4.3): <c>Http</c> (the default: downloaded from the server over HTTP or
    /// HTTPS) or <c>SharedFileSystem</c> (read from a network share of <see cref="RepositoryPath"/>, at <see cref="ClientRepositoryPath"/>).
    /// </summary>
    public FileServing FileServing { get; set; } = FileServing.Http;

    /// <summary>The file repository as the server sees it (guide: "Provisioning Server Top Directory"); default <c>files</c> under DataPath. Relative paths are under DataPath.</summary>
    public string? RepositoryPath { get; set; }

    /// <summary>The same folder as the stations see it (guide: "Provisioning Client Top Directory"), e.g. <c>/mnt/prov</c> or <c>Z:\prov</c>; needed with SharedFileSystem.</summary>
    public string? ClientRepositoryPath { get; set; }

    /// <summary>Per-user default data folder.</summary>
    public static string DefaultDataPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
            "Provisioning", "server");

    /// <summary>Full path of the master key file.</summary>
    public string ResolvedMasterKeyPath => MasterKeyPath ?? Path.Combine(DataPath, "master.key");
    /// <summary>File holding the admin token created on first start.</summary>
    public string AdminTokenPath => Path.Combine(DataPath, "admin.token");
    /// <summary>The server's CA and certificates.</summary>
    public string TlsPath => Path.Combine(DataPath, "tls");
    /// <summary>The log file.</summary>
    public string LogPath => Path.Combine(DataPath, "logs", "server.log");
    /// <summary>Content-addressed repository of configuration files.</summary>
    public string FilesPath => string.IsNullOrWhiteSpace(RepositoryPath) ? Path.Combine(DataPath, "files") : Path.GetFullPath(RepositoryPath, DataPath);
    /// <summary>Where uploads are unpacked while they are verified; emptied on start.</summary>
    public string StagingPath => Path.Combine(DataPath, "staging");
}

/// <summary>How stations get the repository's files (guide §4.3 and Table 2 "Use HTTP File Transfer").</summary>
public enum FileServing
{
    /// <summary>Stations download files from the server (HTTP, or HTTPS with -Tls).</summary>
    Http,
    /// <summary>Stations read files from a shared network file system (SMB, NFS) that exports the repository folder.</summary>
    SharedFileSystem,
}
