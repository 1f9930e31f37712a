using System.Management.Automation;
using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Lists the server's station tokens (never their secrets).</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ProvStationToken")]
[OutputType(typeof(ProvStationToken))]
public sealed class GetProvStationTokenCommand : ProvServerCmdlet
{
    /// <summary>Only tokens whose name matches (wildcards allowed).</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string? Name { get; set; }

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
            if (token.Role != TokenRoles.Station) continue;
            if (token.Revoked is not null && !IncludeRevoked) continue;
            if (pattern is not null && !pattern.IsMatch(token.Name)) continue;
            WriteObject(new ProvStationToken(token, null));
        }
    }
}
