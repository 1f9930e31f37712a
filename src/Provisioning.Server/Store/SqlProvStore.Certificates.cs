using System.Data.Common;
using Provisioning.Core.Api;

namespace Provisioning.Server.Store;

// Station client certificates issued by the server's CA: their facts (never a key), looked up by thumbprint on every
// request, so a revocation written here is seen at once by every server instance sharing the database.
public abstract partial class SqlProvStore
{
    private const string CertificateColumns = "id, name, serial, thumbprint, not_before, not_after, issued, issued_by, revoked, revoked_by";

    /// <inheritdoc/>
    public async Task<StationCertificateInfo> AddStationCertificateAsync(NewStationCertificate certificate, CancellationToken ct = default)
    {
        var id = await WriteAsync(tx => InsertAsync(tx,
            "INSERT INTO station_certificates (name, serial, thumbprint, not_before, not_after, issued, issued_by) " +
            "VALUES (@name, @serial, @thumbprint, @notBefore, @notAfter, @issued, @issuedBy)", ct,
            ("@name", certificate.Name), ("@serial", certificate.Serial), ("@thumbprint", certificate.Thumbprint),
            ("@notBefore", ToMs(certificate.NotBefore)), ("@notAfter", ToMs(certificate.NotAfter)), ("@issued", ToMs(certificate.Issued)),
            ("@issuedBy", certificate.IssuedBy)), ct);
        return new StationCertificateInfo(id, certificate.Name, certificate.Serial, certificate.Thumbprint, FromMs(ToMs(certificate.NotBefore)),
            FromMs(ToMs(certificate.NotAfter)), FromMs(ToMs(certificate.Issued)), certificate.IssuedBy, null, null);
    }

    /// <inheritdoc/>
    public async Task<StationCertificateInfo?> FindStationCertificateAsync(string thumbprint, CancellationToken ct = default)
    {
        var rows = await QueryAsync($"SELECT {CertificateColumns} FROM station_certificates WHERE thumbprint = @thumbprint", ReadCertificate, ct,
            ("@thumbprint", thumbprint.ToUpperInvariant()));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<StationCertificateInfo>> ListStationCertificatesAsync(CancellationToken ct = default) =>
        await QueryAsync($"SELECT {CertificateColumns} FROM station_certificates ORDER BY id", ReadCertificate, ct);

    /// <inheritdoc/>
    public Task<StationCertificateInfo?> RevokeStationCertificateAsync(long id, DateTimeOffset revoked, string? revokedBy, CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            // An already revoked certificate keeps its first revocation (time and who).
            await ExecuteAsync(tx.Connection!, tx, "UPDATE station_certificates SET revoked = @revoked, revoked_by = @revokedBy WHERE id = @id AND revoked IS NULL", ct,
                ("@revoked", ToMs(revoked)), ("@revokedBy", revokedBy), ("@id", id));
            await using var select = Command(tx.Connection!, tx, $"SELECT {CertificateColumns} FROM station_certificates WHERE id = @id", ("@id", id));
            await using var reader = await select.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? ReadCertificate(reader) : null;
        }, ct);

    private static StationCertificateInfo ReadCertificate(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), FromMs(r.GetInt64(4)), FromMs(r.GetInt64(5)), FromMs(r.GetInt64(6)),
            GetNullableString(r, 7), FromMs(r, 8), GetNullableString(r, 9));
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
