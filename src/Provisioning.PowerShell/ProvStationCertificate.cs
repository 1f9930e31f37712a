using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>A station client certificate issued by the server's CA; <see cref="Path"/> is set only on the object New-ProvStationCertificate returns.</summary>
public sealed class ProvStationCertificate
{
    internal ProvStationCertificate(StationCertificateInfo info, string? path = null, string? caThumbprint = null)
    {
        Id = info.Id;
        Name = info.Name;
        Serial = info.Serial;
        Thumbprint = info.Thumbprint;
        NotBefore = info.NotBefore;
        NotAfter = info.NotAfter;
        Issued = info.Issued;
        IssuedBy = info.IssuedBy;
        Revoked = info.Revoked;
        RevokedBy = info.RevokedBy;
        Path = path;
        CaThumbprint = caThumbprint;
    }

    /// <summary>The certificate's ID on the server (for Revoke-ProvStationCertificate).</summary>
    public long Id { get; }

    /// <summary>The station or line it was issued to (the subject's common name).</summary>
    public string Name { get; }

    /// <summary>Serial number, hex.</summary>
    public string Serial { get; }

    /// <summary>SHA-256 of the certificate, upper-case hex: what the server looks it up by.</summary>
    public string Thumbprint { get; }

    /// <summary>Start of validity.</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>End of validity: renew (New-ProvStationCertificate) before then.</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>When the server issued it.</summary>
    public DateTimeOffset Issued { get; }

    /// <summary>Who asked for it.</summary>
    public string? IssuedBy { get; }

    /// <summary>When it was revoked, if it was.</summary>
    public DateTimeOffset? Revoked { get; }

    /// <summary>Who revoked it.</summary>
    public string? RevokedBy { get; }

    /// <summary><c>Valid</c>, <c>Expired</c>, <c>NotYetValid</c> or <c>Revoked</c>, now.</summary>
    public string Status => Revoked is not null ? "Revoked"
        : DateTimeOffset.UtcNow > NotAfter ? "Expired"
        : DateTimeOffset.UtcNow < NotBefore ? "NotYetValid"
        : "Valid";

    /// <summary>The PFX written (certificate, private key and CA certificate, password-protected); only after New-ProvStationCertificate.</summary>
    public string? Path { get; }

    /// <summary>SHA-256 fingerprint of the CA certificate that issued it (also in the PFX); only after New-ProvStationCertificate.</summary>
    public string? CaThumbprint { get; }
}
