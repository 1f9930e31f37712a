using Microsoft.Extensions.Options;
using Provisioning.Core.Api;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Hosting;
using Provisioning.Server.Import;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary><c>/api/v1/packages</c>: the overview (guide §7.1.2) and the import.</summary>
public static class PackageEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(ApiRoutes.Packages);
        group.MapGet("/", async (IProvStore store, bool? history, CancellationToken ct) =>
            Results.Json((await store.ListPackagesAsync(history ?? false, ct)).Select(PackageViews.Summary), ApiJson.Options)).RequireExporter();

        group.MapGet("/{configId}", async (string configId, IProvStore store, CancellationToken ct) =>
        {
            if (!RouteIds.TryConfigId(configId, out ulong id, out var error))
                return error!;
            var revisions = (await store.ListPackagesAsync(includeHistory: true, ct)).Where(p => p.ConfigId == id)
                .OrderByDescending(p => p.Revision).Select(PackageViews.Summary).ToList();
            return revisions.Count == 0 ? RouteIds.ConfigNotFound(id) : Results.Json(revisions, ApiJson.Options);
        }).RequireExporter();

        group.MapPost("/", Import).RequireAdmin().KeyTransport();
    }

    /// <summary>
    /// Multipart upload, parts in order: passphrase, comment (optional), package. The package part is verified while
    /// it streams in; nothing is buffered whole.
    /// </summary>
    private static async Task<IResult> Import(HttpContext context, PackageImporter importer, IOptions<ServerSettings> settings,
        AuditLog audit, ILogger<PackageImporter> log, bool? dryRun)
    {
        string action = dryRun == true ? AuditActions.PackageDryRun : AuditActions.PackageImport;
        string source = "upload";
        var ct = context.RequestAborted;
        if (ImportUpload.Open(context, settings.Value.MaxPackageSize) is not { } reader)
            return ApiErrors.BadRequest("NotMultipart", "Send the package as multipart/form-data with the parts passphrase, comment (optional) and package, in that order.");

        try
        {
            using var form = await ImportUpload.ReadFormAsync(reader, ct);
            if (form.UnknownPart is { } unknown)
                return ApiErrors.BadRequest("UnknownPart", $"Unexpected form part '{unknown}'; send passphrase, comment and package.");
            if (form.Package is null)
                return ApiErrors.BadRequest("PackageMissing", "The upload has no package part.");
            if (form.Passphrase is null)
                return ApiErrors.BadRequest("PassphraseMissing", "The passphrase part must come before the package part.");
            source = form.SourceName;
            var result = await importer.ImportAsync(form.Package.Body, source, form.Passphrase, form.Comment, dryRun ?? false, ct);
            await audit.RecordAsync(context, action, $"config {result.Package.ConfigId}", ImportAudit.Detail(source, result.Package));
            return result.Imported
                ? Results.Json(result, ApiJson.Options, statusCode: StatusCodes.Status201Created)
                : Results.Json(result, ApiJson.Options);
        }
        catch (Exception ex) when (ImportUpload.Describe(ex, settings.Value.MaxPackageSize, log) is { } failure)
        {
            await audit.RecordAsync(context, action, source, ImportAudit.Failure(failure), succeeded: false);
            return ApiErrors.Problem(failure.Status, failure.ErrorId, failure.Message);
        }
    }
}
