using System.Management.Automation;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Revokes a station client certificate: every server instance sharing the database refuses it from the next request on.</para>
/// </summary>
[Cmdlet(VerbsSecurity.Revoke, "ProvStationCertificate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = IdSet)]
[OutputType(typeof(ProvStationCertificate))]
public sealed class RevokeProvStationCertificateCommand : ProvServerCmdlet
{
    private const string IdSet = "Id";
    private const string NameSet = "Name";
    private const string InputObjectSet = "InputObject";

    /// <summary>The certificate's ID, e.g. from Get-ProvStationCertificate.</summary>
    /// <remarks>Not bound from the pipeline by property name: a token's Id piped in must not revoke the certificate that happens to have that ID.</remarks>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet)]
    public long Id { get; set; }

    /// <summary>Certificates from Get-ProvStationCertificate or New-ProvStationCertificate.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public ProvStationCertificate? InputObject { get; set; }

    /// <summary>The name the certificates were issued to: every unrevoked certificate of that name (wildcards allowed).</summary>
    [Parameter(Mandatory = true, ParameterSetName = NameSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Returns the revoked certificates.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == IdSet)
        {
            Revoke(Id, $"certificate {Id}");
            return;
        }
        if (ParameterSetName == InputObjectSet)
        {
            Revoke(InputObject!.Id, $"certificate {InputObject.Id} ('{InputObject.Name}')");
            return;
        }
        if (!TryCall((c, ct) => c.GetCertificatesAsync(ct), Name, out var listed)) return;
        var matches = Listed(listed!, Name, includeRevoked: false, c => c.Name, c => c.Revoked is not null).ToList();
        if (matches.Count == 0)
        {
            WriteError(Error(new ItemNotFoundException($"No unrevoked station certificate is named '{Name}'; Get-ProvStationCertificate -IncludeRevoked lists them all."),
                "CertificateNotFound", ErrorCategory.ObjectNotFound, Name));
            return;
        }
        foreach (var certificate in matches)
            Revoke(certificate.Id, $"certificate {certificate.Id} ('{certificate.Name}', thumbprint {certificate.Thumbprint[..12]}…)");
    }

    private void Revoke(long id, string what)
    {
        if (!ShouldProcess($"{what} on {Connection}", "Revoke station certificate")) return;
        if (TryCall((c, ct) => c.RevokeCertificateAsync(id, ct), id, out var revoked) && PassThru)
            WriteObject(new ProvStationCertificate(revoked!));
    }
}
