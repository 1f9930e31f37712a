using System.Management.Automation;
using System.Security;
using System.Text;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Starts a provisioning server process, waits until it answers, and connects the session to it.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "ProvServer", SupportsShouldProcess = true)]
[OutputType(typeof(ProvServerHandle))]
public sealed class StartProvServerCommand : ProvCmdlet
{
    /// <summary>TCP port to listen on.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = ServerAddress.DefaultPort;

    /// <summary>The server's data folder; default a per-user folder.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DataPath { get; set; }

    /// <summary>Database spec: sqlite, sqlite:&lt;file&gt;, mysql:&lt;connection string&gt; or sqlserver:&lt;connection string&gt;.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>User name and password for a MySQL/MariaDB or SQL Server database (SQL Server authentication); the password reaches the server through its environment, never its command line.</summary>
    [Parameter]
    [Credential]
    public PSCredential? DatabaseCredential { get; set; }

    /// <summary>Address to listen on.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Allows gateway keys and passphrases over plain HTTP from other machines.</summary>
    [Parameter]
    public SwitchParameter AllowInsecureKeyTransport { get; set; }

    /// <summary>Serves HTTPS, with a certificate from the server's own CA unless -CertificatePath gives the operator's.</summary>
    [Parameter]
    public SwitchParameter Tls { get; set; }

    /// <summary>DNS names for the server's own certificate, beside localhost and this machine's name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? HostName { get; set; }

    /// <summary>IP addresses for the server's own certificate, beside loopback and the listen address.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? IpAddress { get; set; }

    /// <summary>The operator's certificate: PFX, or PEM with its key in the file or in -CertificateKeyPath. Implies -Tls.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of -CertificatePath when it is a separate file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificateKeyPath { get; set; }

    /// <summary>The password of the PFX or of the encrypted key.</summary>
    [Parameter]
    public SecureString? CertificatePassword { get; set; }

    /// <summary>Station callers must present a station certificate (mutual TLS). Needs -Tls.</summary>
    [Parameter]
    public SwitchParameter RequireClientCertificate { get; set; }

    /// <summary>How stations get the repository's files: Http (download, the default) or SharedFileSystem (read from a share, guide §4.3).</summary>
    [Parameter]
    [ValidateSet("Http", "SharedFileSystem")]
    public string? FileServing { get; set; }

    /// <summary>The file repository as the server sees it (default: files under -DataPath); in shared mode, the folder the share exports.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RepositoryPath { get; set; }

    /// <summary>The same folder as the stations see it (shared mode), e.g. Z:\prov or /mnt/prov.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClientRepositoryPath { get; set; }

    /// <summary>Runs the server in the foreground until Ctrl+C.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>Seconds to wait for the server to answer.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 30;

