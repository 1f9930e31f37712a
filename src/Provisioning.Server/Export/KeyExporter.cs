using System.Globalization;
using Provisioning.Core.Api;
using Provisioning.Core.Export;
using Provisioning.Core.Packaging;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Endpoints;
using Provisioning.Server.Hosting;
using Provisioning.Server.Store;

namespace Provisioning.Server.Export;

/// <summary>
/// The guide's key export (§7.3), one code path for the API (<c>POST /api/v1/exports</c>) and the web export page: the
/// request is checked first (<see cref="CheckAsync"/>), then <c>device_keys.xml</c> streams straight from the database
/// cursor to the response (<see cref="WriteAsync"/>), so memory stays flat whatever the count; the receipt (count,
/// size, SHA-256) is kept in the export history.
/// </summary>
public sealed class KeyExporter(IProvStore store, AuditLog audit, ILogger<KeyExporter> log)
{
    /// <summary>The file name the guide's download dialog shows.</summary>
    public const string FileName = "device_keys.xml";

    /// <summary>Parses and checks a request: the query to run, or why not (a stable error ID, a message and the HTTP status).</summary>
    public async Task<ExportCheck> CheckAsync(ExportRequest body, CancellationToken ct)
    {
        ExportQuery query;
        try
        {
            query = new ExportQuery(body.ConfigId, RangeList.ParseBatches(body.Batch), RangeList.ParseNodeIds(body.NodeId),
                body.From, body.To, body.IncludePending);
        }
        catch (FilterFormatException ex)
        {
            return ExportCheck.Refused(StatusCodes.Status400BadRequest, "BadFilter", ex.Message);
        }
        if (body.From is { } from && body.To is { } to && from > to)
            return ExportCheck.Refused(StatusCodes.Status400BadRequest, "BadFilter", $"From ({from:u}) is later than To ({to:u}).");
        if ((await store.ListPackagesAsync(includeHistory: true, ct)).All(p => p.ConfigId != body.ConfigId))
            return ExportCheck.Refused(StatusCodes.Status404NotFound, "ConfigNotFound", RouteIds.ConfigNotFoundMessage(body.ConfigId));
        return new ExportCheck(query, StatusCodes.Status200OK, null, null);
    }

    /// <summary>
    /// Streams the export as the response (an attachment named <see cref="FileName"/>, its ID in a header and in
    /// Location), finishes its receipt and audits it; returns the export ID. A failure mid-stream marks the export
    /// failed and aborts the response, so a cut file is never mistaken for a whole one.
    /// </summary>
    public async Task<long> WriteAsync(HttpContext context, ExportQuery query, ExportRequest body)
    {
        var ct = context.RequestAborted;
        var started = DateTimeOffset.UtcNow;
        long exportId = await store.StartExportAsync(query, body, Caller.Of(context)?.Name, started, ct);
        context.Response.ContentType = "application/xml; charset=utf-8";
        context.Response.Headers[ApiRoutes.ExportIdHeader] = exportId.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{FileName}\"";
        context.Response.Headers.Location = $"{ApiRoutes.Exports}/{exportId}";

        var output = new HashingWriteStream(context.Response.Body);
        var tally = new ExportTally();
        long count = 0, hosts = 0;
        try
        {
            await using (var writer = new KeyExportWriter(output, new KeyExportHeader(exportId, body.ConfigId, started, body.Batch, body.NodeId,
                body.From, body.To, body.IncludePending, ServerInfo.Version)))
            {
                await foreach (var device in store.ReadExportAsync(query, tally, ct))
                    await writer.WriteAsync(device, ct);
                // Host records (application data without a root key) follow the devices.
                await foreach (var host in store.ReadHostExportAsync(query, ct))
                    await writer.WriteAsync(host, ct);
                await writer.CompleteAsync(ct);
                count = writer.Count;
                hosts = writer.HostRecordCount;
            }
            await output.FlushAsync(ct);
            await store.FinishExportAsync(exportId, ExportStatus.Complete, count, output.BytesWritten, output.Sha256(), DateTimeOffset.UtcNow,
                tally.UnresolvedNodes, CancellationToken.None);
            log.LogInformation("Export {ExportId} of config {ConfigId}: {Count} devices, {Hosts} host records, {Size} bytes, {Unresolved} nodes with an unresolved pending key",
                exportId, body.ConfigId, count, hosts, output.BytesWritten, tally.UnresolvedNodes);
            await audit.RecordAsync(context, AuditActions.Export, $"config {body.ConfigId}", AuditDetail(exportId, body, count, output.Sha256(), tally));
        }
        catch (Exception ex)
        {
            log.LogWarning("Export {ExportId} stopped early: {Reason}", exportId, ex.Message);
            await store.FinishExportAsync(exportId, ExportStatus.Failed, count, output.BytesWritten, null, DateTimeOffset.UtcNow, tally.UnresolvedNodes,
                CancellationToken.None);
            await audit.RecordAsync(context, AuditActions.Export, $"config {body.ConfigId}", AuditDetail(exportId, body, count, null, tally), succeeded: false);
            if (ex is not OperationCanceledException)
                context.Abort();
        }
        finally
        {
            await output.DisposeAsync();
        }
        return exportId;
    }

    private static string AuditDetail(long exportId, ExportRequest body, long count, string? sha256, ExportTally tally) =>
        System.Text.Json.JsonSerializer.Serialize(new
        {
            exportId, batch = body.Batch, nodeId = body.NodeId, from = body.From, to = body.To, includePending = body.IncludePending,
            count, sha256, unresolved = tally.UnresolvedNodes,
        });
}

/// <summary>Outcome of <see cref="KeyExporter.CheckAsync"/>: the query, or a refusal.</summary>
public sealed record ExportCheck(ExportQuery? Query, int Status, string? ErrorId, string? Message)
{
    /// <summary>A refused request.</summary>
    public static ExportCheck Refused(int status, string errorId, string message) => new(null, status, errorId, message);
}
