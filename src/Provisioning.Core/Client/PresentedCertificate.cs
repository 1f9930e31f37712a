using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Client;

/// <summary>What an HTTPS server showed: its certificate and the CA it chains to, by fingerprint, for an operator to check.</summary>
public sealed record PresentedCertificate
{
    /// <summary>The server certificate's subject.</summary>
    public required string Subject { get; init; }

    /// <summary>SHA-256 fingerprint of the server certificate.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>End of its validity (UTC).</summary>
    public required DateTime NotAfter { get; init; }

    /// <summary>The DNS names and IP addresses it is valid for.</summary>
    public required IReadOnlyList<string> Names { get; init; }

    /// <summary>Subject of the CA at the top of the chain the server sent, or null when it sent the certificate alone.</summary>
    public string? CaSubject { get; init; }

    /// <summary>SHA-256 fingerprint of that CA: the one to pin, since it stays when the server certificate is renewed.</summary>
    public string? CaFingerprint { get; init; }

    /// <summary>Reads a certificate and the chain presented with it (leaf first).</summary>
    internal static PresentedCertificate Of(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> chain)
    {
        var top = chain.Count > 0 && chain[^1].RawData.AsSpan().SequenceEqual(leaf.RawData) ? null : chain.LastOrDefault();
        return new PresentedCertificate
        {
            Subject = leaf.Subject,
            Fingerprint = CertificateFingerprint.Of(leaf),
            NotAfter = leaf.NotAfter.ToUniversalTime(),
            Names = NamesOf(leaf),
            CaSubject = top?.Subject,
            CaFingerprint = top is null ? null : CertificateFingerprint.Of(top),
        };
    }

    /// <summary>The subject alternative names of a certificate (DNS and IP), or its common name when it has none.</summary>
    internal static IReadOnlyList<string> NamesOf(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (names is null)
            return [certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false)];
        return [.. names.EnumerateDnsNames(), .. names.EnumerateIPAddresses().Select(a => a.ToString())];
    }

    /// <summary>Both fingerprints on one line each, as Connect-ProvServer shows them on first contact.</summary>
    public override string ToString() =>
        $"Server certificate: {Subject}, valid until {NotAfter:yyyy-MM-dd}, for {string.Join(", ", Names)}{Environment.NewLine}" +
        $"  SHA-256 fingerprint: {Fingerprint}" +
        (CaFingerprint is null ? "" : $"{Environment.NewLine}Issued by CA: {CaSubject}{Environment.NewLine}  SHA-256 fingerprint: {CaFingerprint}");
}
