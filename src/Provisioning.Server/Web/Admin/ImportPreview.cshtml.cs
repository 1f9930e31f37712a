using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Provisioning.Core.Api;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Import;

namespace Provisioning.Server.Web.Admin;

/// <summary>
/// <c>/provisioning/import/{id}</c> (guide §7.1.2 steps 5–6): the "Uploaded Package Information" of a verified, staged
/// upload, and Import (commits the staged files; no second upload) or Cancel (discards them).
/// </summary>
public sealed class ImportPreviewModel(PackageImporter importer, AuditLog audit, ILogger<ImportPreviewModel> log) : PageModel
{
    [BindProperty(SupportsGet = true)] public string StagedId { get; set; } = "";
    [BindProperty] public string? Decision { get; set; }

    public StagedImport? Staged { get; private set; }
    public ImportResult? Imported { get; private set; }
    public string? Problem { get; private set; }

    public IActionResult OnGet()
    {
        Staged = importer.GetStaged(StagedId, ImportModel.Owner(HttpContext));
        if (Staged is null)
            NotWaiting();
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        string owner = ImportModel.Owner(HttpContext);
        var staged = importer.GetStaged(StagedId, owner);
        if (Decision == "cancel")
        {
            importer.DiscardStaged(StagedId, owner);
            return Redirect($"{WebPaths.Root}/import?cancelled=true");
        }
        string target = staged is null ? StagedId : $"config {staged.Package.ConfigId}";
        try
        {
            Imported = await importer.CommitStagedAsync(StagedId, owner);
            await audit.RecordAsync(HttpContext, AuditActions.PackageImport, $"config {Imported.Package.ConfigId}",
                ImportAudit.Detail(staged?.SourceName ?? "upload", Imported.Package, StagedId));
            return Page();
        }
        catch (Exception ex) when (ImportUpload.Describe(ex, long.MaxValue, log) is { } failure)
        {
            await audit.RecordAsync(HttpContext, AuditActions.PackageImport, target, ImportAudit.Failure(failure), succeeded: false);
            Problem = failure.Message + (failure.ErrorId == "StagedImportNotFound" ? "" : " Nothing was imported; upload the package again.");
            Response.StatusCode = failure.Status;
            return Page();
        }
    }

    private void NotWaiting()
    {
        Problem = new StagedImportNotFoundException().Message;
        Response.StatusCode = StatusCodes.Status404NotFound;
    }
}
