using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Provisioning.Core.Crypto;

/// <summary>
/// Reads an operator's certificate file: PKCS#12 (<c>.pfx</c>/<c>.p12</c>, with its password) or PEM (the certificate
/// first, then any chain certificates; the private key in the same file or a separate one, plain or encrypted PKCS#8
/// with the password). Every failure is a <see cref="CertificateFileException"/> that names the file and the fix.
/// </summary>
public static class CertificateFile
{
    /// <summary>
    /// The certificate with its private key, and the other certificates of the file (its chain, to send beside it).
    /// </summary>
    public static CertificateWithChain LoadWithKey(string path, string? keyPath, ReadOnlySpan<char> password)
    {
        string text = ReadText(path);
        if (!IsPem(text))
        {
            var all = LoadPkcs12(path, password);
            var leaf = all.FirstOrDefault(c => c.HasPrivateKey);
            if (leaf is null)
            {
                Dispose(all);
                throw new CertificateFileException($"The certificate file {path} holds no private key: export the certificate with its key (a PFX with the key, or a PEM certificate with -CertificateKeyPath).");
            }
            if (keyPath is not null)
            {
                Dispose(all);
                throw new CertificateFileException($"{path} is a PKCS#12 (PFX) file, which holds its own key: give -CertificateKeyPath only with a PEM certificate.");
            }
            return new CertificateWithChain(ForTls(leaf), all.Where(c => !ReferenceEquals(c, leaf)).ToArray());
        }

        var certificates = PemCertificates(text, path);
        string keyText = keyPath is null ? text : ReadText(keyPath);
        string keyFile = keyPath ?? path;
        bool encrypted = keyText.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal);
        if (!encrypted && !keyText.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            Dispose(certificates);
            throw new CertificateFileException($"No private key was found in {keyFile}: give the key file with -CertificateKeyPath, or put the key (PEM) in the certificate file.");
        }
        if (encrypted && password.IsEmpty)
        {
            Dispose(certificates);
            throw new CertificateFileException($"The private key in {keyFile} is encrypted: give its password with -CertificatePassword.");
        }
        X509Certificate2 withKey;
        string leafPem = certificates[0].ExportCertificatePem();
        try
        {
            withKey = encrypted
                ? X509Certificate2.CreateFromEncryptedPem(leafPem, keyText, password)
                : X509Certificate2.CreateFromPem(leafPem, keyText);
        }
        catch (CryptographicException ex)
        {
            Dispose(certificates);
            throw new CertificateFileException(encrypted
                ? $"The private key in {keyFile} could not be decrypted: the password is wrong, or the key is damaged."
                : $"The private key in {keyFile} could not be read ({ex.Message.TrimEnd('.')}).", ex);
        }
        catch (ArgumentException ex)
        {
            Dispose(certificates);
            throw new CertificateFileException($"The private key in {keyFile} does not belong to the first certificate of {path}: put the server's own certificate first, followed by its chain.", ex);
        }
        certificates[0].Dispose();
        return new CertificateWithChain(ForTls(withKey), certificates.Skip(1).ToArray());
    }

    /// <summary>The certificates of the file without keys, the one with a key (or the first) first: what a client may trust or pin.</summary>
    public static IReadOnlyList<X509Certificate2> LoadPublic(string path, ReadOnlySpan<char> password)
    {
        string text = ReadText(path);
        if (IsPem(text))
            return PemCertificates(text, path);
        var all = LoadPkcs12(path, password);
        try
        {
            return all.OrderByDescending(c => c.HasPrivateKey).Select(c => X509CertificateLoader.LoadCertificate(c.RawData)).ToArray();
        }
        finally
        {
            Dispose(all);
        }
    }

    /// <summary>
    /// CA certificates from a PEM or DER file (as <c>ca.crt</c> of a server's data folder, or an operator's CA), for
    /// <c>Connect-ProvServer -CaCertificatePath</c>.
    /// </summary>
    public static IReadOnlyList<X509Certificate2> LoadCaCertificates(string path)
    {
        string text = ReadText(path);
        if (IsPem(text))
            return PemCertificates(text, path);
        try
        {
            return [X509CertificateLoader.LoadCertificateFromFile(path)];
        }
        catch (CryptographicException ex)
        {
            throw new CertificateFileException($"{path} is not a certificate (PEM or DER); give the server's CA certificate, ca.crt in the tls folder of its data path.", ex);
        }
    }

    private static X509Certificate2[] LoadPkcs12(string path, ReadOnlySpan<char> password)
    {
        try
        {
            var collection = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password, X509KeyStorageFlags.Exportable);
            if (collection.Count == 0)
                throw new CertificateFileException($"The PKCS#12 file {path} holds no certificate.");
            return [.. collection];
        }
        catch (CryptographicException ex)
        {
            throw new CertificateFileException(password.IsEmpty
                ? $"The certificate file {path} could not be opened: it is not PEM, and as a PKCS#12 (PFX) file it needs its password (-CertificatePassword), or it is damaged."
                : $"The certificate file {path} could not be opened: the password is wrong, or it is not a PEM or PKCS#12 (PFX) file.", ex);
        }
    }

    private static X509Certificate2[] PemCertificates(string text, string path)
    {
        var certificates = new List<X509Certificate2>();
        var rest = text.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            var block = rest[fields.Location];
            if (rest.Span[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                try
                {
                    certificates.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(rest[fields.Base64Data].ToString())));
                }
                catch (Exception ex) when (ex is CryptographicException or FormatException)
                {
                    Dispose(certificates);
                    throw new CertificateFileException($"A CERTIFICATE block of {path} is damaged ({ex.Message.TrimEnd('.')}).", ex);
                }
            }
            rest = rest[(fields.Location.Start.Value + block.Length)..];
        }
        if (certificates.Count == 0)
            throw new CertificateFileException($"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        return [.. certificates];
    }

    private static string ReadText(string path)
    {
        try
        {
            // Certificates and keys are small; anything large is not one (and is not read whole).
            var info = new FileInfo(path);
            if (!info.Exists)
                throw new CertificateFileException($"The certificate file {path} does not exist.");
            if (info.Length > 1024 * 1024)
                throw new CertificateFileException($"{path} is {info.Length} bytes: too large to be a certificate or key file.");
            return System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateFileException($"The certificate file {path} cannot be read ({ex.Message.TrimEnd('.')}).", ex);
        }
    }

    private static bool IsPem(string text) => text.Contains("-----BEGIN ", StringComparison.Ordinal);

    // SChannel (Windows) signs handshakes only with a key in a key store, not an ephemeral one: reload through PKCS#12.
    private static X509Certificate2 ForTls(X509Certificate2 certificate)
    {
        if (!OperatingSystem.IsWindows())
            return certificate;
        using (certificate)
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private static void Dispose(IEnumerable<X509Certificate2> certificates)
    {
        foreach (var certificate in certificates)
            certificate.Dispose();
    }
}

/// <summary>A certificate with its private key and the chain certificates that came with it.</summary>
public sealed class CertificateWithChain(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> chain) : IDisposable
{
    /// <summary>The certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; } = certificate;

    /// <summary>The other certificates of the file (intermediates, the CA), without keys.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; } = chain;

    /// <inheritdoc/>
    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var c in Chain)
            c.Dispose();
    }
}

/// <summary>A certificate or key file cannot be used; the message names the file and what to do.</summary>
public sealed class CertificateFileException(string message, Exception? inner = null) : Exception(message, inner);
