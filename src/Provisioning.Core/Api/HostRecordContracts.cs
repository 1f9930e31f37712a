using System.Text.Json.Serialization;

namespace Provisioning.Core.Api;

/// <summary>
/// Body of <c>PUT /api/v1/host-records/{requestId}</c>: what a host tool saves for a device (guide C.5 <c>setDutParams</c>),
/// recorded as pending. A retry with the same request ID and content is answered with the stored record.
/// </summary>
/// <param name="ConfigId">Configuration the device was provisioned with (<c>config_id</c>).</param>
/// <param name="Batch">Batch number (<c>batch</c>, guide §7.2.4).</param>
/// <param name="Timestamp">When the host was provisioned (<c>timestamp</c>).</param>
/// <param name="NodeId">The node's 32-bit ID (<c>node_id</c>); null when the tool does not know it.</param>
/// <param name="Apps">Per application (<c>app_names</c>, <c>app_ids</c>, <c>app_keys</c>, <c>extraAppInfo</c>): hex strings or null; at least one.</param>
/// <param name="Station">Free text naming the tool or station, for history.</param>
public sealed record HostRecordRequest(
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] ulong ConfigId,
    uint Batch,
    DateTimeOffset Timestamp,
    uint? NodeId,
    IReadOnlyList<DeviceApp> Apps,
    string? Station = null);

/// <summary>A stored host record.</summary>
/// <param name="Id">Its sequence number on the server (pages of <c>GET /api/v1/host-records</c> go by it).</param>
/// <param name="RequestId">The tool's request ID.</param>
/// <param name="NodeId">The node beside the host; null when the tool did not know it.</param>
/// <param name="ConfigId">Configuration.</param>
/// <param name="Batch">Batch number.</param>
/// <param name="Timestamp">When the host was provisioned.</param>
/// <param name="Status"><see cref="DeviceStatus"/>: pending, confirmed (the device's current host record), replaced or abandoned.</param>
/// <param name="Apps">Per-application data, as recorded.</param>
/// <param name="RecordedAt">When the server recorded it.</param>
/// <param name="ConfirmedAt">When it was confirmed.</param>
/// <param name="ReplacedAt">When a newer confirmed record of the same device replaced it (or abandoned it).</param>
/// <param name="Station">The tool or station that recorded it.</param>
public sealed record HostRecord(
    long Id,
    Guid RequestId,
    uint? NodeId,
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] ulong ConfigId,
    uint Batch,
    DateTimeOffset Timestamp,
    string Status,
    IReadOnlyList<DeviceApp> Apps,
    DateTimeOffset RecordedAt,
    DateTimeOffset? ConfirmedAt,
    DateTimeOffset? ReplacedAt,
    string? Station);
