using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Client;

/// <summary>How to start a provisioning server process (the command line of <c>docs/server-api.md</c>).</summary>
public sealed class ServerLaunch
{
    /// <summary>The environment variable that carries a MySQL or SQL Server password, so it never appears on a command line.</summary>
    public const string DatabasePasswordVariable = "Provisioning__DatabasePassword";

    /// <summary>The environment variable that carries the certificate password (PFX or encrypted key), so it never appears on a command line.</summary>
    public const string CertificatePasswordVariable = "Provisioning__CertificatePassword";

    /// <summary>Full path of <c>Provisioning.Server.dll</c>.</summary>
    public required string ServerAssembly { get; init; }

    /// <summary>The <c>dotnet</c> host to run it with (see <see cref="DotnetHost.Find"/>).</summary>
    public required string DotnetHost { get; init; }

    /// <summary>Address to listen on (IP or host name).</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>TCP port.</summary>
    public int Port { get; init; } = ServerAddress.DefaultPort;

    /// <summary>The server's data folder (database, repository, logs, admin token).</summary>
    public required string DataPath { get; init; }

    /// <summary>Database spec: <c>sqlite</c>, <c>sqlite:&lt;file&gt;</c>, <c>mysql:&lt;connection string&gt;</c> or <c>sqlserver:&lt;connection string&gt;</c>; null for the server's default.</summary>
    public string? Database { get; init; }

    /// <summary>MySQL or SQL Server user name to add to the connection string (from a credential), or null.</summary>
    public string? DatabaseUser { get; init; }

    /// <summary>MySQL or SQL Server password, passed through <see cref="DatabasePasswordVariable"/>; the caller clears the array.</summary>
    public char[]? DatabasePassword { get; init; }

    /// <summary>Lets the server send gateway keys and accept passphrases over plain HTTP from other machines.</summary>
    public bool AllowInsecureKeyTransport { get; init; }

    /// <summary>Serve HTTPS (with <see cref="CertificatePath"/>, or a certificate from the server's own CA).</summary>
    public bool Tls { get; init; }

    /// <summary>DNS names for the server's own certificate (beside localhost and the machine's name).</summary>
    public IReadOnlyList<string> HostNames { get; init; } = [];

    /// <summary>IP addresses for the server's own certificate (beside loopback and the listen address).</summary>
    public IReadOnlyList<string> IpAddresses { get; init; } = [];

    /// <summary>The operator's certificate file (PFX or PEM), or null for one from the server's CA.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>The PEM key of <see cref="CertificatePath"/> when it is a separate file.</summary>
    public string? CertificateKeyPath { get; init; }

    /// <summary>Password of the PFX or encrypted key, passed through <see cref="CertificatePasswordVariable"/>; the caller clears the array.</summary>
    public char[]? CertificatePassword { get; init; }

    /// <summary>Station callers need a station client certificate.</summary>
    public bool RequireClientCertificate { get; init; }

    /// <summary>How stations get files: <c>Http</c> or <c>SharedFileSystem</c> (guide §4.3); null for the server's default (Http).</summary>
    public string? FileServing { get; init; }

    /// <summary>The repository folder as the server sees it; null for <c>files</c> under the data folder.</summary>
    public string? RepositoryPath { get; init; }

    /// <summary>The repository folder as the stations see it (shared file system mode).</summary>
    public string? ClientRepositoryPath { get; init; }

    /// <summary>
    /// How a client on this machine trusts the server's certificate when it is the operator's (its fingerprint, pinned:
    /// see <see cref="PinOperatorCertificate"/>); null with the server's own CA, whose ca.crt is trusted.
    /// </summary>
    public ServerTrust? OperatorTrust { get; init; }

    /// <summary>The server's CA certificate, written by the server on its first TLS start.</summary>
    public string CaCertificatePath => Path.Combine(DataPath, "tls", "ca.crt");

    /// <summary>The address a client on this machine uses to reach the server.</summary>
    public Uri ClientAddress => ServerAddress.ForListener(ListenAddress, Port, Tls);

    /// <summary>
    /// The trust a client on this machine gives the server: none over plain HTTP; the operator's certificate by its
    /// fingerprint; else the server's CA (null until the server has written ca.crt).
    /// </summary>
    public ServerTrust? ClientTrust()
    {
        if (!Tls) return ServerTrust.System;
        if (OperatorTrust is not null) return OperatorTrust;
        if (!File.Exists(CaCertificatePath)) return null;
        try { return ServerTrust.Create(CertificateFile.LoadCaCertificates(CaCertificatePath), null); }
        catch (CertificateFileException) { return null; } // being written
    }

