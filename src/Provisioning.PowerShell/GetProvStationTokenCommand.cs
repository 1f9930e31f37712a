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
        var tokens = Call((c, ct) => c.GetTokensAsync(ct), Connection);
        var pattern = Name is null ? null : WildcardPattern.Get(Name, WildcardOptions.IgnoreCase);
        foreach (var token in tokens)
        {
            if (!Role.Contains(token.Role, StringComparer.OrdinalIgnoreCase)) continue;
            if (token.Revoked is not null && !IncludeRevoked) continue;
            if (pattern is not null && !pattern.IsMatch(token.Name)) continue;
            WriteObject(new ProvStationToken(token, null));
        }
    }
}
