using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Provisioning.Core.Crypto;
using Provisioning.Server.Hosting;
using Provisioning.Server.Keys;

namespace Provisioning.Server.Tls;

/// <summary>
/// The server's private certificate authority, kept under <c>&lt;DataPath&gt;/tls/</c>: <c>ca.crt</c> (the CA
/// certificate, PEM; public, clients trust it) and <c>ca.key.sealed</c> (its ECDSA P-256 private key, PKCS#8 sealed
/// with the master key, so the file alone opens nothing). Created on first use. It issues the server's own TLS
/// certificate and station client certificates; every certificate it issues lives in memory only, with its key.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    /// <summary>Name of the CA certificate file in the TLS folder.</summary>
    public const string CertificateFileName = "ca.crt";
    /// <summary>Name of the sealed CA private key file in the TLS folder.</summary>
    public const string KeyFileName = "ca.key.sealed";
    /// <summary>How long a new CA is valid.</summary>
    public static readonly TimeSpan CaValidity = TimeSpan.FromDays(3650);

    // Binds the sealed key to its use: a blob sealed for another purpose with the same master key does not open here.
    private const string SealContext = "prov-ca-key:v1";
    private const int SerialLength = 16;
    // Certificates start a little in the past so a client whose clock is behind still accepts a fresh one.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "Server Authentication");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    private readonly ECDsa _key;
    private readonly X509Certificate2 _signer; // the CA certificate with its private key: never leaves this object
    private readonly Lock _signing = new();

    private CertificateAuthority(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
        _signer = certificate.CopyWithPrivateKey(key);
        Fingerprint = CertificateFingerprint.Of(certificate);
    }

    /// <summary>The CA certificate (public part only).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>SHA-256 of the CA certificate's DER, upper-case hex without colons: what a client pins.</summary>
    public string Fingerprint { get; }

    /// <summary>
    /// Loads the CA from <paramref name="folder"/>, creating it (and the folder, owner-only) on first call. Several
    /// server instances sharing the folder may start at once: the first file written wins and the others load it.
    /// Throws <see cref="StartupException"/> when the files exist but cannot be used (another master key, damage).
    /// </summary>
    public static CertificateAuthority LoadOrCreate(string folder, MasterKey masterKey, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(masterKey);
        ArgumentNullException.ThrowIfNull(log);
        folder = Path.GetFullPath(folder);
        OwnerOnlyFolder.Create(folder);
        string keyPath = Path.Combine(folder, KeyFileName), certPath = Path.Combine(folder, CertificateFileName);

        if (!File.Exists(keyPath))
        {
            if (File.Exists(certPath))
                throw new StartupException($"The CA certificate {certPath} is there but its private key {keyPath} is not: restore {KeyFileName} from backup, or move the folder {folder} away to create a new CA (every client that trusts the old CA must then be given the new {CertificateFileName}).");
            using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            byte[] pkcs8 = fresh.ExportPkcs8PrivateKey();
            try
            {
                OwnerOnlyFile.CreateNew(keyPath, masterKey.Seal(pkcs8, SealContext));
            }
            catch (IOException) when (File.Exists(keyPath))
            {
                // Another instance created the key first; use theirs.
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }
        }

        var key = OpenKey(keyPath, masterKey);
        try
        {
            if (!File.Exists(certPath))
            {
                // A new key, or a start that stopped between the two files: the certificate is made from the key.
                using var created = CreateCaCertificate(key);
                try
                {
                    OwnerOnlyFile.CreateNew(certPath, Encoding.ASCII.GetBytes(created.ExportCertificatePem() + "\n"));
                    log.LogInformation("Created the server's certificate authority in {Folder}: CA fingerprint (SHA-256) {Fingerprint}", folder, CertificateFingerprint.Of(created));
                }
                catch (IOException) when (File.Exists(certPath))
                {
                    // Another instance wrote it first; load theirs below.
                }
            }
            var certificate = LoadCertificate(certPath);
            if (!SamePublicKey(certificate, key))
                throw new StartupException($"The CA certificate {certPath} does not belong to the key {keyPath}: restore both files of the folder {folder} from the same backup.");
            if (certificate.NotAfter.ToUniversalTime() < DateTime.UtcNow)
                throw new StartupException($"The server's CA certificate {certPath} expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}: move the folder {folder} away to create a new CA, and give every client the new {CertificateFileName}.");
            return new CertificateAuthority(certificate, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Issues a TLS server certificate (serverAuth) for <paramref name="hostNames"/> and <paramref name="addresses"/>
    /// (its subject alternative names), with a new ECDSA P-256 key, in memory only. Its validity ends at the latest
    /// with the CA's.
    /// </summary>
    public X509Certificate2 IssueServerCertificate(IReadOnlyList<string> hostNames, IReadOnlyList<IPAddress> addresses, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(hostNames);
        ArgumentNullException.ThrowIfNull(addresses);
        if (hostNames.Count == 0 && addresses.Count == 0)
            throw new ArgumentException("A server certificate needs at least one host name or IP address.", nameof(hostNames));
        var names = new SubjectAlternativeNameBuilder();
        foreach (string host in hostNames.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (Uri.CheckHostName(host) != UriHostNameType.Dns)
                throw new ArgumentException($"'{host}' is not a DNS host name for a server certificate (IP addresses go with -IpAddress).", nameof(hostNames));
            names.AddDnsName(host);
        }
        foreach (var address in addresses.Distinct())
            names.AddIpAddress(address);

        string commonName = hostNames.Count > 0 ? hostNames[0] : addresses[0].ToString();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(Subject(commonName), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(names.Build());
        AddLeafExtensions(request, ServerAuth);
        // TLS on Linux does not send the self-signed CA beside the certificate: it travels inside it, for clients that pin it.
        request.CertificateExtensions.Add(IssuingCaExtension.Create(Certificate));
        using var issued = Sign(request, validity, out _);
        var withKey = issued.CopyWithPrivateKey(key);
        if (!OperatingSystem.IsWindows())
            return withKey;
        // SChannel signs handshakes only with a key in a key store, not an ephemeral CNG key: reload through PKCS#12.
        using (withKey)
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>
    /// Issues a client certificate (clientAuth) whose common name is <paramref name="name"/>, with a new ECDSA P-256
    /// key, in memory only (exportable, so the caller can write it to a password-protected PFX).
    /// <paramref name="serial"/> is its serial number, 16 random bytes as they appear in the certificate.
    /// </summary>
    public X509Certificate2 IssueClientCertificate(string name, TimeSpan validity, out byte[] serial)
    {
        var subject = Subject(CheckName(name));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        AddLeafExtensions(request, ClientAuth);
        using var issued = Sign(request, validity, out serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// Signs the public key of a PKCS#10 certificate request (DER or PEM) as a client certificate (clientAuth) whose
    /// common name is <paramref name="name"/> (the request's own subject and extensions are not copied: the CA decides
    /// what it certifies). The request's signature must verify, proving its sender holds the private key. Throws
    /// <see cref="ArgumentException"/> for a request that is malformed, badly signed or has a weak key.
    /// </summary>
    public X509Certificate2 SignClientCertificate(string name, byte[] pkcs10Request, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(pkcs10Request);
        var subject = Subject(CheckName(name));
        CertificateRequest csr;
        try
        {
            csr = LooksLikePem(pkcs10Request)
                ? CertificateRequest.LoadSigningRequestPem(Encoding.ASCII.GetString(pkcs10Request), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default)
                : CertificateRequest.LoadSigningRequest(pkcs10Request, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"The certificate request is not a valid, correctly signed PKCS#10 request ({ex.Message.TrimEnd('.')}); make a new one with the station's key.", nameof(pkcs10Request), ex);
        }
        CheckKeyStrength(csr.PublicKey);
        var request = new CertificateRequest(subject, csr.PublicKey, HashAlgorithmName.SHA256);
        AddLeafExtensions(request, ClientAuth);
        return Sign(request, validity, out _);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _signer.Dispose();
        _key.Dispose();
        Certificate.Dispose();
    }

    private X509Certificate2 Sign(CertificateRequest request, TimeSpan validity, out byte[] serial)
    {
        if (validity <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(validity), validity, "A certificate's validity must be positive.");
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + validity;
        var caNotAfter = new DateTimeOffset(_signer.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter > caNotAfter)
            notAfter = caNotAfter;
        byte[] serialBytes = NewSerial();
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_signer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        X509Certificate2 issued;
        lock (_signing)
            issued = request.Create(_signer.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now - ClockSkew, notAfter, serialBytes);
        serial = issued.SerialNumberBytes.ToArray();
        return issued;
    }

    private static X509Certificate2 CreateCaCertificate(ECDsa key)
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName($"Provisioning CA {Dns.GetHostName()} {DateTime.UtcNow:yyyy-MM-dd}");
        name.AddOrganizationName("Provisioning server");
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        // Path length 0: the CA signs end-entity certificates only, never another CA.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now - ClockSkew, now + CaValidity);
    }

    private static void AddLeafExtensions(CertificateRequest request, Oid usage)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        var keyUsage = request.PublicKey.Oid.Value == "1.2.840.113549.1.1.1"
            ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment
            : X509KeyUsageFlags.DigitalSignature;
        request.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
    }

    private static ECDsa OpenKey(string keyPath, MasterKey masterKey)
    {
        byte[] sealedKey = File.ReadAllBytes(keyPath);
        byte[] pkcs8 = new byte[MasterKey.PlaintextLength(sealedKey)];
        try
        {
            masterKey.Open(sealedKey, SealContext, pkcs8);
            var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            return key;
        }
        catch (CryptographicException ex)
        {
            throw new StartupException($"The CA key {keyPath} cannot be opened with this server's master key: it was sealed with another master.key, or it is damaged. Restore the master key (or the tls folder) from backup; the CA key is never readable without it.", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static X509Certificate2 LoadCertificate(string certPath)
    {
        try
        {
            return X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException)
        {
            throw new StartupException($"The CA certificate {certPath} is not a PEM certificate: restore it from backup.", ex);
        }
    }

    private static bool SamePublicKey(X509Certificate2 certificate, ECDsa key)
    {
        using var certKey = certificate.GetECDsaPublicKey();
        return certKey is not null && certKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo());
    }

    private static X500DistinguishedName Subject(string commonName)
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(commonName);
        return name.Build();
    }

    private static string CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string trimmed = name.Trim();
        if (trimmed.Length is 0 or > 64 || trimmed.Any(char.IsControl))
            throw new ArgumentException($"'{name}' cannot be a certificate name: give 1 to 64 printable characters.", nameof(name));
        return trimmed;
    }

    private static void CheckKeyStrength(PublicKey publicKey)
    {
        using var rsa = publicKey.GetRSAPublicKey();
        if (rsa is not null)
        {
            if (rsa.KeySize < 2048)
                throw new ArgumentException($"The certificate request's RSA key has {rsa.KeySize} bits; at least 2048 are needed.", "pkcs10Request");
            return;
        }
        using var ec = publicKey.GetECDsaPublicKey();
        if (ec is null)
            throw new ArgumentException("The certificate request's key is neither RSA nor ECDSA; make the request with one of those.", "pkcs10Request");
        if (ec.KeySize < 256)
            throw new ArgumentException($"The certificate request's ECDSA key has {ec.KeySize} bits; at least 256 (P-256) are needed.", "pkcs10Request");
    }

    private static byte[] NewSerial()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(SerialLength);
        // Positive and exactly 16 bytes in DER: no sign bit, no leading zero byte to be dropped.
        serial[0] &= 0x7F;
        if (serial[0] == 0)
            serial[0] = 1;
        return serial;
    }

    private static bool LooksLikePem(byte[] data) => data.AsSpan().TrimStart("\r\n \t"u8).StartsWith("-----BEGIN"u8);
}
