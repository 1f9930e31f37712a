using System.Management.Automation;
using Provisioning.Core.Node.Simulator;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Stops a simulated node: closes its port and writes its state file.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "ProvNodeSimulator", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class StopProvNodeSimulatorCommand : ProvCmdlet
{
    /// <summary>The simulator from Start-ProvNodeSimulator (or Start-ProvEmcmSimulator: its line and node stop, and the eMCM with them).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [SimulatorTransformation]
    public NodeSimulator[]? InputObject { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (var simulator in InputObject!)
        {
            if (!ShouldProcess(simulator.ToString(), "Stop node simulator")) continue;
            try { Await(StopAsync(simulator)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The port is closed either way; only the state file could not be written.
                WriteError(Error(e, "StateFileNotWritten", ErrorCategory.WriteError, simulator.Options.StatePath));
            }
        }
    }

    private static async Task<bool> StopAsync(NodeSimulator simulator)
    {
        await simulator.StopAsync().ConfigureAwait(false);
        return true;
    }
}
