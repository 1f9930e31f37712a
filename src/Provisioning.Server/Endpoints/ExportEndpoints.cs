using Provisioning.Core.Api;
using Provisioning.Core.Export;
using Provisioning.Server.Auth;
using Provisioning.Core.Packaging;
using Provisioning.Server.Hosting;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary>
/// <c>/api/v1/exports</c>: the guide's key export (§7.3). The file streams straight from the database cursor to the
/// response, so memory stays flat whatever the count; the receipt (count, size, SHA-256) is kept in the export history.
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

    private static async Task Export(HttpContext context, ExportRequest? body, IProvStore store, ILogger<ExportRequest> log)
    {
        var ct = context.RequestAborted;
        if (body is null)
        {
            await ApiErrors.Problem(400, "BodyMissing", "Send the export request as JSON.").ExecuteAsync(context);
            return;
        }
        ExportQuery query;
        try
        {
            query = new ExportQuery(body.ConfigId, RangeList.ParseBatches(body.Batch), RangeList.ParseNodeIds(body.NodeId),
                body.From, body.To, body.IncludePending);
        }
        catch (FilterFormatException ex)
        {
            await ApiErrors.BadRequest("BadFilter", ex.Message).ExecuteAsync(context);
            return;
        }
        if (body.From is { } from && body.To is { } to && from > to)
        {
            await ApiErrors.BadRequest("BadFilter", $"From ({from:u}) is later than To ({to:u}).").ExecuteAsync(context);
            return;
        }
        if ((await store.ListPackagesAsync(includeHistory: true, ct)).All(p => p.ConfigId != body.ConfigId))
        {
            await RouteIds.ConfigNotFound(body.ConfigId).ExecuteAsync(context);
            return;
        }

        var started = DateTimeOffset.UtcNow;
        long exportId = await store.StartExportAsync(query, body, Caller.Of(context)?.Name, started, ct);
        context.Response.ContentType = "application/xml; charset=utf-8";
        context.Response.Headers[ApiRoutes.ExportIdHeader] = exportId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers.ContentDisposition = "attachment; filename=\"device_keys.xml\"";
        context.Response.Headers.Location = $"{ApiRoutes.Exports}/{exportId}";

        var output = new HashingWriteStream(context.Response.Body);
        var tally = new ExportTally();
        long count = 0;
        try
        {
            await using (var writer = new KeyExportWriter(output, new KeyExportHeader(exportId, body.ConfigId, started, body.Batch, body.NodeId,
                body.From, body.To, body.IncludePending, ServerInfo.Version)))
            {
                await foreach (var device in store.ReadExportAsync(query, tally, ct))
                    await writer.WriteAsync(device, ct);
                await writer.CompleteAsync(ct);
                count = writer.Count;
            }
            await output.FlushAsync(ct);
            await store.FinishExportAsync(exportId, ExportStatus.Complete, count, output.BytesWritten, output.Sha256(), DateTimeOffset.UtcNow,
                tally.UnresolvedNodes, CancellationToken.None);
            log.LogInformation("Export {ExportId} of config {ConfigId}: {Count} devices, {Size} bytes, {Unresolved} nodes with an unresolved pending key",
                exportId, body.ConfigId, count, output.BytesWritten, tally.UnresolvedNodes);
        }
        catch (Exception ex)
        {
            log.LogWarning("Export {ExportId} stopped early: {Reason}", exportId, ex.Message);
            await store.FinishExportAsync(exportId, ExportStatus.Failed, count, output.BytesWritten, null, DateTimeOffset.UtcNow, tally.UnresolvedNodes,
                CancellationToken.None);
            if (ex is not OperationCanceledException)
                context.Abort();
        }
        finally
        {
            await output.DisposeAsync();
        }
    }
}
