using System.Security;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>A server started by Start-ProvServer: pipe it to Stop-ProvServer, or give it to -Server.</summary>
public sealed class ProvServerHandle
{
    internal ProvServerHandle(ServerProcess server, SecureString? adminToken)
    {
        Server = server;
        Uri = server.Address;
        ProcessId = server.Process.Id;
        DataPath = server.Launch.DataPath;
        // The launch knows the file or server (health names only the engine); never a password.
        Database = server.Launch.DescribeDatabase();
        ServerVersion = server.Health?.Version;
        LogPath = server.Launch.LogPath;
        AdminToken = adminToken;
        Tls = server.Launch.Tls;
        CaCertificatePath = Tls && server.Launch.CertificatePath is null ? server.Launch.CaCertificatePath : null;
        ServerCertificate = server.ServerCertificate;
        Connection = new ProvServerConnection(Uri, adminToken, server.Trust)
        {
            ServerCertificate = server.ServerCertificate,
            Role = adminToken is null ? null : Core.Api.TokenRoles.Admin,
            ServerVersion = ServerVersion,
            Database = Database,
            ProcessId = ProcessId,
        };
    }

    /// <summary>The address clients on this machine use.</summary>
    public Uri Uri { get; }

    /// <summary>The server's process ID.</summary>
    public int ProcessId { get; }

    /// <summary>The server's data folder (database, repository, logs, admin.token).</summary>
    public string DataPath { get; }

    /// <summary>The database, described without secrets: <c>sqlite:</c> and the file's full path, or <c>mysql:</c> and the server and database.</summary>
    public string Database { get; }

    /// <summary>The server's version.</summary>
    public string? ServerVersion { get; }

    /// <summary>The admin token from admin.token, or null when that file is gone (the token was shown at the first start only).</summary>
    public SecureString? AdminToken { get; }

    /// <summary>Whether the server serves HTTPS.</summary>
    public bool Tls { get; }

    /// <summary>The server's CA certificate (tls/ca.crt) to give clients (Connect-ProvServer -CaCertificatePath), when it uses its own CA.</summary>
    public string? CaCertificatePath { get; }

    /// <summary>The certificate the server presented (HTTPS): subject, fingerprint and its CA's fingerprint.</summary>
    public PresentedCertificate? ServerCertificate { get; }

    /// <summary>The server's log file.</summary>
    public string LogPath { get; }

    /// <summary>The connection the cmdlets use for this server.</summary>
    public ProvServerConnection Connection { get; }

    internal ServerProcess Server { get; }

    /// <inheritdoc/>
    public override string ToString() => ServerAddress.Display(Uri);
}
