using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>A host record as the server keeps it (Set-ProvDeviceRecord, Get-ProvDevice -HostRecord): application data, never a key in plain.</summary>
public sealed class ProvHostRecord
{
    internal ProvHostRecord(HostRecord r)
    {
        RequestId = r.RequestId;
        NodeId = r.NodeId;
        ConfigId = r.ConfigId;
        Batch = r.Batch;
        Timestamp = r.Timestamp;
        Status = r.Status;
        Apps = r.Apps.ToArray();
        RecordedAt = r.RecordedAt;
        ConfirmedAt = r.ConfirmedAt;
        ReplacedAt = r.ReplacedAt;
        Station = r.Station;
    }

    /// <summary>The request ID (Confirm-ProvDeviceRecord takes it from the pipeline).</summary>
    public Guid RequestId { get; }
    /// <summary>The node beside the host; null when the tool did not know it.</summary>
    public uint? NodeId { get; }
    /// <summary>Configuration.</summary>
    public ulong ConfigId { get; }
    /// <summary>Batch number.</summary>
    public uint Batch { get; }
    /// <summary>When the host was provisioned.</summary>
    public DateTimeOffset Timestamp { get; }
    /// <summary><c>pending</c>, <c>confirmed</c> (the device's current host record), <c>replaced</c> or <c>abandoned</c>.</summary>
    public string Status { get; }
    /// <summary>Per application: Name, Id, Key (encrypted, hex), Extra.</summary>
    public DeviceApp[] Apps { get; }
    /// <summary>The applications' names.</summary>
    public string[] AppNames => Apps.Select(a => a.Name).ToArray();
    /// <summary>When the server recorded it.</summary>
    public DateTimeOffset RecordedAt { get; }
    /// <summary>When it was confirmed.</summary>
    public DateTimeOffset? ConfirmedAt { get; }
    /// <summary>When a newer confirmed record of the same device replaced (or abandoned) it.</summary>
    public DateTimeOffset? ReplacedAt { get; }
    /// <summary>The tool or station that recorded it.</summary>
    public string? Station { get; }

    /// <inheritdoc/>
    public override string ToString() => RequestId.ToString();
}