    /// <summary>Trust for the operator's certificate file: the fingerprint of its certificate (the one with the key, or the first), pinned.</summary>
    /// <exception cref="CertificateFileException">The file cannot be read with the password.</exception>
    public static ServerTrust PinOperatorCertificate(string certificatePath, ReadOnlySpan<char> password)
    {
        var certificates = CertificateFile.LoadPublic(certificatePath, password);
        try { return ServerTrust.Create(null, [CertificateFingerprint.Of(certificates[0])]); }
        finally { foreach (var c in certificates) c.Dispose(); }
    }

    /// <summary>Where the server writes its log.</summary>
    public string LogPath => Path.Combine(DataPath, "logs", "server.log");

    /// <summary>
    /// The database spec without secrets, for display. A password inside a MySQL or SQL Server connection string is moved out of the
    /// command line (see <see cref="StartInfo"/>), so a copied connection string is safe to pass.
    /// </summary>
    /// <remarks>SQLite is shown as its database file's full path (relative files lie under the data folder, as the server takes them).</remarks>
    /// <exception cref="ArgumentException">The spec is none of the accepted forms.</exception>
    public string DescribeDatabase()
    {
        string? spec = Split().Spec;
        const string sqlite = "sqlite:";
        if (spec is null || spec.Trim().Equals("sqlite", StringComparison.OrdinalIgnoreCase))
            return sqlite + Path.Combine(Path.GetFullPath(DataPath), DefaultSqliteFile);
        if (spec.StartsWith(sqlite, StringComparison.OrdinalIgnoreCase) && spec.Length > sqlite.Length)
            return sqlite + Path.GetFullPath(spec[sqlite.Length..].Trim(), Path.GetFullPath(DataPath));
        return spec;
    }

    /// <summary>File name of the server's default SQLite database in its data folder.</summary>
    public const string DefaultSqliteFile = "provisioning.db";

    /// <summary>The forms -Database takes, for messages.</summary>
    public const string DatabaseForms = "sqlite (the default, a file in the data folder), sqlite:<file>, mysql:Server=<host>;Database=<name>;User ID=<user> " +
        "or sqlserver:Server=<host>;Database=<name>";

    /// <summary>Whether <paramref name="spec"/> names a server database (MySQL/MariaDB or SQL Server), which a user name and password can be given for.</summary>
    public static bool IsServerDatabase(string? spec) => EngineOf(spec) is not null;

    // The engine prefix of a server database spec with its display name, or null for SQLite or a spec not understood.
    private static (string Prefix, string Name)? EngineOf(string? spec)
    {
        string text = spec?.Trim() ?? "";
        foreach (var engine in new[] { ("mysql:", "MySQL"), ("sqlserver:", "SQL Server") })
            if (text.StartsWith(engine.Item1, StringComparison.OrdinalIgnoreCase)) return engine;
        return null;
    }

    /// <summary>The process to start: password in the environment, never in the arguments; its own session so Ctrl+C at the prompt does not reach it.</summary>
    public ProcessStartInfo StartInfo()
    {
        var (spec, passwordInSpec) = Split();
        // setsid gives the server its own session on Unix: Ctrl+C pressed later in the shell must not stop it.
        // It replaces itself with the server, so the process ID stays the server's.
        bool detach = !OperatingSystem.IsWindows() && File.Exists("/usr/bin/setsid");
        var info = new ProcessStartInfo(detach ? "/usr/bin/setsid" : DotnetHost)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            WorkingDirectory = Path.GetDirectoryName(ServerAssembly)!,
        };
        if (detach) info.ArgumentList.Add(DotnetHost);
        info.ArgumentList.Add(ServerAssembly);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(ListenUrl());
        info.ArgumentList.Add($"--Provisioning:DataPath={DataPath}");
        if (spec is not null) info.ArgumentList.Add($"--Provisioning:Database={spec}");
        if (AllowInsecureKeyTransport) info.ArgumentList.Add("--Provisioning:AllowInsecureKeyTransport=true");
        info.ArgumentList.Add("--Provisioning:ConsoleLog=false");
        if (Tls)
        {
            info.ArgumentList.Add("--Provisioning:Tls=true");
            for (int i = 0; i < HostNames.Count; i++) info.ArgumentList.Add($"--Provisioning:HostNames:{i}={HostNames[i]}");
            for (int i = 0; i < IpAddresses.Count; i++) info.ArgumentList.Add($"--Provisioning:IpAddresses:{i}={IpAddresses[i]}");
            if (CertificatePath is not null) info.ArgumentList.Add($"--Provisioning:CertificatePath={Path.GetFullPath(CertificatePath)}");
            if (CertificateKeyPath is not null) info.ArgumentList.Add($"--Provisioning:CertificateKeyPath={Path.GetFullPath(CertificateKeyPath)}");
        }
        if (RequireClientCertificate) info.ArgumentList.Add("--Provisioning:RequireClientCertificate=true");
        if (FileServing is not null) info.ArgumentList.Add($"--Provisioning:FileServing={FileServing}");
        if (RepositoryPath is not null) info.ArgumentList.Add($"--Provisioning:RepositoryPath={Path.GetFullPath(RepositoryPath)}");
        if (ClientRepositoryPath is not null) info.ArgumentList.Add($"--Provisioning:ClientRepositoryPath={ClientRepositoryPath}");

