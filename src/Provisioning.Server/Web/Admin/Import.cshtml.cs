using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Hosting;
using Provisioning.Server.Import;

namespace Provisioning.Server.Web.Admin;

/// <summary>
/// <c>/provisioning/import</c> (guide §7.1.2 steps 3–5): passphrase, comment and file. The upload streams through
/// <see cref="PackageImporter.StageAsync"/> (verified once, nothing buffered whole), then the preview page offers
/// Import or Cancel. Razor's automatic antiforgery check would read the whole form (the package too) first, so this
/// page checks the token itself, from the form's first part, before it reads the package.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class ImportModel(PackageImporter importer, IAntiforgery antiforgery, IOptions<AntiforgeryOptions> antiforgeryOptions,
    IOptions<ServerSettings> settings, AuditLog audit, ILogger<ImportModel> log) : PageModel
{
    // Nothing here is model-bound: binding on a post would read the whole form (the package) before OnPostAsync.
    public bool Cancelled { get; private set; }

    public string? Problem { get; private set; }
    public string MaxSizeText => settings.Value.MaxPackageSize switch
    {
        >= 1024 * 1024 * 1024 => $"{settings.Value.MaxPackageSize / (1024.0 * 1024 * 1024):0.#} GiB",
        >= 1024 * 1024 => $"{settings.Value.MaxPackageSize / (1024.0 * 1024):0.#} MiB",
        _ => $"{settings.Value.MaxPackageSize / 1024.0:0.#} KiB",
    };

    /// <summary>Who a staged upload belongs to.</summary>
    public static string Owner(HttpContext context) => Caller.Of(context) is { } c ? $"{c.Kind}:{c.Id}:{c.Name}" : "";

    public void OnGet() => Cancelled = Request.Query["cancelled"] == "true";

    public async Task<IActionResult> OnPostAsync()
    {
        var ct = HttpContext.RequestAborted;
        if (ImportUpload.Open(HttpContext, settings.Value.MaxPackageSize) is not { } reader)
            return Refuse(StatusCodes.Status400BadRequest, "Choose the package file, then Upload.");
        string source = "upload";
        try
        {
            if (await reader.ReadNextSectionAsync(ct) is not { } first || ImportUpload.PartName(first) != WebPages.AntiforgeryField)
                return Refuse(StatusCodes.Status400BadRequest, "The form is not this server's import form (its antiforgery token is missing). Reload the page and upload again.");
            byte[] token = await ImportUpload.ReadSmallAsync(first.Body, 4096, "antiforgery", ct);
            Request.Headers[antiforgeryOptions.Value.HeaderName!] = System.Text.Encoding.ASCII.GetString(token);
            try
            {
                await antiforgery.ValidateRequestAsync(HttpContext);
            }
            catch (AntiforgeryValidationException)
            {
                return Refuse(StatusCodes.Status400BadRequest, "The form has expired or did not come from this server. Reload the page and upload again.");
            }

            using var form = await ImportUpload.ReadFormAsync(reader, ct);
            if (form.Package is null || form.UnknownPart is not null)
                return Refuse(StatusCodes.Status400BadRequest, "Choose the package file, then Upload.");
            if (form.Passphrase is not { Length: > 0 })
                return Refuse(StatusCodes.Status400BadRequest, "Enter the passphrase of the gateway key file, then Upload again.");
            source = form.SourceName;
            var staged = await importer.StageAsync(form.Package.Body, source, form.Passphrase, form.Comment, Owner(HttpContext), ct);
            await audit.RecordAsync(HttpContext, AuditActions.PackageDryRun, $"config {staged.Package.ConfigId}", ImportAudit.Detail(source, staged.Package, staged.Id));
            return Redirect($"{WebPaths.Root}/import/{staged.Id}");
        }
        catch (Exception ex) when (ImportUpload.Describe(ex, settings.Value.MaxPackageSize, log) is { } failure)
        {
            await audit.RecordAsync(HttpContext, AuditActions.PackageDryRun, source, ImportAudit.Failure(failure), succeeded: false);
            return Refuse(failure.Status, failure.Message.Contains("imported", StringComparison.OrdinalIgnoreCase)
                ? failure.Message : failure.Message + " Nothing was imported.");
        }
    }

    private PageResult Refuse(int status, string problem)
    {
        Problem = problem;
        Response.StatusCode = status;
        return Page();
    }
}
