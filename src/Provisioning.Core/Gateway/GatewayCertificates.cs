using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Provisioning.Core.Gateway;

/// <summary>Certificate files of the control port's TLS, read the same way on the station and the simulated gateway.</summary>
internal static class GatewayCertificates
{
    /// <summary>A certificate with its private key: PFX/P12 (no password), or PEM holding the key or with it in <paramref name="keyPath"/>.</summary>
    /// <exception cref="CryptographicException">The file is not such a certificate, or no key goes with it.</exception>
    public static X509Certificate2 LoadWithKey(string path, string? keyPath = null)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        using var loaded = extension is ".pfx" or ".p12" ? X509CertificateLoader.LoadPkcs12FromFile(path, null)
            : X509Certificate2.CreateFromPemFile(path, keyPath);
        if (!loaded.HasPrivateKey) throw new CryptographicException("no private key goes with the certificate");
        // Through PKCS#12 so the key is usable by the TLS stack on every OS (an ephemeral PEM key is not on Windows).
        return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The PEM certificates of a CA file.</summary>
    /// <exception cref="CryptographicException">The file holds none.</exception>
    public static X509Certificate2Collection LoadCa(string path)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(path);
        if (collection.Count == 0) throw new CryptographicException("the file holds no PEM certificate");
        return collection;
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of <paramref name="roots"/> (and only those); why not in <paramref name="problem"/>.</summary>
    public static bool ChainsTo(X509Certificate certificate, X509Certificate2Collection roots, out string problem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        // A factory CA publishes no revocation lists the line could reach.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        bool built = chain.Build(leaf);
        problem = built ? "" : string.Join(", ", chain.ChainStatus.Select(s => s.Status));
        return built;
    }
}
