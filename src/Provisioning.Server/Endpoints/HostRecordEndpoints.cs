using Provisioning.Core.Api;
using Provisioning.Server.Auth;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary>
/// <c>/api/v1/host-records</c>: a host tool saves each device's application data (guide C.5 <c>setDutParams</c>: config, batch,
/// node ID when known, per app its ID, encrypted key and extra information) as pending before the key reaches the host,
/// then confirms it once the host holds it. PUT by request ID makes retries safe. Host records never carry or change a
/// node root key; the key export carries them beside the devices.
/// </summary>
public static class HostRecordEndpoints
{
    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        var hosts = app.MapGroup(ApiRoutes.HostRecords);
        hosts.MapPut("/{requestId:guid}", Record).AllowStations();
        hosts.MapPost("/{requestId:guid}/confirm", async (Guid requestId, IProvStore store, CancellationToken ct) =>
            await store.ConfirmHostAsync(requestId, DateTimeOffset.UtcNow, ct) is { } record
                ? Results.Json(record, ApiJson.Options)
                : ApiErrors.NotFound("RecordNotFound", $"There is no host record {requestId}; record it (PUT) before confirming.")).AllowStations();
        hosts.MapGet("/", async (IProvStore store, string? configId, string? nodeId, long? before, int? limit, CancellationToken ct) =>
        {
            ulong? config = null;
            uint? node = null;
            if (configId is not null)
            {
                if (!RouteIds.TryConfigId(configId, out ulong c, out var error)) return error!;
                config = c;
            }
            if (nodeId is not null)
            {
                if (!RouteIds.TryNodeId(nodeId, out uint n, out var error)) return error!;
                node = n;
            }
            int size = limit ?? ApiRoutes.MaxDevicePage;
            if (size is < 1 or > ApiRoutes.MaxDevicePage)
                return ApiErrors.BadRequest("BadLimit", $"limit must be 1 to {ApiRoutes.MaxDevicePage}, not {size}.");
            return Results.Json(await store.ListHostRecordsAsync(config, node, before, size, ct), ApiJson.Options);
        }).RequireExporter();
    }

    private static async Task<IResult> Record(Guid requestId, HostRecordRequest? body, IProvStore store, ConfigFacts facts, HttpContext context,
        CancellationToken ct)
    {
        if (body is null)
            return ApiErrors.BadRequest("BodyMissing", "Send the host record as JSON: configId, batch, timestamp, nodeId (or null) and apps.");
        var config = await facts.GetAsync(body.ConfigId, context, ct);
        if (config is null)
            return RouteIds.ConfigNotFound(body.ConfigId);
        if (Validate(body, config) is { } problem)
            return ApiErrors.BadRequest("BadHostRecord", problem);
        var request = body with { Station = body.Station ?? Caller.Of(context)?.Name };
        try
        {
            var (record, created) = await store.RecordHostAsync(requestId, request, DateTimeOffset.UtcNow, ct);
            return Results.Json(record, ApiJson.Options, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        }
        catch (HostRecordConflictException ex)
        {
            return ApiErrors.Conflict("RequestConflict", ex.Message);
        }
    }

    /// <summary>Why a host record cannot be stored, or null. The messages never repeat a value that could be a key.</summary>
    internal static string? Validate(HostRecordRequest body, ConfigFacts.Facts config)
    {
        if (body.Timestamp == default)
            return "timestamp is required.";
        if (body.Apps is not { Count: > 0 })
            return $"apps must name at least one application of config {body.ConfigId} ({string.Join(", ", config.AppNames)}).";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var app in body.Apps)
        {
            if (app is null || string.IsNullOrEmpty(app.Name))
                return "Each app needs a name.";
            if (!config.AppNames.Contains(app.Name))
                return $"Config {body.ConfigId} has no application '{app.Name}'; its applications are: {(config.AppNames.Count == 0 ? "none" : string.Join(", ", config.AppNames))}.";
            if (!seen.Add(app.Name))
                return $"App '{app.Name}' is given twice; give each application once.";
            foreach (var (field, value) in new[] { ("id", app.Id), ("key", app.Key), ("extra", app.Extra) })
                if (!string.IsNullOrEmpty(value) && (value.Length % 2 != 0 || value.Length > DeviceEndpoints.MaxAppValueLength || !value.All(char.IsAsciiHexDigit)))
                    return $"App '{app.Name}' {field} must be a hex string of whole bytes, at most {DeviceEndpoints.MaxAppValueLength} digits.";
            // A key that is not one RSA block of the app's public key was not encrypted for it: it may be the plain key, which must not be stored.
            if (!string.IsNullOrEmpty(app.Key) && config.AppKeyBytes.TryGetValue(app.Name, out int blockBytes) && app.Key.Length != blockBytes * 2)
                return $"App '{app.Name}' key is {app.Key.Length / 2} bytes, but a key encrypted for the app's {blockBytes * 8}-bit public key is {blockBytes}: " +
                    "encrypt it with Protect-ProvAppKey (RSA-OAEP-SHA256 with the app bundle's public key) and send the result. The record was not stored.";
        }
        return null;
    }
}
