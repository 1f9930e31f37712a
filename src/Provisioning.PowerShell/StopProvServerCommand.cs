using System.Management.Automation;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Stops a provisioning server cleanly: asks it to stop, waits for its process to exit, kills it only as a last resort.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "ProvServer", SupportsShouldProcess = true, DefaultParameterSetName = HandleSet)]
[OutputType(typeof(void))]
public sealed class StopProvServerCommand : ProvCmdlet
{
    private const string HandleSet = "Handle";
    private const string ProcessIdSet = "ProcessId";
    private const string ServerSet = "Server";

    /// <summary>The server, from Start-ProvServer.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = HandleSet)]
    public ProvServerHandle? InputObject { get; set; }

    /// <summary>The process ID of a server started from this session.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ProcessIdSet)]
    public int ProcessId { get; set; }

    /// <summary>A server this session is connected to: its address, or a connection from Connect-ProvServer (its token is used). -Uri is the older name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ServerSet)]
    [ProvServerTransformation]
    [ValidateNotNull]
    [Alias("Uri")]
    public ProvServerConnection? Server { get; set; }

    /// <summary>Seconds to wait for the process to exit before it is killed.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 30;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        ProvServerConnection connection;
        int? processId;
        switch (ParameterSetName)
        {
            case HandleSet:
                connection = InputObject!.Connection;
                processId = InputObject.ProcessId;
                break;
            case ProcessIdSet:
                var started = ProvServerSession.FindStarted(ProcessId);
                if (started is null)
                {
                    WriteError(Error(new ArgumentException($"No server with process ID {ProcessId} was started from this session. Stop it with -Server <address> (after Connect-ProvServer), or pipe the handle Start-ProvServer returned."),
                        "ServerProcessUnknown", ErrorCategory.ObjectNotFound, ProcessId));
                    return;
                }
                connection = started.Connection;
                processId = ProcessId;
                break;
            default:
                connection = Server!;
                processId = null;
                break;
        }

        if (!ShouldProcess($"{connection}{(processId is null ? "" : $" (process {processId})")}", "Stop provisioning server")) return;

        // Checked after -WhatIf has said which server it means: only a real stop needs the token.
        if (ParameterSetName == ServerSet && connection.Token is null)
        {
            // Without a token the server could only refuse: say what is missing instead.
            WriteError(Error(new InvalidOperationException($"This session is not connected to {connection}: connect first with Connect-ProvServer -Uri {connection} -Token <admin token> " +
                "(the admin token is in admin.token under the server's data path), then run Stop-ProvServer again."),
                "ServerNotConnected", ErrorCategory.ConnectionError, connection));
            return;
        }

        using var client = connection.OpenClient();
        if (processId is null)
        {
            // The process ID comes from the server itself, so it can be watched while it exits.
            try { processId = Await(client.GetHealthAsync(Cancellation)).ProcessId; }
            catch (ProvServerException e) { WriteError(Error(e, e.ErrorId, ErrorCategory.ConnectionError, connection)); return; }
        }

        ServerStopOutcome outcome;
        try
        {
            outcome = Await(ServerShutdown.StopAsync(client, processId, TimeSpan.FromSeconds(TimeoutSec), Cancellation));
        }
        catch (ProvServerException e)
        {
            var category = e.Status switch { 401 => ErrorCategory.AuthenticationError, 403 => ErrorCategory.PermissionDenied, _ => ErrorCategory.ConnectionError };
            WriteError(Error(e, e.ErrorId, category, connection));
            return;
        }

        if (outcome == ServerStopOutcome.Killed)
            WriteWarning($"The server at {connection} (process {processId}) did not exit within {TimeoutSec} s of being asked to stop, so it was killed. " +
                "Check its log for what held it up.");
        else if (outcome == ServerStopOutcome.NotRunning)
            WriteVerbose($"The server at {connection} was not running.");
        ProvServerSession.Forget(connection.Uri, processId);
    }

}
