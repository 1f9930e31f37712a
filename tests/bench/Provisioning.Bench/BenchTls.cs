using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Api;

namespace Provisioning.Bench;

/// <summary>
/// TLS for the benches as a station meets it: the server's CA as the only trust root, and station client certificates
/// made the way New-ProvStationCertificate makes them (a key generated here, a PKCS#10 request signed by the server's
/// CA, a password-protected PFX loaded back).
/// </summary>
internal static class BenchTls
{
    /// <summary>The server's CA certificate from its data folder.</summary>
    public static X509Certificate2 LoadCa(string dataPath) =>
        X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dataPath, "tls", "ca.crt")));

    /// <summary>Accepts the server's certificate only when it chains to <paramref name="ca"/> and names the host.</summary>
    public static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 ca) => (_, certificate, _, errors) =>
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    };

    /// <summary>A new station certificate named <paramref name="name"/>, issued through <c>POST /api/v1/certificates</c>, with its key.</summary>
    public static async Task<X509Certificate2> IssueAsync(HttpClient admin, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name);
        string csr = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        using var response = await admin.PostAsync(ApiRoutes.Certificates, BenchHttp.Json(new CertificateSigningRequest(name, csr, 30)));
        var issued = await BenchHttp.ReadAsync<IssuedStationCertificate>(response, "POST /certificates");
        using var certificate = X509Certificate2.CreateFromPem(issued.Certificate);
        using var withKey = certificate.CopyWithPrivateKey(key);
        // Through a PFX, as a station loads its file.
        const string password = "bench";
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12, password), password);
    }
}
