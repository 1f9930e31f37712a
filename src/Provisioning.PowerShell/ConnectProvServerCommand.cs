using System.Management.Automation;
using System.Security;
using Provisioning.Core.Api;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Connects the session to a provisioning server: checks that it answers and accepts the token, then makes it the current server.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "ProvServer", SupportsShouldProcess = true)]
[OutputType(typeof(ProvServerConnection))]
public sealed class ConnectProvServerCommand : ProvCmdlet
{
    /// <summary>The server's address, e.g. http://127.0.0.1:8085.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Uri { get; set; } = "";

    /// <summary>An admin or station token.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    public SecureString? Token { get; set; }

    /// <summary>Returns the connection.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (!ServerAddress.TryParse(Uri, out var uri, out var error))
        {
            Fail(new ArgumentException(error), "InvalidServerAddress", ErrorCategory.InvalidArgument, Uri);
            return;
        }
        // Without -Token, a token this session already holds for the address (from Start-ProvServer) will do.
        var known = ProvServerSession.ForAddress(uri);
        var token = Token is { Length: > 0 } ? Token.Copy() : known.Token;
        if (token is null)
            Fail(new ArgumentException($"No token for {ServerAddress.Display(uri)}: give one with -Token (Read-Host -AsSecureString 'Token'). " +
                "The admin token of a server is in admin.token under its data path; station tokens come from New-ProvStationToken."),
                "TokenMissing", ErrorCategory.InvalidArgument, Uri);

        if (!ShouldProcess(ServerAddress.Display(uri), "Make current provisioning server")) return;

        var connection = new ProvServerConnection(uri, token);
        using var client = connection.OpenClient();
        try
        {
            var health = Await(client.GetHealthAsync(Cancellation));
            connection.ServerVersion = health.Version;
            connection.Database = health.Database;
            connection.ProcessId = health.ProcessId;
            var identity = Await(client.GetIdentityAsync(Cancellation));
            connection.Role = identity.Role;
            connection.TokenName = identity.Name;
            if (identity.Database is { } database) connection.Database = database;
        }
        catch (ProvServerException e)
        {
            Fail(e, e.ErrorId, e.Status == 401 ? ErrorCategory.AuthenticationError : ErrorCategory.ConnectionError, Uri);
        }

        ProvServerSession.SetCurrent(connection);
        if (PassThru) WriteObject(connection);
    }
}
