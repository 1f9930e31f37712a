using System.Management.Automation;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Revokes a station token: the server refuses it from then on.</para>
/// </summary>
[Cmdlet(VerbsSecurity.Revoke, "ProvStationToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RevokeProvStationTokenCommand : ProvServerCmdlet
{
    /// <summary>The token's ID, e.g. from Get-ProvStationToken.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public long Id { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"token {Id} on {Connection}", "Revoke station token")) return;
        TryCall(async (c, ct) => { await c.RevokeTokenAsync(Id, ct).ConfigureAwait(false); return true; }, Id, out _);
    }
}
