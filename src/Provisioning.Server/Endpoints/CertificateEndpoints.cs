using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Provisioning.Core.Api;
using Provisioning.Core.Crypto;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Store;
using Provisioning.Server.Tls;

namespace Provisioning.Server.Endpoints;

/// <summary>
/// <c>/api/v1/certificates</c>: admin-only issue (from a station's PKCS#10 request: the key stays on the station), list
/// and revocation of station client certificates. Each issue and revocation is audited.
/// </summary>
public static class CertificateEndpoints
{
    /// <summary>Longest PEM request accepted (an RSA-4096 request is about 1.7 KB).</summary>
    public const int MaxRequestLength = 16 * 1024;

    /// <summary>The validator every request with a client certificate asks (the TLS setup makes the CA the handler's trust root).</summary>
    public static void AddServices(IServiceCollection services) =>
        services.AddSingleton<IStationCertificateValidator, StationCertificateValidator>();

    public static void Map(IEndpointRouteBuilder app)
    {
        var certificates = app.MapGroup(ApiRoutes.Certificates).RequireAdmin();
        certificates.MapPost("/", IssueAsync);
        certificates.MapGet("/", async (IProvStore store, CancellationToken ct) => Results.Json(await store.ListStationCertificatesAsync(ct), ApiJson.Options));
        certificates.MapDelete("/{id:long}", RevokeAsync);
    }

    private static async Task<IResult> IssueAsync(CertificateSigningRequest? body, HttpContext context, IProvStore store, CertificateAuthority ca,
        AuditLog audit, ILogger<CertificateSigningRequest> log, CancellationToken ct)
    {
        if (body is null || string.IsNullOrWhiteSpace(body.Name) || body.Name.Trim().Length > StationCertificateLimits.MaxNameLength || body.Name.Any(char.IsControl))
            return ApiErrors.BadRequest("BadCertificateRequest",
                $"Give the certificate a name (1–{StationCertificateLimits.MaxNameLength} printable characters) saying which station or line uses it.");
        if (string.IsNullOrWhiteSpace(body.Csr) || body.Csr.Length > MaxRequestLength)
            return ApiErrors.BadRequest("BadCertificateRequest",
                "csr must be a PKCS#10 certificate request in PEM (-----BEGIN CERTIFICATE REQUEST-----), made with the station's own key (New-ProvStationCertificate does this).");
        int days = body.ValidDays ?? StationCertificateLimits.DefaultValidDays;
        if (days is < 1 or > StationCertificateLimits.MaxValidDays)
            return ApiErrors.BadRequest("BadCertificateRequest", $"validDays must be 1 to {StationCertificateLimits.MaxValidDays}, not {days}.");
        string name = body.Name.Trim();

        X509Certificate2 certificate;
        try
        {
            certificate = ca.SignClientCertificate(name, Encoding.ASCII.GetBytes(body.Csr), TimeSpan.FromDays(days));
        }
        catch (ArgumentException e)
        {
            await audit.RecordAsync(context, AuditActions.CertificateIssue, name, Core.ExceptionText.Of(e), succeeded: false);
            return ApiErrors.BadRequest("BadCertificateRequest", Core.ExceptionText.Of(e));
        }
        using (certificate)
        {
            var caller = Caller.Of(context);
            var info = await store.AddStationCertificateAsync(new NewStationCertificate(name, certificate.SerialNumber, CertificateFingerprint.Of(certificate),
                new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero), new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
                DateTimeOffset.UtcNow, caller?.Name), ct);
            log.LogInformation("Issued station certificate {CertificateId} ({CertificateName}), thumbprint {Thumbprint}, valid until {NotAfter:u}, to {Caller}",
                info.Id, info.Name, info.Thumbprint, info.NotAfter, caller);
            await audit.RecordAsync(context, AuditActions.CertificateIssue, Target(info), Detail(info));
            return Results.Json(new IssuedStationCertificate(info, certificate.ExportCertificatePem(), ca.Certificate.ExportCertificatePem()), ApiJson.Options,
                statusCode: StatusCodes.Status201Created);
        }
    }

    private static async Task<IResult> RevokeAsync(long id, HttpContext context, IProvStore store, AuditLog audit, ILogger<CertificateSigningRequest> log,
        CancellationToken ct) =>
        await RevokeCertificateAsync(context, id, store, audit, log, ct) is { } revoked
            ? Results.Json(revoked, ApiJson.Options)
            : ApiErrors.NotFound("CertificateNotFound", $"There is no station certificate {id}; Get-ProvStationCertificate -IncludeRevoked lists them.");

    /// <summary>Revokes a station certificate, logged and audited (for the API and the web stations page); null when there is no such certificate.</summary>
    public static async Task<StationCertificateInfo?> RevokeCertificateAsync(HttpContext context, long id, IProvStore store, AuditLog audit, ILogger log, CancellationToken ct)
    {
        var caller = Caller.Of(context);
        var revoked = await store.RevokeStationCertificateAsync(id, DateTimeOffset.UtcNow, caller?.Name, ct);
        if (revoked is null)
            return null;
        log.LogInformation("Revoked station certificate {CertificateId} ({CertificateName}) by {Caller}", revoked.Id, revoked.Name, caller);
        await audit.RecordAsync(context, AuditActions.CertificateRevoke, Target(revoked), Detail(revoked));
        return revoked;
    }

    private static string Target(StationCertificateInfo info) => $"certificate {info.Id.ToString(CultureInfo.InvariantCulture)} ({info.Name})";

    private static string Detail(StationCertificateInfo info) => JsonSerializer.Serialize(new
    {
        thumbprint = info.Thumbprint,
        serial = info.Serial,
        notAfter = info.NotAfter,
        revoked = info.Revoked,
    }, ApiJson.Options);
}
