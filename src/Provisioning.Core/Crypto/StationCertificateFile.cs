using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Provisioning.Core.Crypto;

/// <summary>
/// A station's client certificate, made where it is used: the key pair is generated here, only a PKCS#10 request
/// (public key and name, signed with the key) goes to the server, and the certificate that comes back is written with
/// its key into a password-protected PFX readable by its owner only. The private key never leaves this process but
/// in that file.
/// </summary>
public sealed class StationCertificateFile : IDisposable
{
    private readonly ECDsa _key;

    private StationCertificateFile(string name, ECDsa key, string request)
    {
        Name = name;
        _key = key;
        SigningRequestPem = request;
    }

    /// <summary>The name the certificate is asked for (its subject's common name).</summary>
    public string Name { get; }

    /// <summary>The PKCS#10 request to send, PEM.</summary>
    public string SigningRequestPem { get; }

    /// <summary>A new key pair (ECDSA P-256: small, and the fastest TLS handshake) and the request for <paramref name="name"/>.</summary>
    public static StationCertificateFile NewRequest(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("Give the certificate a name saying which station or line uses it.", nameof(name));
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var subject = new X500DistinguishedNameBuilder();
            subject.AddCommonName(name.Trim());
            var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")], critical: false));
            return new StationCertificateFile(name.Trim(), key, request.CreateSigningRequestPem());
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks the certificate the server returned (it carries this request's public key and was signed by
    /// <paramref name="caCertificatePem"/>), then writes it with its key and the CA certificate into
    /// <paramref name="path"/>, encrypted with <paramref name="password"/> (PBES2, AES-256, SHA-256). Returns the
    /// certificate without its key.
    /// </summary>
    /// <exception cref="CryptographicException">The answer does not belong to this request or this CA.</exception>
    /// <exception cref="KeyFileException">The file exists and <paramref name="overwrite"/> is false.</exception>
    public X509Certificate2 Write(string certificatePem, string caCertificatePem, string path, ReadOnlySpan<char> password, bool overwrite)
    {
        if (password.IsEmpty)
            throw new ArgumentException("The PFX needs a password: the file holds the station's private key.", nameof(password));
        var certificate = X509Certificate2.CreateFromPem(certificatePem);
        using var ca = X509Certificate2.CreateFromPem(caCertificatePem);
        if (!certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(_key.ExportSubjectPublicKeyInfo()))
            throw new CryptographicException("The server returned a certificate for another key than the one this request was made with; nothing was written.");
        if (!IsIssuedBy(certificate, ca, out string problem))
            throw new CryptographicException($"The certificate the server returned does not chain to the CA certificate it sent ({problem}); nothing was written.");

        using var withKey = certificate.CopyWithPrivateKey(_key);
        var bundle = new X509Certificate2Collection { withKey, ca };
        // The export takes the password as a string; it lives only for this call.
        byte[] pfx = bundle.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, new string(password));
        try
        {
            KeyFileWriter.WriteAll(overwrite, (path, pfx, true));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
        return certificate;
    }

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="ca"/> alone (the CA as the only trust root).</summary>
    public static bool IsIssuedBy(X509Certificate2 certificate, X509Certificate2 ca, out string problem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        bool ok = chain.Build(certificate);
        problem = ok ? "" : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return ok;
    }

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();
}