    /// <summary>The default data folder: per user, beside other applications' local data.</summary>
    internal static string DefaultDataPath =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "Provisioning", "server");

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        string serverAssembly = ServerAssembly;
        if (!File.Exists(serverAssembly))
            Fail(new FileNotFoundException($"The server is not installed beside the module: '{serverAssembly}' is missing. Build the module with ./build.ps1 Build, which publishes the server there."),
                "ServerNotInstalled", ErrorCategory.ObjectNotFound, serverAssembly);
        string? host = DotnetHost.Find();
        if (host is null)
            Fail(new FileNotFoundException("The 'dotnet' host that runs the server was not found (not this process, not DOTNET_HOST_PATH, not on the PATH). Install the .NET 10 runtime."),
                "DotnetNotFound", ErrorCategory.ObjectNotFound, "dotnet");
        if (DatabaseCredential is not null && !ServerLaunch.IsServerDatabase(Database))
            Fail(new ArgumentException("-DatabaseCredential is for a database server: give -Database mysql:Server=host;Database=orw_prov " +
                "or -Database sqlserver:Server=host;Database=orw_prov as well (SQLite needs no credential)."),
                "CredentialWithoutDatabaseServer", ErrorCategory.InvalidArgument, DatabaseCredential.UserName);

        bool tls = Tls || CertificatePath is not null;
        CheckTlsParameters(tls);
        string dataPath = ResolvePath(DataPath ?? DefaultDataPath);
        char[]? password = DatabaseCredential is null ? null : Reveal(DatabaseCredential.Password);
        char[] certificatePassword = Reveal(CertificatePassword);
        try
        {
            string? certificatePath = CertificatePath is null ? null : ResolvePath(CertificatePath);
            ServerTrust? operatorTrust = null;
            // The operator's certificate is read here too: a wrong file or password is told before a server starts,
            // and this session pins that certificate to reach the server it starts.
            if (certificatePath is not null)
            {
                try { operatorTrust = ServerLaunch.PinOperatorCertificate(certificatePath, certificatePassword); }
                catch (CertificateFileException e) { Fail(e, "CertificateUnreadable", ErrorCategory.ReadError, certificatePath); }
            }
            var launch = new ServerLaunch
            {
                ServerAssembly = serverAssembly,
                DotnetHost = host!,
                Port = Port,
                ListenAddress = ListenAddress,
                DataPath = dataPath,
                Database = ResolveSqliteFile(Database),
                DatabaseUser = DatabaseCredential?.UserName,
                DatabasePassword = password,
                AllowInsecureKeyTransport = AllowInsecureKeyTransport,
                Tls = tls,
                HostNames = HostName ?? [],
                IpAddresses = IpAddress ?? [],
                CertificatePath = certificatePath,
                CertificateKeyPath = CertificateKeyPath is null ? null : ResolvePath(CertificateKeyPath),
                CertificatePassword = certificatePassword,
                RequireClientCertificate = RequireClientCertificate,
                OperatorTrust = operatorTrust,
                FileServing = FileServing ?? (ClientRepositoryPath is not null ? "SharedFileSystem" : null),
                RepositoryPath = RepositoryPath is null ? null : ResolvePath(RepositoryPath),
                ClientRepositoryPath = ClientRepositoryPath,
            };
            string description;
            try { description = launch.DescribeDatabase(); }
            catch (ArgumentException e) { Fail(e, "InvalidDatabaseSpec", ErrorCategory.InvalidArgument, Database); return; }
            if (!ShouldProcess($"{ServerAddress.Display(launch.ClientAddress)} (data {dataPath}, database {description})", "Start provisioning server")) return;

            // The server creates the data folder itself, readable by its owner only.
            ServerProcess server;
            try
            {
                server = Await(ServerProcess.StartAsync(launch, TimeSpan.FromSeconds(TimeoutSec), Cancellation));
            }
            catch (ServerStartException e) { Fail(e, "ServerStartFailed", ErrorCategory.OpenError, launch.ClientAddress); return; }

            var handle = new ProvServerHandle(server, ReadAdminToken(dataPath));
            ProvServerSession.AddStarted(handle);
            ProvServerSession.SetCurrent(handle.Connection);
            if (handle.ServerCertificate is { } shown)
                WriteInformation(new HostInformationMessage { Message = ConnectProvServerCommand.FirstContact(handle.Uri, shown) +
                    (handle.CaCertificatePath is { } ca ? $" The CA certificate is {ca}." : "") }, ["PSHOST", "ProvServer", "Certificate"]);
            if (handle.AdminToken is null)
                WriteWarning($"'{System.IO.Path.Combine(dataPath, "admin.token")}' is gone, so this session has no admin token for the server. " +
                    "Connect with the token you kept: Connect-ProvServer -Uri " + handle + " -Token (Read-Host -AsSecureString 'Admin token').");
            WriteObject(handle);

            if (Wait) RunInForeground(handle);
        }
        finally
        {
            if (password is not null) Clear(password);
            Clear(certificatePassword);
        }
    }

    private void CheckTlsParameters(bool tls)
    {
        if (!tls)
        {
            string? misplaced = HostName is not null ? "-HostName" : IpAddress is not null ? "-IpAddress" : CertificateKeyPath is not null ? "-CertificateKeyPath"
                : CertificatePassword is not null ? "-CertificatePassword" : RequireClientCertificate ? "-RequireClientCertificate" : null;
            if (misplaced is not null)
                Fail(new ArgumentException($"{misplaced} is for an HTTPS server: add -Tls (or -CertificatePath)."), "TlsParameterWithoutTls", ErrorCategory.InvalidArgument, misplaced);
            return;
        }
        if (CertificatePath is not null && (HostName is not null || IpAddress is not null))
            Fail(new ArgumentException("-HostName and -IpAddress name the server's own certificate; an operator certificate (-CertificatePath) carries its own names."),
                "NamesWithOperatorCertificate", ErrorCategory.InvalidArgument, CertificatePath);
        foreach (string address in IpAddress ?? [])
            if (!System.Net.IPAddress.TryParse(address.Trim('[', ']'), out _))
                Fail(new ArgumentException($"'{address}' is not an IP address (give host names to -HostName)."), "InvalidIpAddress", ErrorCategory.InvalidArgument, address);
        foreach (string name in HostName ?? [])
            if (System.Uri.CheckHostName(name) != UriHostNameType.Dns)
                Fail(new ArgumentException($"'{name}' is not a DNS host name (give IP addresses to -IpAddress)."), "InvalidHostName", ErrorCategory.InvalidArgument, name);
    }

    /// <summary>The server published beside the module (Restore-ProvServer runs its restore command too).</summary>
    internal static string ServerAssembly =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(typeof(StartProvServerCommand).Assembly.Location)!, "server", "Provisioning.Server.dll");

    // sqlite:<relative file> means relative to the current PowerShell location, not to the server's folder.
    private string? ResolveSqliteFile(string? spec) => ResolveSqliteFile(spec, ResolvePath);

    /// <summary>A <c>sqlite:&lt;file&gt;</c> spec with the file resolved by <paramref name="resolvePath"/>; other specs as they are.</summary>
    internal static string? ResolveSqliteFile(string? spec, Func<string, string> resolvePath)
    {
        const string sqlite = "sqlite:";
        if (spec is null || !spec.StartsWith(sqlite, StringComparison.OrdinalIgnoreCase) || spec.Length == sqlite.Length) return spec;
        return sqlite + resolvePath(spec[sqlite.Length..]);
    }


    private void RunInForeground(ProvServerHandle handle)
    {
        Host.UI.WriteLine($"Provisioning server running at {handle} (process {handle.ProcessId}); log: {handle.LogPath}. Press Ctrl+C to stop it.");
        var process = handle.Server.Process;
        try
        {
            process.WaitForExitAsync(Cancellation).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the pipeline is stopping, so nothing more can be written; stop the server quietly.
            using var client = handle.Connection.OpenClient();
            try { ServerShutdown.StopAsync(client, handle.ProcessId, TimeSpan.FromSeconds(TimeoutSec), CancellationToken.None).GetAwaiter().GetResult(); }
            catch (ProvServerException) { handle.Server.Kill(); }
            ProvServerSession.Forget(handle.Uri, handle.ProcessId);
            throw new PipelineStoppedException();
        }
        ProvServerSession.Forget(handle.Uri, handle.ProcessId);
        if (process.ExitCode != 0)
            Fail(new InvalidOperationException($"The server stopped with exit code {process.ExitCode}: {handle.Server.Output}. Its log: {handle.LogPath}."),
                "ServerExited", ErrorCategory.NotSpecified, handle.Uri);
    }

    /// <summary>The first line of admin.token as a SecureString, or null when the file is absent. The bytes are zeroed after use.</summary>
    private SecureString? ReadAdminToken(string dataPath)
    {
        string path = System.IO.Path.Combine(dataPath, "admin.token");
        if (!File.Exists(path)) return null;
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (FileErrorCategory(e, ErrorCategory.ReadError) is { } category)
        {
            WriteError(Error(e, "AdminTokenUnreadable", category, path));
            return null;
        }
        char[] chars = Encoding.UTF8.GetChars(bytes);
        Array.Clear(bytes);
        try
        {
            var token = new SecureString();
            foreach (char c in chars)
            {
                if (c is '\r' or '\n') break;
                if (!char.IsWhiteSpace(c)) token.AppendChar(c);
            }
            token.MakeReadOnly();
            return token.Length == 0 ? null : token;
        }
        finally { Clear(chars); }
    }
}
