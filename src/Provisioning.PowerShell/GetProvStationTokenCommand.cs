using System.Management.Automation;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Lists the server's station tokens, or tokens of other roles with -Role (never their secrets).</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ProvStationToken")]
[OutputType(typeof(ProvStationToken))]
public sealed class GetProvStationTokenCommand : ProvServerCmdlet
{
    /// <summary>Only tokens whose name matches (wildcards allowed).</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string? Name { get; set; }

    /// <summary>Only tokens of these roles (Station, Exporter, Admin); default Station.</summary>
    [Parameter]
    [ValidateSet("Station", "Exporter", "Admin")]
    public string[] Role { get; set; } = ["Station"];

    /// <summary>Also lists revoked tokens.</summary>
    [Parameter]
    public SwitchParameter IncludeRevoked { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var tokens = Call((c, ct) => c.GetTokensAsync(ct), Connection).Where(t => Role.Contains(t.Role, StringComparer.OrdinalIgnoreCase));
        foreach (var token in Listed(tokens, Name, IncludeRevoked, t => t.Name, t => t.Revoked is not null))
            WriteObject(new ProvStationToken(token, null));
    }
}
