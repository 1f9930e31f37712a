using System.Management.Automation;
using Provisioning.Core.Gateway.Simulator;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Stops a simulated gateway: closes its control port and radio endpoint and drops every connection.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "ProvGatewaySimulator", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class StopProvGatewaySimulatorCommand : ProvCmdlet
{
    /// <summary>The gateway from Start-ProvGatewaySimulator.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public GatewaySimulator[]? InputObject { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (var gateway in InputObject!)
        {
            if (!ShouldProcess(gateway.ToString(), "Stop gateway simulator")) continue;
            Await(StopAsync(gateway));
        }
    }

    private static async Task<bool> StopAsync(GatewaySimulator gateway)
    {
        await gateway.StopAsync().ConfigureAwait(false);
        return true;
    }
}
