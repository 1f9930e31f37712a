using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Provisioning.Core.Crypto;

/// <summary>
/// The SHA-256 fingerprint of a certificate (of its DER encoding), as 64 upper-case hex digits without colons: the
/// form the server logs, <c>Connect-ProvServer</c> prints and <c>-CertificateThumbprint</c> takes.
/// </summary>
public static class CertificateFingerprint
{
    /// <summary>Length of a fingerprint in hex digits.</summary>
    public const int Length = 64;

    /// <summary>The fingerprint of <paramref name="certificate"/>.</summary>
    public static string Of(X509Certificate2 certificate) => Convert.ToHexString(SHA256.HashData(certificate.RawData));

    /// <summary>
    /// A fingerprint as an operator may type or paste it (colons, spaces, lower case, as openssl prints it) in the
    /// canonical form; throws <see cref="ArgumentException"/> naming what is wrong.
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // "sha256 Fingerprint=AB:CD:…" as `openssl x509 -fingerprint -sha256` prints it: the part after '='.
        string value = text[(text.LastIndexOf('=') + 1)..];
        string hex = new(value.Where(c => c is not (':' or '-') && !char.IsWhiteSpace(c)).ToArray());
        if (hex.Length != Length || !hex.All(Uri.IsHexDigit))
            throw new ArgumentException($"'{text}' is not a SHA-256 certificate fingerprint: it must be {Length} hex digits (colons allowed), as the server logs it and Connect-ProvServer prints it.", nameof(text));
        return hex.ToUpperInvariant();
    }
}
