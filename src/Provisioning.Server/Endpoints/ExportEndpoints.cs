using Provisioning.Core.Api;
using Provisioning.Server.Auth;
using Provisioning.Server.Export;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary>
/// <c>/api/v1/exports</c>: the guide's key export (§7.3), run by <see cref="KeyExporter"/> (shared with the web export
/// page), and the export history with its receipts.
/// </summary>
public static class ExportEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var exports = app.MapGroup(ApiRoutes.Exports).RequireExporter();
        exports.MapPost("/", Export);
        exports.MapGet("/", async (IProvStore store, string? configId, CancellationToken ct) =>
        {
            ulong? id = null;
            if (configId is not null)
            {
                if (!RouteIds.TryConfigId(configId, out ulong parsed, out var error))
                    return error!;
                id = parsed;
            }
            return Results.Json(await store.ListExportsAsync(id, ct), ApiJson.Options);
        });
        exports.MapGet("/{exportId:long}", async (long exportId, IProvStore store, CancellationToken ct) =>
            await store.GetExportAsync(exportId, ct) is { } receipt
                ? Results.Json(receipt, ApiJson.Options)
                : ApiErrors.NotFound("ExportNotFound", $"There is no export {exportId}."));
    }

    private static async Task Export(HttpContext context, ExportRequest? body, KeyExporter exporter)
    {
        if (body is null)
        {
            await ApiErrors.Problem(400, "BodyMissing", "Send the export request as JSON.").ExecuteAsync(context);
            return;
        }
        var check = await exporter.CheckAsync(body, context.RequestAborted);
        if (check.Query is null)
        {
            await ApiErrors.Problem(check.Status, check.ErrorId!, check.Message!).ExecuteAsync(context);
            return;
        }
        await exporter.WriteAsync(context, check.Query, body);
    }
}
