using Provisioning.Core.Api;
using Provisioning.Core.Crypto;
using Provisioning.Server.Auth;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary>
/// <c>/api/v1/devices</c>: stations record each device's encrypted root key as pending before writing it to the device,
/// then confirm it once verified (guide §3.2 steps 5–6, C.5). PUT by request ID makes retries safe.
/// </summary>
public static class DeviceEndpoints
{
    /// <summary>The only root-key encryption accepted.</summary>
    public const string RootKeyAlgorithm = RootKeyEncryption.Algorithm;
    /// <summary>Hex digits of a key check value (3 bytes).</summary>
    public const int KcvDigits = 6;

    private static bool IsKcv(string text) => text.Length == KcvDigits && text.All(char.IsAsciiHexDigit);

    /// <summary>Longest app id, key or extra value (hex digits) the export format carries.</summary>
    public const int MaxAppValueLength = Provisioning.Core.Export.DeviceFieldCheck.MaxHexLength;

    public static void Map(IEndpointRouteBuilder app)
    {
        var devices = app.MapGroup(ApiRoutes.Devices);
        devices.MapPut("/{nodeId}/records/{requestId:guid}", Record).AllowStations();
        devices.MapPost("/{nodeId}/records/{requestId:guid}/confirm", async (string nodeId, Guid requestId, IProvStore store, CancellationToken ct) =>
        {
            if (!RouteIds.TryNodeId(nodeId, out uint node, out var error))
                return error!;
            return await store.ConfirmDeviceAsync(node, requestId, DateTimeOffset.UtcNow, ct) is { } record
                ? Results.Json(record, ApiJson.Options)
                : ApiErrors.NotFound("RecordNotFound", $"Node 0x{node:X8} has no record {requestId}; record it (PUT) before confirming.");
        }).AllowStations();
        devices.MapPost("/{nodeId}/resolve", async (string nodeId, DeviceResolveRequest? body, IProvStore store, CancellationToken ct) =>
        {
            if (!RouteIds.TryNodeId(nodeId, out uint node, out var error))
                return error!;
            if (body is null)
                return ApiErrors.BadRequest("BodyMissing", "Send the node's root key check value as JSON: {\"kcv\": \"1A2B3C\"}, or {\"kcv\": null} when it holds no root key.");
            if (body.Kcv is not null && !IsKcv(body.Kcv))
                return ApiErrors.BadRequest("BadKcv", $"kcv must be {KcvDigits} hex digits (the first 3 bytes of AES-ECB of a zero block under the key), not '{body.Kcv}'.");
            return Results.Json(await store.ResolveDeviceAsync(node, body.Kcv, DateTimeOffset.UtcNow, ct), ApiJson.Options);
        }).AllowStations();
        devices.MapGet("/", async (IProvStore store, bool? unresolved, string? after, int? limit, CancellationToken ct) =>
        {
            uint? from = null;
            if (after is not null)
            {
                if (!RouteIds.TryNodeId(after, out uint parsed, out var error))
                    return error!;
                from = parsed;
            }
            int size = limit ?? ApiRoutes.MaxDevicePage;
            if (size is < 1 or > ApiRoutes.MaxDevicePage)
                return ApiErrors.BadRequest("BadLimit", $"limit must be 1 to {ApiRoutes.MaxDevicePage}, not {size}.");
            return Results.Json(await store.ListDevicesAsync(unresolved == true, from, size, ct), ApiJson.Options);
        }).RequireExporter();
        devices.MapGet("/{nodeId}", async (string nodeId, IProvStore store, CancellationToken ct) =>
        {
            if (!RouteIds.TryNodeId(nodeId, out uint node, out var error))
                return error!;
            return await store.GetDeviceAsync(node, ct) is { } history
                ? Results.Json(history, ApiJson.Options)
                : ApiErrors.NotFound("NodeNotFound", $"Node 0x{node:X8} has never been recorded.");
        }).RequireExporter();
    }

