using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Crypto;

namespace Provisioning.Server.Tls;

/// <summary>
/// The certificate the server presents, with the chain it sends beside it. Either issued by the server's own CA for
/// its names and addresses — in memory only, at each start, and renewed in memory before it expires (checked at each
/// handshake, so a server that runs for months keeps a valid one) — or the operator's, as given.
/// </summary>
public sealed class ServerCertificateSource
{
    /// <summary>How long a certificate of the server's own CA is valid.</summary>
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(30);
    /// <summary>How long before its end it is replaced.</summary>
    public static readonly TimeSpan DefaultRenewBefore = TimeSpan.FromDays(10);

    private readonly CertificateAuthority? _ca;
    private readonly IReadOnlyList<string> _hostNames = [];
    private readonly IReadOnlyList<IPAddress> _addresses = [];
    private readonly TimeSpan _validity, _renewBefore;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Lock _renewing = new();
    private volatile Issued _current;

    private sealed record Issued(X509Certificate2 Certificate, SslStreamCertificateContext Context, DateTimeOffset RenewAt);

    private ServerCertificateSource(CertificateAuthority? ca, TimeSpan validity, TimeSpan renewBefore, TimeProvider time, ILogger log, Issued first)
    {
        _ca = ca;
        _validity = validity;
        _renewBefore = renewBefore;
        _time = time;
        _log = log;
        _current = first;
    }

    private ServerCertificateSource(CertificateAuthority ca, IReadOnlyList<string> hostNames, IReadOnlyList<IPAddress> addresses,
        TimeSpan validity, TimeSpan renewBefore, TimeProvider time, ILogger log)
        : this(ca, validity, renewBefore, time, log, null!)
    {
        _hostNames = hostNames;
        _addresses = addresses;
        _current = Issue();
    }

    /// <summary>Certificates issued by <paramref name="ca"/> for <paramref name="hostNames"/> and <paramref name="addresses"/>.</summary>
    public static ServerCertificateSource FromAuthority(CertificateAuthority ca, IReadOnlyList<string> hostNames, IReadOnlyList<IPAddress> addresses,
        ILogger log, TimeSpan? validity = null, TimeSpan? renewBefore = null, TimeProvider? time = null)
    {
        var source = new ServerCertificateSource(ca, hostNames, addresses, validity ?? DefaultValidity, renewBefore ?? DefaultRenewBefore, time ?? TimeProvider.System, log);
        log.LogInformation("TLS: server certificate from the server's CA for {Names}; SHA-256 {Fingerprint}, valid until {NotAfter:yyyy-MM-dd}, renewed {RenewBefore} days before; CA SHA-256 {CaFingerprint} ({CaPath})",
            string.Join(", ", hostNames.Concat(addresses.Select(a => a.ToString()))), CertificateFingerprint.Of(source.Certificate),
            source.Certificate.NotAfter.ToUniversalTime(), (int)source._renewBefore.TotalDays, ca.Fingerprint, CertificateAuthority.CertificateFileName);
        return source;
    }

    /// <summary>The operator's certificate and its chain, presented as they are (renewing it is the operator's job).</summary>
    public static ServerCertificateSource FromOperator(CertificateWithChain certificate, ILogger log, TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var context = SslStreamCertificateContext.Create(certificate.Certificate, new X509Certificate2Collection(certificate.Chain.ToArray()), offline: true);
        var source = new ServerCertificateSource(null, TimeSpan.Zero, TimeSpan.Zero, time ?? TimeProvider.System, log,
            new Issued(certificate.Certificate, context, DateTimeOffset.MaxValue));
        var leaf = certificate.Certificate;
        log.LogInformation("TLS: operator certificate {Subject} for {Names}; SHA-256 {Fingerprint}, valid until {NotAfter:yyyy-MM-dd}, sent with {ChainCount} chain certificate(s)",
            leaf.Subject, string.Join(", ", Names(leaf)), CertificateFingerprint.Of(leaf), leaf.NotAfter.ToUniversalTime(), certificate.Chain.Count);
        if (leaf.NotAfter.ToUniversalTime() < now.UtcDateTime.AddDays(30))
            log.LogWarning("TLS: the operator certificate {Subject} expires on {NotAfter:yyyy-MM-dd}: replace it before then (clients refuse an expired certificate).",
                leaf.Subject, leaf.NotAfter.ToUniversalTime());
        return source;
    }

    /// <summary>The certificate presented now (renewed first when due).</summary>
    public X509Certificate2 Certificate => Current.Certificate;

    /// <summary>The certificate and chain for the next handshake (renewed first when due).</summary>
    public SslStreamCertificateContext Context => Current.Context;

    private Issued Current
    {
        get
        {
            var current = _current;
            if (_ca is null || _time.GetUtcNow() < current.RenewAt)
                return current;
            lock (_renewing)
            {
                if (_time.GetUtcNow() >= _current.RenewAt)
                {
                    _current = Issue();
                    _log.LogInformation("TLS: renewed the server certificate: SHA-256 {Fingerprint}, valid until {NotAfter:yyyy-MM-dd}",
                        CertificateFingerprint.Of(_current.Certificate), _current.Certificate.NotAfter.ToUniversalTime());
                }
                // The replaced certificate is left to the collector: handshakes under way may still hold it.
                return _current;
            }
        }
    }

    private Issued Issue()
    {
        var certificate = _ca!.IssueServerCertificate(_hostNames, _addresses, _validity);
        // The CA goes with the certificate, so a client can check (and pin) the CA it chains to.
        var context = SslStreamCertificateContext.Create(certificate, new X509Certificate2Collection(_ca.Certificate), offline: true);
        // Renewed when _renewBefore is left, or a third of its life if the CA's own end cut it short.
        var remaining = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero) - DateTimeOffset.UtcNow;
        var renewAt = _time.GetUtcNow() + remaining - (remaining / 3 < _renewBefore ? remaining / 3 : _renewBefore);
        return new Issued(certificate, context, renewAt);
    }

    private static IEnumerable<string> Names(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        return names is null
            ? [certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false)]
            : names.EnumerateDnsNames().Concat(names.EnumerateIPAddresses().Select(a => a.ToString()));
    }
}
