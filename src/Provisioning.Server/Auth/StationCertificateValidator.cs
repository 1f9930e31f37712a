using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Api;
using Provisioning.Core.Crypto;
using Provisioning.Server.Store;

namespace Provisioning.Server.Auth;

/// <summary>
/// A station's client certificate, after the certificate handler found its chain leads to the server's CA: it must be
/// one this server (or an instance sharing its database) issued, unrevoked and within its validity. What the database
/// says is kept only while its change count stands (<see cref="ChangeWatch"/>, read on every request), and a revocation
/// moves the count in its own transaction, so it holds from the next request on every instance.
/// </summary>
public sealed class StationCertificateValidator(IProvStore store, ChangeWatch changes, ILogger<StationCertificateValidator> log) : IStationCertificateValidator
{
    private readonly CoherentCache<string, StationCertificateInfo> _known = new(TimeSpan.FromMinutes(10));

    /// <inheritdoc/>
    public async Task<(Caller? Caller, string? Refusal)> ValidateAsync(X509Certificate2 certificate, HttpContext context)
    {
        string thumbprint = CertificateFingerprint.Of(certificate);
        long count = await changes.CurrentAsync(context, context.RequestAborted);
        if (!_known.TryGet(thumbprint, count, out var known))
        {
            known = await store.FindStationCertificateAsync(thumbprint, context.RequestAborted);
            if (known is not null)
                _known.Set(thumbprint, known, count);
        }
        string? refusal = Refusal(certificate, thumbprint, known, DateTimeOffset.UtcNow);
        if (refusal is not null)
        {
            log.LogWarning("Client certificate {Thumbprint} ({Subject}) from {Address} refused: {Refusal}", thumbprint,
                certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false), Caller.AddressOf(context), refusal);
            return (null, refusal);
        }
        return (new Caller(CallerKinds.Certificate, known!.Id, known.Name, TokenRoles.Station, Caller.AddressOf(context)), null);
    }

    /// <summary>Why a certificate is refused, for the operator; null when it is good.</summary>
    internal static string? Refusal(X509Certificate2 certificate, string thumbprint, StationCertificateInfo? known, DateTimeOffset now)
    {
        if (known is null)
            return $"The client certificate '{certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false)}' (thumbprint {thumbprint[..16]}…) is unknown to this server: " +
                "its CA signed it, but it is not in this server's database of station certificates (a database restored from before it was issued, " +
                "or another database). Issue the station a certificate with New-ProvStationCertificate.";
        if (known.Revoked is { } revoked)
            return $"The client certificate '{known.Name}' (ID {known.Id}) was revoked on {Utc(revoked)}{(known.RevokedBy is { } by ? $" by {by}" : "")}; " +
                "issue the station a new one (New-ProvStationCertificate).";
        if (now > known.NotAfter)
            return $"The client certificate '{known.Name}' (ID {known.Id}) expired on {Utc(known.NotAfter)}; issue the station a new one (New-ProvStationCertificate).";
        if (now < known.NotBefore)
            return $"The client certificate '{known.Name}' (ID {known.Id}) is not valid before {Utc(known.NotBefore)}; check the clocks of the station and the server.";
        return null;
    }

    private static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