        // Secrets travel in the environment of the child only; one inherited from this process is not passed on.
        info.Environment.Remove(CertificatePasswordVariable);
        if (Tls && CertificatePassword is { Length: > 0 }) info.Environment[CertificatePasswordVariable] = new string(CertificatePassword);
        info.Environment.Remove(DatabasePasswordVariable);
        if (DatabasePassword is { Length: > 0 }) info.Environment[DatabasePasswordVariable] = new string(DatabasePassword);
        else if (passwordInSpec is not null) info.Environment[DatabasePasswordVariable] = passwordInSpec;
        return info;
    }

    private string ListenUrl()
    {
        string host = ListenAddress.Trim();
        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')) host = $"[{host}]";
        return string.Create(CultureInfo.InvariantCulture, $"{(Tls ? "https" : "http")}://{host}:{Port}");
    }

    /// <summary>The spec for the command line (user added, password removed) and the password it held, if any.</summary>
    private (string? Spec, string? Password) Split()
    {
        if (Database is null) return (null, null);
        string text = Database.Trim();
        if (EngineOf(text) is not { } found)
        {
            if (text.Equals("sqlite", StringComparison.OrdinalIgnoreCase) || text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) && text.Length > "sqlite:".Length)
                return (Database, null);
            // Never echo what may be a connection string with a password in it.
            string shown = text.Contains('=') || text.Contains(';') ? "that connection string (it has no engine prefix)" : $"'{text}'";
            throw new ArgumentException($"The database {shown} is not understood: -Database takes {DatabaseForms}.");
        }
        var (prefix, engine) = found;

        var builder = new DbConnectionStringBuilder();
        try { builder.ConnectionString = text[prefix.Length..]; }
        catch (ArgumentException e)
        {
            string example = prefix == "mysql:" ? "mysql:Server=host;Port=3306;Database=orw_prov;User ID=prov" : "sqlserver:Server=host,1433;Database=orw_prov;Encrypt=True";
            throw new ArgumentException($"The {engine} connection string in -Database is not valid ({e.Message.TrimEnd('.')}): write it as {example}.", e);
        }
        string? password = null;
        foreach (string key in new[] { "Password", "Pwd", "password" })
        {
            if (builder.TryGetValue(key, out var value)) { password = value?.ToString(); builder.Remove(key); }
        }
        if (DatabaseUser is not null)
        {
            foreach (string key in new[] { "User ID", "UserID", "Uid", "User", "Username", "User name" }) builder.Remove(key);
            builder["User ID"] = DatabaseUser;
        }
        return (prefix + builder.ConnectionString, password);
    }
}

/// <summary>Finds the <c>dotnet</c> host that runs the server.</summary>
public static class DotnetHost
{
    /// <summary>
    /// The host running this process when it is <c>dotnet</c>; else <c>DOTNET_HOST_PATH</c> (set by the SDK);
    /// else <c>dotnet</c> on the PATH. Null when none is found.
    /// </summary>
    public static string? Find()
    {
        string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && string.Equals(Path.GetFileName(self), exe, StringComparison.OrdinalIgnoreCase))
            return self;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
            return hostPath;
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, exe);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
