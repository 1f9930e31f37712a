using System.Management.Automation;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Lists the station client certificates the server's CA issued (never a key).</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ProvStationCertificate")]
[OutputType(typeof(ProvStationCertificate))]
public sealed class GetProvStationCertificateCommand : ProvServerCmdlet
{
    /// <summary>Only certificates whose name matches (wildcards allowed).</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string? Name { get; set; }

    /// <summary>Also lists revoked certificates.</summary>
    [Parameter]
    public SwitchParameter IncludeRevoked { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var certificates = Call((c, ct) => c.GetCertificatesAsync(ct), Connection);
        var pattern = Name is null ? null : WildcardPattern.Get(Name, WildcardOptions.IgnoreCase);
        foreach (var certificate in certificates)
        {
            if (certificate.Revoked is not null && !IncludeRevoked) continue;
            if (pattern is not null && !pattern.IsMatch(certificate.Name)) continue;
            WriteObject(new ProvStationCertificate(certificate));
        }
    }
}
