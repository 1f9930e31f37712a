using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Provisioning.Core.Crypto;

/// <summary>
/// A non-critical certificate extension that carries the issuing CA's certificate inside a server certificate of the
/// server's own CA. TLS on Linux never sends a self-signed root beside the server certificate, so without it a client
/// that pinned the CA's fingerprint would have nothing to compare the pin with. The extension is covered by the CA's
/// signature on the certificate, and a client uses the CA it finds there only after checking its fingerprint against
/// the pin and the certificate's signature against it.
/// </summary>
public static class IssuingCaExtension
{
    /// <summary>The extension's OID (a UUID OID under 2.25, ITU-T X.667, so it needs no registry).</summary>
    public const string Oid = "2.25.196000148352110755856133378269370667944";

    /// <summary>The extension carrying <paramref name="ca"/>.</summary>
    public static X509Extension Create(X509Certificate2 ca) => new(new Oid(Oid, "Provisioning issuing CA"), ca.RawData, critical: false);

    /// <summary>The CA certificate a certificate carries, when it has the extension and it names the certificate's issuer; else null.</summary>
    public static X509Certificate2? Read(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions.Cast<X509Extension>().FirstOrDefault(e => e.Oid?.Value == Oid);
        if (extension is null)
            return null;
        try
        {
            var ca = X509CertificateLoader.LoadCertificate(extension.RawData);
            if (ca.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData))
                return ca;
            ca.Dispose();
            return null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
