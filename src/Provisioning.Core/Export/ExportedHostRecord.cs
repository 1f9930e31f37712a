using Provisioning.Core.Api;

namespace Provisioning.Core.Export;

/// <summary>
/// One host record as it appears in a key export file (docs/export-format.md, <c>hostRecord</c>): application data a host
/// tool saved with <c>Set-ProvDeviceRecord</c> (guide C.5 <c>setDutParams</c>), with or without the node's ID and never a root key.
/// </summary>
/// <param name="NodeId">The node beside the host; null when the tool did not know it (the guide allows None).</param>
/// <param name="ConfigId">Configuration.</param>
/// <param name="Batch">Batch number.</param>
/// <param name="Timestamp">When the host tool provisioned the device.</param>
/// <param name="Status"><see cref="DeviceStatus.Confirmed"/> or <see cref="DeviceStatus.Pending"/>.</param>
/// <param name="Apps">Per-application data (hex strings), in the configuration's application order.</param>
public sealed record ExportedHostRecord(
    uint? NodeId,
    ulong ConfigId,
    uint Batch,
    DateTimeOffset Timestamp,
    string Status,
    IReadOnlyList<DeviceApp> Apps);