    private static async Task<IResult> Record(string nodeId, Guid requestId, DeviceRecordRequest? body, IProvStore store, ConfigFacts facts,
        HttpContext context, CancellationToken ct)
    {
        if (!RouteIds.TryNodeId(nodeId, out uint node, out var error))
            return error!;
        if (body is null)
            return ApiErrors.BadRequest("BodyMissing", "Send the device record as JSON.");
        var config = await facts.GetAsync(body.ConfigId, context, ct);
        if (config is null)
            return RouteIds.ConfigNotFound(body.ConfigId);
        if (Validate(body, config) is { } problem)
            return ApiErrors.BadRequest("BadDeviceRecord", problem);
        var request = body with { Station = body.Station ?? Caller.Of(context)?.Name };
        try
        {
            var (record, created) = await store.RecordDeviceAsync(node, requestId, request, DateTimeOffset.UtcNow, ct);
            return Results.Json(record, ApiJson.Options, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        }
        catch (RequestConflictException ex)
        {
            return ApiErrors.Conflict("RequestConflict", ex.Message);
        }
    }

    private static string? Validate(DeviceRecordRequest body, ConfigFacts.Facts config)
    {
        if (!string.Equals(body.KeyAlgorithm, RootKeyAlgorithm, StringComparison.Ordinal))
            return $"keyAlgorithm must be {RootKeyAlgorithm}, not '{body.KeyAlgorithm}'.";
        if (!string.Equals(body.KmsKeyFingerprint, config.KmsFingerprint, StringComparison.OrdinalIgnoreCase))
            return $"The root key was encrypted for KMS key {body.KmsKeyFingerprint}, but config {body.ConfigId} uses {config.KmsFingerprint}; fetch the config again and re-encrypt.";
        Span<byte> probe = stackalloc byte[1024];
        if (!Convert.TryFromBase64String(body.EncryptedRootKey ?? "", probe, out int length) || length != config.KmsKeyBytes)
            return $"encryptedRootKey must be base64 of {config.KmsKeyBytes} bytes (one RSA block of the config's KMS key).";
        if (body.Timestamp == default)
            return "timestamp is required.";
        if (body.Kcv is null || !IsKcv(body.Kcv))
            return $"kcv must be the root key's check value, {KcvDigits} hex digits (the first 3 bytes of AES-ECB of a zero block), not '{body.Kcv}'.";
        foreach (var app in body.Apps ?? [])
        {
            if (!config.AppNames.Contains(app.Name))
                return $"Config {body.ConfigId} has no application '{app.Name}'; its applications are: {string.Join(", ", config.AppNames)}.";
            foreach (var (field, value) in new[] { ("id", app.Id), ("key", app.Key), ("extra", app.Extra) })
                if (!string.IsNullOrEmpty(value) && (value.Length % 2 != 0 || value.Length > MaxAppValueLength || !value.All(char.IsAsciiHexDigit)))
                    return $"App '{app.Name}' {field} must be a hex string of at most {MaxAppValueLength} digits.";
        }
        return null;
    }
}

/// <summary>
/// The few facts about a config that every device call checks, kept so 1,000 records a second do not each load the
/// whole package; kept only while the database's change count stands (<see cref="ChangeWatch"/>), so a re-import with a
/// new KMS key through any instance is used from the next request on every instance.
/// </summary>
public sealed class ConfigFacts(IProvStore store, ChangeWatch? changes = null)
{
    private readonly CoherentCache<ulong, Facts> _cache = new(TimeSpan.FromMinutes(10));

    /// <summary>Cached facts.</summary>
    public sealed record Facts(int Revision, string KmsFingerprint, int KmsKeyBytes, IReadOnlySet<string> AppNames)
    {
        /// <summary>Bytes of one RSA block of each app's public key (apps without one are absent): an encrypted app key is that long.</summary>
        public IReadOnlyDictionary<string, int> AppKeyBytes { get; init; } = new Dictionary<string, int>();
    }

    /// <summary>The facts of a config's current package, or null when there is none.</summary>
    public async Task<Facts?> GetAsync(ulong configId, HttpContext? context, CancellationToken ct)
    {
        // Without a change count (a store that has none) the facts are kept for a few seconds only.
        long count = changes is null ? DateTime.UtcNow.Ticks / TimeSpan.TicksPerSecond / 10 : await changes.CurrentAsync(context, ct);
        if (_cache.TryGet(configId, count, out var hit))
            return hit;
        var package = await store.GetPackageAsync(configId, ct);
        if (package is null)
            return null;
        using var kms = KmsKeyPair.ParsePublicKey(package.KmsPublicKeyPem, "the config's KMS public key");
        var appKeyBytes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, pem) in package.AppPublicKeys)
        {
            if (string.IsNullOrWhiteSpace(pem)) continue;
            using var appKey = KmsKeyPair.ParsePublicKey(pem, $"the public key of app '{name}'");
            appKeyBytes[name] = appKey.KeySize / 8;
        }
        var facts = new Facts(package.Revision, package.KmsKeyFingerprint, kms.KeySize / 8, package.Apps.Select(a => a.Name).ToHashSet(StringComparer.Ordinal))
        {
            AppKeyBytes = appKeyBytes,
        };
        _cache.Set(configId, facts, count);
        return facts;
    }

    /// <summary>Drops a config from the cache (after an import on this instance).</summary>
    public void Forget(ulong configId) => _cache.Forget(configId);
}
