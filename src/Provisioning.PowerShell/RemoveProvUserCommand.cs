using System.Management.Automation;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Removes a user account: it can no longer sign in. Its entries in the audit log stay.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "ProvUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveProvUserCommand : ProvServerCmdlet
{
    /// <summary>The account's name, e.g. from Get-ProvUser.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (string name in Name)
        {
            if (!ShouldProcess($"user '{name}' on {Connection}", "Remove user")) continue;
            TryCall(async (c, ct) => { await c.RemoveUserAsync(name, ct).ConfigureAwait(false); return true; }, name, out _);
        }
    }
}
