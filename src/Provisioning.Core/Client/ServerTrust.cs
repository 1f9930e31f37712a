using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Client;

/// <summary>
/// How a client decides that an HTTPS server is the one it means, and which certificate it shows of its own.
/// With CA certificates, the server's certificate must chain to one of them and name the host connected to; with
/// pinned fingerprints, the server's certificate itself or a certificate of the chain it presents (its CA) must have
/// one of them (a pinned CA must really have signed the chain, and the name must match); with neither, the
/// operating system's trust store decides. Given trust replaces the system store: nothing else is accepted.
/// </summary>
public sealed class ServerTrust
{
    private ServerTrust(IReadOnlyList<X509Certificate2> caCertificates, IReadOnlyList<string> fingerprints, X509Certificate2? clientCertificate)
    {
        CaCertificates = caCertificates;
        Fingerprints = fingerprints;
        ClientCertificate = clientCertificate;
        Key = string.Join(",", caCertificates.Select(CertificateFingerprint.Of).Order(StringComparer.Ordinal)) + "|" +
              string.Join(",", fingerprints.Order(StringComparer.Ordinal)) + "|" +
              (clientCertificate is null ? "" : CertificateFingerprint.Of(clientCertificate));
    }

    /// <summary>The operating system's trust store, no client certificate: what a browser would accept.</summary>
    public static ServerTrust System { get; } = new([], [], null);

    /// <summary>
    /// Trust in <paramref name="caCertificates"/> (copied: disposing the originals does not affect it) and/or the
    /// <paramref name="fingerprints"/> (any form <see cref="CertificateFingerprint.Normalize"/> takes); optionally a
    /// client certificate with its private key (kept by reference: do not dispose it while the trust is in use).
    /// </summary>
    public static ServerTrust Create(IEnumerable<X509Certificate2>? caCertificates, IEnumerable<string>? fingerprints, X509Certificate2? clientCertificate = null)
    {
        var cas = (caCertificates ?? []).Select(c => X509CertificateLoader.LoadCertificate(c.RawData)).ToArray();
        var pins = (fingerprints ?? []).Select(CertificateFingerprint.Normalize).Distinct().ToArray();
        if (clientCertificate is { HasPrivateKey: false })
            throw new ArgumentException($"The client certificate {clientCertificate.Subject} has no private key: give the PFX (or PEM with key) the certificate was issued in.", nameof(clientCertificate));
        return new ServerTrust(cas, pins, clientCertificate);
    }

    /// <summary>This trust with another client certificate (or none).</summary>
    public ServerTrust WithClientCertificate(X509Certificate2? clientCertificate) => Create(CaCertificates, Fingerprints, clientCertificate);

    /// <summary>Certificates whose chains are trusted (the server's private CA).</summary>
    public IReadOnlyList<X509Certificate2> CaCertificates { get; }

    /// <summary>Pinned SHA-256 fingerprints, canonical form.</summary>
    public IReadOnlyList<string> Fingerprints { get; }

    /// <summary>The certificate this client presents (a station certificate), or null.</summary>
    public X509Certificate2? ClientCertificate { get; }

    /// <summary>Whether the operating system's store decides (no CA and no fingerprint given).</summary>
    public bool UsesSystemStore => CaCertificates.Count == 0 && Fingerprints.Count == 0;

    /// <summary>Identity of the trust: clients with equal keys share one connection pool.</summary>
    internal string Key { get; }

    /// <summary>What the trust accepts, for messages.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (CaCertificates.Count > 0)
            parts.Add("certificates issued by " + string.Join(" or ", CaCertificates.Select(c => $"{c.Subject} ({CertificateFingerprint.Of(c)})")));
        if (Fingerprints.Count > 0)
            parts.Add("the pinned fingerprint" + (Fingerprints.Count > 1 ? "s " : " ") + string.Join(", ", Fingerprints));
        return parts.Count == 0 ? "certificates this computer's trust store accepts" : string.Join(", and ", parts);
    }
}
