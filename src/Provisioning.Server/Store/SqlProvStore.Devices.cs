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

        // A retry usually finds its record here, without taking the write lock. Two racing calls with one request ID
        // both miss it; the unique request_id then rejects the second, which compares with the winner's record.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var existing = await FindRecordAsync(requestId, ct);
            if (existing is not null)
                return (SameContent(existing, wanted) ? existing : throw new RequestConflictException(requestId, nodeId), false);
            try
            {
                await WriteAsync(tx => InsertRecordAsync(tx, wanted, rootKey, ct), ct);
                return (wanted, true);
            }
            catch (DbException e) when (IsUniqueViolation(e))
            {
            }
        }
        throw new InvalidOperationException($"Request {requestId} for node 0x{nodeId:X8} kept colliding with another call using the same request ID; try again.");
    }

    private async Task<bool> InsertRecordAsync(DbTransaction tx, DeviceRecord record, byte[] rootKey, CancellationToken ct)
    {
        var connection = tx.Connection!;
        var previous = await LockNodeAsync(tx, record.NodeId, ct);
        var id = await InsertAsync(tx,
            "INSERT INTO device_records (request_id, node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, kms_fingerprint, " +
            "apps, station, recorded_at) VALUES (@request, @node, @config, @batch, @ts, @status, @key, @algorithm, @fingerprint, @apps, @station, @recorded)",
            ct, ("@request", RequestIdBytes(record.RequestId)), ("@node", (long)record.NodeId), ("@config", ConfigIdValue(record.ConfigId)),
            ("@batch", (long)record.Batch), ("@ts", ToMs(record.Timestamp)), ("@status", DeviceStatus.Pending), ("@key", rootKey),
            ("@algorithm", record.KeyAlgorithm), ("@fingerprint", record.KmsKeyFingerprint), ("@apps", DeviceAppsJson.Encode(record.Apps)),
            ("@station", record.Station), ("@recorded", ToMs(record.RecordedAt)));
        if (previous is long previousId)
            await ExecuteAsync(connection, tx, "UPDATE device_records SET replaced_at = @at WHERE id = @id", ct,
                ("@at", ToMs(record.RecordedAt)), ("@id", previousId));
        await ExecuteAsync(connection, tx, "UPDATE nodes SET current_record_id = @id WHERE node_id = @node", ct,
            ("@id", id), ("@node", (long)record.NodeId));
        return true;
    }

    /// <summary>Locks the node's row until commit, creating it when new; returns its current record ID.</summary>
    private async Task<long?> LockNodeAsync(DbTransaction tx, uint nodeId, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using (var select = Command(tx.Connection!, tx, $"SELECT current_record_id FROM nodes WHERE node_id = @node{LockRowsSuffix}",
                             ("@node", (long)nodeId)))
            await using (var reader = await select.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                    return reader.IsDBNull(0) ? null : reader.GetInt64(0);
            }
            try
            {
                await ExecuteAsync(tx.Connection!, tx, "INSERT INTO nodes (node_id, current_record_id) VALUES (@node, NULL)", ct, ("@node", (long)nodeId));
                return null;
            }
            catch (DbException e) when (IsUniqueViolation(e) && attempt == 0)
            {
                // Another station recorded this node's first key at the same moment; lock its row instead.
            }
        }
    }

    /// <inheritdoc/>
    public async Task<DeviceRecord?> ConfirmDeviceAsync(uint nodeId, Guid requestId, DateTimeOffset confirmedAt, CancellationToken ct = default)
    {
        var record = await FindRecordAsync(requestId, ct);
        if (record is null || record.NodeId != nodeId)
            return null;
        if (record.Status == DeviceStatus.Confirmed)
            return record;
        await WriteAsync(tx => ExecuteAsync(tx.Connection!, tx,
            "UPDATE device_records SET status = @confirmed, confirmed_at = @at WHERE request_id = @request AND status = @pending", ct,
            ("@confirmed", DeviceStatus.Confirmed), ("@at", ToMs(confirmedAt)), ("@request", RequestIdBytes(requestId)),
            ("@pending", DeviceStatus.Pending)), ct);
        return await FindRecordAsync(requestId, ct);
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
