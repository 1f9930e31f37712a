using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Client;

/// <summary>Why a server's certificate was refused.</summary>
public enum CertificateRejectionReason
{
    /// <summary>No trust was given and the system store does not trust it.</summary>
    NotTrusted,
    /// <summary>Neither the certificate nor its chain has a pinned fingerprint.</summary>
    NotPinned,
    /// <summary>It does not chain to the trusted CA (and matches no pin).</summary>
    NotFromCa,
    /// <summary>It is trusted but not valid for the host name connected to.</summary>
    NameMismatch,
    /// <summary>It is expired or not yet valid.</summary>
    Expired,
    /// <summary>The server sent none.</summary>
    NoCertificate,
}

/// <summary>A refused server certificate: what was shown and why it was refused.</summary>
public sealed record CertificateRejection(string Host, CertificateRejectionReason Reason, PresentedCertificate? Presented);

/// <summary>
/// One <see cref="SocketsHttpHandler"/> per distinct <see cref="ServerTrust"/> for the process (connections are pooled
/// across clients with the same trust), with the certificate check of that trust. It remembers, per host, the last
/// certificate accepted (shown on first contact) and the last one refused (so the failure can say what was seen).
/// </summary>
internal sealed class TrustedHandler
{
    private static readonly ConcurrentDictionary<string, TrustedHandler> ByTrust = new(StringComparer.Ordinal);
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    private readonly ServerTrust _trust;
    private readonly ConcurrentDictionary<string, PresentedCertificate> _accepted = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, CertificateRejection> _rejected = new(StringComparer.OrdinalIgnoreCase);

    private TrustedHandler(ServerTrust trust)
    {
        _trust = trust;
        var ssl = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate };
        if (trust.ClientCertificate is { } mine)
        {
            ssl.ClientCertificates = new X509CertificateCollection { mine };
            // Offered whatever CA names the server lists: the server decides whether it is acceptable.
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => mine;
        }
        Handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // Sockets are reused between clients and DNS changes are picked up.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            AutomaticDecompression = DecompressionMethods.None,
            SslOptions = ssl,
        };
    }

    /// <summary>The handler for <paramref name="trust"/>, created on first use.</summary>
    public static TrustedHandler For(ServerTrust trust) => ByTrust.GetOrAdd(trust.Key, _ => new TrustedHandler(trust));

    /// <summary>The HTTP handler (shared: never dispose it).</summary>
    public SocketsHttpHandler Handler { get; }

    /// <summary>The trust it checks.</summary>
    public ServerTrust Trust => _trust;

    /// <summary>The certificate last accepted from <paramref name="host"/>, or null.</summary>
    public PresentedCertificate? AcceptedFrom(string host) => _accepted.GetValueOrDefault(Bare(host));

    /// <summary>The refusal recorded for <paramref name="host"/> by the last failed handshake, taken (so it is reported once).</summary>
    public CertificateRejection? TakeRejection(string host) => _rejected.TryRemove(Bare(host), out var rejection) ? rejection : null;

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        string host = Bare((sender as SslStream)?.TargetHostName ?? "");
        if (certificate is null)
        {
            _rejected[host] = new CertificateRejection(host, CertificateRejectionReason.NoCertificate, null);
            return false;
        }
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var presented = Presented(leaf, chain);
        var seen = PresentedCertificate.Of(leaf, presented);
        var reason = Check(leaf, presented, errors);
        if (reason is null)
        {
            _accepted[host] = seen;
            return true;
        }
        _rejected[host] = new CertificateRejection(host, reason.Value, seen);
        return false;
    }

    private CertificateRejectionReason? Check(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> presented, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            return CertificateRejectionReason.NoCertificate;
        var now = DateTime.Now;
        if (leaf.NotAfter < now || leaf.NotBefore > now)
            return CertificateRejectionReason.Expired;
        bool nameMatches = (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        if (_trust.UsesSystemStore)
            return errors == SslPolicyErrors.None ? null
                : errors == SslPolicyErrors.RemoteCertificateNameMismatch ? CertificateRejectionReason.NameMismatch
                : CertificateRejectionReason.NotTrusted;

        // The exact certificate pinned: the operator checked this one, whatever names it carries.
        if (_trust.Fingerprints.Contains(CertificateFingerprint.Of(leaf)))
            return null;
        // A pinned CA counts only if it really signed the chain (a server can append any certificate to what it sends).
        var pinnedInChain = presented.Skip(1).Where(c => _trust.Fingerprints.Contains(CertificateFingerprint.Of(c))).ToArray();
        bool trustedChain = (pinnedInChain.Length > 0 && ChainsTo(leaf, pinnedInChain, presented))
                            || (_trust.CaCertificates.Count > 0 && ChainsTo(leaf, _trust.CaCertificates, presented));
        if (trustedChain)
            return nameMatches ? null : CertificateRejectionReason.NameMismatch;
        return _trust.CaCertificates.Count == 0 ? CertificateRejectionReason.NotPinned : CertificateRejectionReason.NotFromCa;
    }

    private static bool ChainsTo(X509Certificate2 leaf, IEnumerable<X509Certificate2> roots, IReadOnlyList<X509Certificate2> presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        chain.ChainPolicy.ExtraStore.AddRange(presented.Skip(1).ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuth);
        return chain.Build(leaf);
    }

    // The server's certificate first, then what it sent with it, in chain order where the chain could be built.
    private static IReadOnlyList<X509Certificate2> Presented(X509Certificate2 leaf, X509Chain? chain)
    {
        var all = new List<X509Certificate2> { leaf };
        IEnumerable<X509Certificate2> sent = chain is null ? [] : chain.ChainElements.Select(e => e.Certificate).Concat(chain.ChainPolicy.ExtraStore.Cast<X509Certificate2>());
        // The server's own CA rides in its certificate (Linux TLS never sends a self-signed root); it counts only once it verifies.
        if (IssuingCaExtension.Read(leaf) is { } carried)
            sent = sent.Append(carried);
        foreach (var certificate in sent)
        {
            if (!all.Any(c => c.RawData.AsSpan().SequenceEqual(certificate.RawData)))
                all.Add(certificate);
        }
        return all;
    }

    private static string Bare(string host) => host.Trim('[', ']');
}
