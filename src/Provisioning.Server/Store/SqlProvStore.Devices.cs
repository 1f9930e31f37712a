using System.Data.Common;
using Provisioning.Core.Api;

namespace Provisioning.Server.Store;

// Device records: every key ever recorded for a node stays as history; the node's current record is the one whose
// replaced_at is NULL, and the nodes row points at it. Writes lock the nodes row first, so re-provisioning one node
// from two stations is serialised.
public abstract partial class SqlProvStore
{
    private const string RecordColumns =
        "request_id, node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, kms_fingerprint, apps, station, " +
        "recorded_at, confirmed_at, replaced_at";

    /// <inheritdoc/>
    public async Task<(DeviceRecord Record, bool Created)> RecordDeviceAsync(uint nodeId, Guid requestId, DeviceRecordRequest request,
        DateTimeOffset recordedAt, CancellationToken ct = default)
    {
        byte[] rootKey;
        try
        {
            rootKey = Convert.FromBase64String(request.EncryptedRootKey);
        }
        catch (FormatException)
        {
            throw new ArgumentException($"The encrypted root key for node 0x{nodeId:X8} is not valid base64.", nameof(request));
        }
        var wanted = new DeviceRecord(requestId, nodeId, request.ConfigId, request.Batch, FromMs(ToMs(request.Timestamp)), DeviceStatus.Pending,
            Convert.ToBase64String(rootKey), request.KeyAlgorithm, request.KmsKeyFingerprint, request.Apps ?? [], true,
            FromMs(ToMs(recordedAt)), null, null, request.Station);

        // Straight to the write: retries are rare. A repeated request ID trips the unique request_id (also when two
        // calls race), and the stored record then decides between "same call again" and a conflict.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                await WriteAsync(tx => InsertRecordAsync(tx, wanted, rootKey, ct), ct);
                return (wanted, true);
            }
            catch (DbException e) when (IsUniqueViolation(e))
            {
                var existing = await FindRecordAsync(requestId, ct);
                if (existing is not null)
                    return (SameContent(existing, wanted) ? existing : throw new RequestConflictException(requestId, nodeId), false);
            }
        }
        throw new InvalidOperationException($"Request {requestId} for node 0x{nodeId:X8} kept colliding with another call using the same request ID; try again.");
    }

    private async Task<bool> InsertRecordAsync(DbTransaction tx, DeviceRecord record, byte[] rootKey, CancellationToken ct)
    {
        var (idColumn, idValue) = NextDeviceRecordIdSql is { } next ? ("id, ", next + ", ") : ("", "");
        // One round trip: lock (or create) the node's row first, so two stations re-provisioning one node take turns;
        // then retire its current record, add the new one and point the node at it.
        await ExecuteAsync(tx.Connection!, tx,
            LockNodeSql + ";\n" +
            "UPDATE device_records SET replaced_at = @recorded WHERE node_id = @node AND replaced_at IS NULL;\n" +
            $"INSERT INTO device_records ({idColumn}request_id, node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, " +
            $"kms_fingerprint, apps, station, recorded_at) VALUES ({idValue}@request, @node, @config, @batch, @ts, @status, @key, @algorithm, " +
            "@fingerprint, @apps, @station, @recorded);\n" +
            "UPDATE nodes SET current_record_id = (SELECT id FROM device_records WHERE request_id = @request) WHERE node_id = @node",
            ct, ("@request", RequestIdBytes(record.RequestId)), ("@node", (long)record.NodeId), ("@config", ConfigIdValue(record.ConfigId)),
            ("@batch", (long)record.Batch), ("@ts", ToMs(record.Timestamp)), ("@status", DeviceStatus.Pending), ("@key", rootKey),
            ("@algorithm", record.KeyAlgorithm), ("@fingerprint", record.KmsKeyFingerprint), ("@apps", DeviceAppsJson.Encode(record.Apps)),
            ("@station", record.Station), ("@recorded", ToMs(record.RecordedAt)));
        return true;
    }

    /// <inheritdoc/>
    public async Task<DeviceRecord?> ConfirmDeviceAsync(uint nodeId, Guid requestId, DateTimeOffset confirmedAt, CancellationToken ct = default)
    {
        // Only a pending record of this node changes; a repeat finds it confirmed and keeps the first confirmation time.
        var record = await WriteAsync(async tx =>
        {
            await using var command = Command(tx.Connection!, tx,
                "UPDATE device_records SET status = @confirmed, confirmed_at = @at WHERE request_id = @request AND node_id = @node AND status = @pending;\n" +
                $"SELECT {RecordColumns} FROM device_records WHERE request_id = @request",
                ("@confirmed", DeviceStatus.Confirmed), ("@at", ToMs(confirmedAt)), ("@request", RequestIdBytes(requestId)), ("@node", (long)nodeId),
                ("@pending", DeviceStatus.Pending));
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? ReadRecord(reader) : null;
        }, ct);
        return record?.NodeId == nodeId ? record : null;
    }

    /// <inheritdoc/>
    public async Task<DeviceHistory?> GetDeviceAsync(uint nodeId, CancellationToken ct = default)
    {
        var records = await QueryAsync($"SELECT {RecordColumns} FROM device_records WHERE node_id = @node ORDER BY id DESC", ReadRecord, ct,
            ("@node", (long)nodeId));
        return records.Count == 0 ? null : new DeviceHistory(nodeId, records.FirstOrDefault(r => r.IsCurrent), records);
    }

    private async Task<DeviceRecord?> FindRecordAsync(Guid requestId, CancellationToken ct)
    {
        var records = await QueryAsync($"SELECT {RecordColumns} FROM device_records WHERE request_id = @request", ReadRecord, ct,
            ("@request", RequestIdBytes(requestId)));
        return records.Count == 0 ? null : records[0];
    }

    private DeviceRecord ReadRecord(DbDataReader r) => new(
        new Guid(r.GetFieldValue<byte[]>(0), bigEndian: true), GetUInt32(r, 1), GetConfigId(r, 2), GetUInt32(r, 3), FromMs(r.GetInt64(4)),
        r.GetString(5), Convert.ToBase64String(r.GetFieldValue<byte[]>(6)), r.GetString(7), r.GetString(8),
        DeviceAppsJson.Decode(GetNullableString(r, 9)), r.IsDBNull(13), FromMs(r.GetInt64(11)), FromMs(r, 12), FromMs(r, 13),
        GetNullableString(r, 10));

    /// <summary>Whether a stored record carries what a new request would record (status and times aside).</summary>
    private static bool SameContent(DeviceRecord stored, DeviceRecord wanted) =>
        stored.NodeId == wanted.NodeId && stored.ConfigId == wanted.ConfigId && stored.Batch == wanted.Batch &&
        stored.Timestamp == wanted.Timestamp && stored.EncryptedRootKey == wanted.EncryptedRootKey &&
        stored.KeyAlgorithm == wanted.KeyAlgorithm && stored.KmsKeyFingerprint == wanted.KmsKeyFingerprint &&
        stored.Station == wanted.Station && DeviceAppsJson.Encode(stored.Apps) == DeviceAppsJson.Encode(wanted.Apps);

    /// <summary>Request IDs are stored as 16 bytes in RFC 4122 order, so HEX() in SQL reads as the GUID.</summary>
    private static byte[] RequestIdBytes(Guid requestId) => requestId.ToByteArray(bigEndian: true);
}
