using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Provisioning.Core.Api;
using Provisioning.Core.Export;
using Provisioning.Server.Export;
using Provisioning.Server.Store;

namespace Provisioning.Server.Web;

/// <summary>
/// <c>/provisioning/exports/{id}</c> (or <c>latest</c>: the signed-in user's newest): an export's receipt from the
/// history, with the warnings Export-ProvKey gives.
/// </summary>
public sealed class ReceiptModel(IProvStore store) : PageModel
{
    [BindProperty(SupportsGet = true)] public string ExportId { get; set; } = "";

    public ExportReceipt? Receipt { get; private set; }
    public string Filters { get; private set; } = "";
    public IReadOnlyList<string> Warnings { get; private set; } = [];
    public string? Problem { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (ExportId == "latest")
            Receipt = (await store.ListExportsAsync(null, ct)).FirstOrDefault(r => r.RequestedBy == User.Identity?.Name);
        else if (long.TryParse(ExportId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long id))
            Receipt = await store.GetExportAsync(id, ct);
        if (Receipt is not { } r)
        {
            Problem = ExportId == "latest" ? "You have not exported anything yet." : $"There is no export {ExportId}.";
            Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        Filters = ExportWarnings.Filters(r.ConfigId, r.Batch, r.NodeId, r.From, r.To, r.IncludePending);
        var warnings = new List<string>();
        if (r.Unresolved > 0)
            warnings.Add(ExportWarnings.Unresolved(r.Unresolved, r.IncludePending));
        if (r.Status == ExportStatus.Complete && r.Count == 0)
            warnings.Add(ExportWarnings.NothingMatched(Filters, KeyExporter.FileName, r.IncludePending));
        Warnings = warnings;
    }
}
