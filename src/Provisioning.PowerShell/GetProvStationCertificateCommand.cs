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
        foreach (var certificate in Listed(certificates, Name, IncludeRevoked, c => c.Name, c => c.Revoked is not null))
            WriteObject(new ProvStationCertificate(certificate));
    }
}
