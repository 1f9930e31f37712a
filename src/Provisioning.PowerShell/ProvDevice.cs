using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>A device as the server knows it (Get-ProvDevice): its current record and its history, without key material.</summary>
public sealed class ProvDevice
{
    internal ProvDevice(DeviceHistory history)
    {
        NodeId = history.NodeId;
        History = history.Records.Select(r => new ProvDeviceRecord(r)).ToArray();
        Current = History.FirstOrDefault(r => r.Status == DeviceStatus.Confirmed);
        Pending = History.Where(r => r.Status == DeviceStatus.Pending).ToArray();
    }

    /// <summary>The node ID.</summary>
    public uint NodeId { get; }
    /// <summary><c>confirmed</c> (its key is known), <c>unresolved</c> (it has a pending record) or <c>none</c> (no current record, nothing pending).</summary>
    public string Status => Unresolved ? "unresolved" : Current is null ? "none" : DeviceStatus.Confirmed;
    /// <summary>Whether the node has a pending record: it may hold that key instead of the current one. Its next contact with a station settles it.</summary>
    public bool Unresolved => Pending.Length > 0;
    /// <summary>The current record (the one a default export holds); null when none.</summary>
    public ProvDeviceRecord? Current { get; }
    /// <summary>Key check value of the current record's root key.</summary>
    public string? Kcv => Current?.Kcv;
    /// <summary>Pending records, newest first (an IncludePending export holds the newest).</summary>
    public ProvDeviceRecord[] Pending { get; }
    /// <summary>Configuration of the current record, else of the newest record.</summary>
    public ulong? ConfigId => (Current ?? History.FirstOrDefault())?.ConfigId;
    /// <summary>Batch of the current record, else of the newest record.</summary>
    public uint? Batch => (Current ?? History.FirstOrDefault())?.Batch;
    /// <summary>Every record, newest first.</summary>
    public ProvDeviceRecord[] History { get; }
}

/// <summary>One record of a device's history: which key (by check value) and what became of it.</summary>
public sealed class ProvDeviceRecord
{
    internal ProvDeviceRecord(DeviceRecord r)
    {
        RequestId = r.RequestId;
        Status = r.Status;
        Kcv = r.Kcv;
        ConfigId = r.ConfigId;
        Batch = r.Batch;
        Timestamp = r.Timestamp;
        RecordedAt = r.RecordedAt;
        ConfirmedAt = r.ConfirmedAt;
        ReplacedAt = r.ReplacedAt;
        Station = r.Station;
    }

    /// <summary>The station's request ID.</summary>
    public Guid RequestId { get; }
    /// <summary><c>pending</c>, <c>confirmed</c>, <c>replaced</c> or <c>abandoned</c>.</summary>
    public string Status { get; }
    /// <summary>Key check value of the root key (6 hex digits); empty for records made before the server stored them.</summary>
    public string? Kcv { get; }
    /// <summary>Configuration.</summary>
    public ulong ConfigId { get; }
    /// <summary>Batch number.</summary>
    public uint Batch { get; }
    /// <summary>When the station provisioned the device.</summary>
    public DateTimeOffset Timestamp { get; }
    /// <summary>When the server recorded it.</summary>
    public DateTimeOffset RecordedAt { get; }
    /// <summary>When it was confirmed.</summary>
    public DateTimeOffset? ConfirmedAt { get; }
    /// <summary>When it was replaced or abandoned.</summary>
    public DateTimeOffset? ReplacedAt { get; }
    /// <summary>Station and port that recorded it.</summary>
    public string? Station { get; }
}
