namespace Provisioning.Core.Api;

// The JSON bodies of /api/v1/certificates (docs/server-api.md): station client certificates issued by the server's
// private CA. The private key never travels: the station sends a PKCS#10 request signed with its own key.

/// <summary>Body of <c>POST /api/v1/certificates</c>.</summary>
/// <param name="Name">Which station or line uses the certificate (1–64 characters); it becomes the subject's common name.</param>
/// <param name="Csr">The PKCS#10 certificate signing request, PEM (<c>-----BEGIN CERTIFICATE REQUEST-----</c>).</param>
/// <param name="ValidDays">Days the certificate is valid (1–<see cref="StationCertificateLimits.MaxValidDays"/>); null: <see cref="StationCertificateLimits.DefaultValidDays"/>.</param>
public sealed record CertificateSigningRequest(string Name, string Csr, int? ValidDays = null);

/// <summary>A station certificate as listed: its facts, never a key.</summary>
/// <param name="Id">The server's ID (for revocation).</param>
/// <param name="Name">The name it was issued to.</param>
/// <param name="Serial">The serial number, hex.</param>
/// <param name="Thumbprint">SHA-256 of the certificate (DER), upper-case hex without colons.</param>
/// <param name="NotBefore">Start of validity.</param>
/// <param name="NotAfter">End of validity.</param>
/// <param name="Issued">When the server issued it.</param>
/// <param name="IssuedBy">Who asked for it (the caller's name).</param>
/// <param name="Revoked">When it was revoked, if it was.</param>
/// <param name="RevokedBy">Who revoked it.</param>
public sealed record StationCertificateInfo(
    long Id,
    string Name,
    string Serial,
    string Thumbprint,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    DateTimeOffset Issued,
    string? IssuedBy,
    DateTimeOffset? Revoked,
    string? RevokedBy);

/// <summary>Answer of <c>POST /api/v1/certificates</c>: the certificate and the CA certificate that issued it, both PEM.</summary>
public sealed record IssuedStationCertificate(StationCertificateInfo Info, string Certificate, string CaCertificate);

/// <summary>Limits of station certificates.</summary>
public static class StationCertificateLimits
{
    /// <summary>Validity when none is asked for (about 27 months).</summary>
    public const int DefaultValidDays = 825;
    /// <summary>Longest validity the server issues (ten years).</summary>
    public const int MaxValidDays = 3650;
    /// <summary>Longest name.</summary>
    public const int MaxNameLength = 64;
}
