using Provisioning.Core.Api;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

// Station client certificates issued by the server's CA: their facts (never a key), looked up by thumbprint on every
// request, so a revocation written here is seen at once by every server instance sharing the database.
public abstract partial class SqlProvStore
{
    /// <inheritdoc/>
    public async Task<StationCertificateInfo> AddStationCertificateAsync(NewStationCertificate certificate, CancellationToken ct = default)
    {
        var id = await WriteAsync(tx => InsertAsync(tx, Sql.InsertCertificate, new
        {
            name = certificate.Name, serial = certificate.Serial, thumbprint = certificate.Thumbprint, notBefore = ToMs(certificate.NotBefore),
            notAfter = ToMs(certificate.NotAfter), issued = ToMs(certificate.Issued), issuedBy = certificate.IssuedBy,
        }, ct), ct);
        return new StationCertificateInfo(id, certificate.Name, certificate.Serial, certificate.Thumbprint, FromMs(ToMs(certificate.NotBefore)),
            FromMs(ToMs(certificate.NotAfter)), FromMs(ToMs(certificate.Issued)), certificate.IssuedBy, null, null);
    }

    /// <inheritdoc/>
    public async Task<StationCertificateInfo?> FindStationCertificateAsync(string thumbprint, CancellationToken ct = default) =>
        (await QueryAsync<CertificateRow>(Sql.FindCertificate, new { thumbprint = thumbprint.ToUpperInvariant() }, ct)).Select(ToCertificate).FirstOrDefault();

    /// <inheritdoc/>
    public async Task<IReadOnlyList<StationCertificateInfo>> ListStationCertificatesAsync(CancellationToken ct = default) =>
        (await QueryAsync<CertificateRow>(Sql.ListCertificates, null, ct)).Select(ToCertificate).ToList();

    /// <inheritdoc/>
    public Task<StationCertificateInfo?> RevokeStationCertificateAsync(long id, DateTimeOffset revoked, string? revokedBy, CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            // An already revoked certificate keeps its first revocation (time and who).
            await ExecuteAsync(tx, Sql.RevokeCertificate, new { revoked = ToMs(revoked), revokedBy, id }, ct);
            return (await QueryAsync<CertificateRow>(tx, Sql.CertificateById, new { id }, ct)).Select(ToCertificate).FirstOrDefault();
        }, ct);

    private static StationCertificateInfo ToCertificate(CertificateRow r) =>
        new(r.Id, r.Name, r.Serial, r.Thumbprint, FromMs(r.NotBefore), FromMs(r.NotAfter), FromMs(r.Issued), r.IssuedBy, FromMs(r.Revoked), r.RevokedBy);
}

/// <summary>A certificate the CA just signed, to record.</summary>
/// <param name="Name">The station or line it is for.</param>
/// <param name="Serial">Serial number, hex.</param>
/// <param name="Thumbprint">SHA-256 of the DER, upper-case hex.</param>
/// <param name="NotBefore">Start of validity.</param>
/// <param name="NotAfter">End of validity.</param>
/// <param name="Issued">When it was issued.</param>
/// <param name="IssuedBy">The caller who asked for it.</param>
public sealed record NewStationCertificate(string Name, string Serial, string Thumbprint, DateTimeOffset NotBefore, DateTimeOffset NotAfter,
    DateTimeOffset Issued, string? IssuedBy);
