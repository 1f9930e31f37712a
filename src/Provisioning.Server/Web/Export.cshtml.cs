using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Provisioning.Core.Api;
using Provisioning.Core.Packaging;
using Provisioning.Server.Export;
using Provisioning.Server.Store;

namespace Provisioning.Server.Web;

/// <summary>
/// <c>/provisioning/export</c> (guide §7.3): the export form. Export answers with the file itself (the browser saves it
/// and stays on this page), through the same <see cref="KeyExporter"/> as the API; the receipt is a page of its own
/// (<c>/provisioning/exports/{id}</c>), read from the export history, so no script is needed.
/// </summary>
public sealed class ExportModel(IProvStore store, KeyExporter exporter) : PageModel
{
    /// <summary>Exports listed under the form.</summary>
    public const int RecentShown = 10;

    [BindProperty(SupportsGet = true)] public string? ConfigId { get; set; }
    [BindProperty] public string? Batch { get; set; }
    [BindProperty] public string? NodeId { get; set; }
    [BindProperty] public DateOnly? From { get; set; }
    [BindProperty] public DateOnly? To { get; set; }
    [BindProperty] public bool IncludePending { get; set; }

    public IReadOnlyList<StoredPackage> Configs { get; private set; } = [];
    public IReadOnlyList<ExportReceipt> Recent { get; private set; } = [];
    public string? Problem { get; private set; }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid)
            return await RefuseAsync(StatusCodes.Status400BadRequest, "Dates must be given as year-month-day, e.g. 2026-12-01.", ct);
        if (!ProvConfigId.TryParse(ConfigId, out var configId, out string? message))
            return await RefuseAsync(StatusCodes.Status400BadRequest, message ?? "Choose a Prov. Config ID.", ct);
        var request = new ExportRequest(configId.Value, Blank(Batch), Blank(NodeId),
            From is { } from ? new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null,
            To is { } to ? new DateTimeOffset(to.ToDateTime(TimeOnly.MaxValue), TimeSpan.Zero) : null,
            IncludePending);
        var check = await exporter.CheckAsync(request, ct);
        if (check.Query is null)
            return await RefuseAsync(check.Status, check.Message!, ct);
        await exporter.WriteAsync(HttpContext, check.Query, request);
        return new EmptyResult();
    }

    private async Task<IActionResult> RefuseAsync(int status, string problem, CancellationToken ct)
    {
        Problem = problem;
        Response.StatusCode = status;
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Configs = await store.ListPackagesAsync(includeHistory: false, ct);
        Recent = (await store.ListExportsAsync(null, ct)).Take(RecentShown).ToList();
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
