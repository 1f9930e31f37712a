using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Provisioning.Core.Api;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Endpoints;
using Provisioning.Server.Store;

namespace Provisioning.Server.Web.Admin;

/// <summary>
/// <c>/provisioning/stations</c>: access tokens (list, create with the secret shown once, revoke) and station client
/// certificates (list, revoke; they are issued with New-ProvStationCertificate, which makes the key on the station).
/// </summary>
public sealed class StationsModel(IProvStore store, TokenAdministration tokenAdmin, AuditLog audit, ILogger<StationsModel> log) : PageModel
{
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Role { get; set; }
    [BindProperty] public long Id { get; set; }
    [BindProperty] public long CertificateId { get; set; }

    public IReadOnlyList<TokenInfo> Tokens { get; private set; } = [];
    public IReadOnlyList<StationCertificateInfo> Certificates { get; private set; } = [];
    public NewToken? Created { get; private set; }
    public string? Problem { get; private set; }
    public string? Notice { get; private set; }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        if (TokenAdministration.Problem(Name, Role) is { } problem)
        {
            Problem = problem;
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        else
        {
            Created = await tokenAdmin.CreateAsync(HttpContext, Name!, Role!, ct);
            // The answer holds the secret: no cache may keep it.
            Response.Headers.CacheControl = "no-store";
        }
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(CancellationToken ct)
    {
        if (await tokenAdmin.RevokeAsync(HttpContext, Id, ct))
            Notice = $"Token {Id} is revoked: it no longer signs anything in.";
        else
        {
            Problem = $"There is no token {Id}.";
            Response.StatusCode = StatusCodes.Status404NotFound;
        }
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeCertificateAsync(CancellationToken ct)
    {
        if (await CertificateEndpoints.RevokeCertificateAsync(HttpContext, CertificateId, store, audit, log, ct) is { } revoked)
            Notice = $"The station certificate {revoked.Name} (ID {revoked.Id}) is revoked: every server instance of this database refuses it from its next request.";
        else
        {
            Problem = $"There is no station certificate {CertificateId}.";
            Response.StatusCode = StatusCodes.Status404NotFound;
        }
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>A certificate's state as the page shows it.</summary>
    public static string StatusOf(StationCertificateInfo certificate, DateTimeOffset now) =>
        certificate.Revoked is not null ? "revoked" : certificate.NotAfter <= now ? "expired" : certificate.NotBefore > now ? "not yet valid" : "valid";

    private async Task LoadAsync(CancellationToken ct)
    {
        Tokens = await store.ListTokensAsync(ct);
        Certificates = await store.ListStationCertificatesAsync(ct);
    }
}
