using System.Data.Common;
using Provisioning.Core.Api;

namespace Provisioning.Server.Store;

// Device records: every key ever recorded for a node stays as history. A record starts pending; the node's current
// record is its one confirmed record (the nodes row points at it), and only a confirmation (by the station, or by the
// node's reported key check value) changes it: the previous one becomes replaced, pending ones the node is known not
// to hold become abandoned. Writes lock the nodes row first, so re-provisioning one node from two stations is serialised.
public abstract partial class SqlProvStore
{
    private const string RecordColumns =
        "request_id, node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, kms_fingerprint, apps, station, " +
        "recorded_at, confirmed_at, replaced_at, kcv";

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
            Convert.ToBase64String(rootKey), request.KeyAlgorithm, request.KmsKeyFingerprint, request.Apps ?? [], false,
            FromMs(ToMs(recordedAt)), null, null, request.Station, request.Kcv?.ToUpperInvariant());

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
        // then add the record. The node's current record stays: only a confirmation changes what is exported.
        await ExecuteAsync(tx.Connection!, tx,
            LockNodeSql + ";\n" +
            $"INSERT INTO device_records ({idColumn}request_id, node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, " +
            $"kms_fingerprint, apps, station, recorded_at, kcv) VALUES ({idValue}@request, @node, @config, @batch, @ts, @status, @key, @algorithm, " +
            "@fingerprint, @apps, @station, @recorded, @kcv)",
            ct, ("@request", RequestIdBytes(record.RequestId)), ("@node", (long)record.NodeId), ("@config", ConfigIdValue(record.ConfigId)),
            ("@batch", (long)record.Batch), ("@ts", ToMs(record.Timestamp)), ("@status", DeviceStatus.Pending), ("@key", rootKey),
            ("@algorithm", record.KeyAlgorithm), ("@fingerprint", record.KmsKeyFingerprint), ("@apps", DeviceAppsJson.Encode(record.Apps)),
            ("@station", record.Station), ("@recorded", ToMs(record.RecordedAt)), ("@kcv", record.Kcv));
        return true;
    }

    /// <inheritdoc/>
    public async Task<DeviceRecord?> ConfirmDeviceAsync(uint nodeId, Guid requestId, DateTimeOffset confirmedAt, CancellationToken ct = default)
    {
        // Only a pending record of this node changes; a repeat finds it confirmed and keeps the first confirmation time,
        // and a late repeat for a record replaced or abandoned since leaves it so (a newer truth is already recorded).
        var record = await WriteAsync(async tx =>
        {
            await ExecuteAsync(tx.Connection!, tx, LockNodeSql, ct, ("@node", (long)nodeId));
            var found = await ReadRecordsAsync(tx, "request_id = @request", ct, ("@request", RequestIdBytes(requestId)));
            if (found.Count == 0 || found[0].Record.NodeId != nodeId)
                return null;
            var (id, stored) = found[0];
            if (stored.Status != DeviceStatus.Pending)
                return stored;
            await PromoteAsync(tx, nodeId, id, abandonNewer: false, confirmedAt, ct);
            return (await ReadRecordsAsync(tx, "id = @id", ct, ("@id", id)))[0].Record;
        }, ct);
        return record;
    }

    /// <inheritdoc/>
    public async Task<DeviceResolution> ResolveDeviceAsync(uint nodeId, string? kcv, DateTimeOffset resolvedAt, CancellationToken ct = default)
    {
        string? wanted = kcv?.ToUpperInvariant();
        (string, object?)[] args = [("@node", (long)nodeId), ("@confirmed", DeviceStatus.Confirmed), ("@pending", DeviceStatus.Pending)];
        // Every station run asks, and most nodes have nothing pending: those are answered from a read, without the write
        // lock that stations recording devices queue on (and without creating a nodes row for a node never recorded).
        var seen = await QueryAsync($"SELECT {RecordColumns} FROM device_records WHERE {LiveRecords}", ReadRecord, ct, args);
        if (!seen.Any(r => r.Status == DeviceStatus.Pending))
        {
            var current = seen.FirstOrDefault();
            if (current is null)
            {
                bool known = (await QueryAsync("SELECT 1 FROM device_records WHERE node_id = @node", r => 1, ct, args[0])).Count > 0;
                string node = $"Node 0x{nodeId:X8}";
                return new DeviceResolution(nodeId, known ? DeviceResolveOutcome.NoMatch : DeviceResolveOutcome.NotRecorded, null, 0,
                    known ? $"{node} has no current or pending record; nothing to settle." : $"{node} has never been recorded.");
            }
            var (outcome, _, message) = Settle(nodeId, wanted, current, []);
            return new DeviceResolution(nodeId, outcome, current, 0, message);
        }
        return await WriteAsync(async tx =>
        {
            // Locked as recording and confirming lock it, then read again: another station may have settled it meanwhile.
            await ExecuteAsync(tx.Connection!, tx, LockNodeSql, ct, args[0]);
            var live = await ReadRecordsAsync(tx, LiveRecords, ct, args);
            var current = live.FirstOrDefault(r => r.Record.Status == DeviceStatus.Confirmed).Record;
            var pending = live.Where(r => r.Record.Status == DeviceStatus.Pending).OrderByDescending(r => r.Id).ToList();
            var (outcome, promote, message) = Settle(nodeId, wanted, current, pending);
            int abandoned = 0;
            if (promote is { } id)
            {
                abandoned = pending.Count - 1;
                await PromoteAsync(tx, nodeId, id, abandonNewer: true, resolvedAt, ct);
            }
            else if (outcome != DeviceResolveOutcome.NoMatch)
                abandoned = await AbandonPendingAsync(tx, nodeId, resolvedAt, ct);
            var after = await ReadRecordsAsync(tx, "node_id = @node AND status = @confirmed", ct, args[0], args[1]);
            return new DeviceResolution(nodeId, outcome, after.Count == 0 ? null : after[0].Record, abandoned, message);
        }, ct);
    }

    private const string LiveRecords = "node_id = @node AND status IN (@confirmed, @pending)";

    /// <summary>
    /// What a node's reported root key check value says of its records: the record to confirm (a pending one it holds),
    /// and the outcome with its message. Every outcome but NoMatch abandons the pending records not confirmed.
    /// </summary>
    private static (string Outcome, long? Promote, string Message) Settle(uint nodeId, string? wanted, DeviceRecord? current,
        List<(long Id, DeviceRecord Record)> pending)
    {
        string node = $"Node 0x{nodeId:X8}";
        if (wanted is not null && current?.Kcv == wanted)
            return (DeviceResolveOutcome.Current, null, $"{node} holds the key of its current record {current.RequestId}" +
                (pending.Count > 0 ? $"; {pending.Count} pending record(s) abandoned." : "."));
        if (wanted is not null && pending.FirstOrDefault(r => r.Record.Kcv == wanted) is { Record: not null } match)
            return (DeviceResolveOutcome.Confirmed, match.Id, $"{node} holds the key of pending record {match.Record.RequestId}, now confirmed" +
                (pending.Count > 1 ? $"; {pending.Count - 1} other pending record(s) abandoned." : "."));
        if (wanted is null)
            return (DeviceResolveOutcome.NoKey, null, $"{node} holds no root key" +
                (pending.Count > 0 ? $"; {pending.Count} pending record(s) abandoned" : "") +
                (current is null ? "." : $"; its current record {current.RequestId} is kept."));
        return (DeviceResolveOutcome.NoMatch, null,
            $"{node} holds a root key with check value {wanted}, which matches none of its records; nothing was changed. " +
            "Provision the device again so that the server knows its key.");
    }

    /// <summary>
    /// Makes record <paramref name="id"/> the node's current one: the previous current record becomes replaced, the
    /// older pending ones (all other pending ones with <paramref name="abandonNewer"/>) abandoned. The node row is locked.
    /// </summary>
    private async Task PromoteAsync(DbTransaction tx, uint nodeId, long id, bool abandonNewer, DateTimeOffset at, CancellationToken ct)
    {
        await ExecuteAsync(tx.Connection!, tx,
            "UPDATE device_records SET status = @replaced, replaced_at = @at WHERE node_id = @node AND status = @confirmed;\n" +
            $"UPDATE device_records SET status = @abandoned, replaced_at = @at WHERE node_id = @node AND status = @pending AND {(abandonNewer ? "id <> @id" : "id < @id")};\n" +
            "UPDATE device_records SET status = @confirmed, confirmed_at = @at WHERE id = @id;\n" +
            "UPDATE nodes SET current_record_id = @id WHERE node_id = @node",
            ct, ("@replaced", DeviceStatus.Replaced), ("@abandoned", DeviceStatus.Abandoned), ("@confirmed", DeviceStatus.Confirmed),
            ("@pending", DeviceStatus.Pending), ("@at", ToMs(at)), ("@node", (long)nodeId), ("@id", id));
    }

    /// <summary>Marks every pending record of the node abandoned (the node is known to hold none of them); returns how many.</summary>
    private static Task<int> AbandonPendingAsync(DbTransaction tx, uint nodeId, DateTimeOffset at, CancellationToken ct) =>
        ExecuteAsync(tx.Connection!, tx,
            "UPDATE device_records SET status = @abandoned, replaced_at = @at WHERE node_id = @node AND status = @pending",
            ct, ("@abandoned", DeviceStatus.Abandoned), ("@pending", DeviceStatus.Pending), ("@at", ToMs(at)), ("@node", (long)nodeId));

    /// <summary>Records (with their row IDs) matching a condition, read inside the write transaction.</summary>
    private async Task<List<(long Id, DeviceRecord Record)>> ReadRecordsAsync(DbTransaction tx, string where, CancellationToken ct,
        params (string Name, object? Value)[] args)
    {
        await using var command = Command(tx.Connection!, tx, $"SELECT {RecordColumns}, id FROM device_records WHERE {where} ORDER BY id", args);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<(long, DeviceRecord)>();
        while (await reader.ReadAsync(ct))
            rows.Add((reader.GetInt64(15), ReadRecord(reader)));
        return rows;
    }

    /// <inheritdoc/>
    public async Task<DeviceHistory?> GetDeviceAsync(uint nodeId, CancellationToken ct = default)
    {
        var records = await QueryAsync($"SELECT {RecordColumns} FROM device_records WHERE node_id = @node ORDER BY id DESC", ReadRecord, ct,
            ("@node", (long)nodeId));
        return records.Count == 0 ? null : new DeviceHistory(nodeId, records.FirstOrDefault(r => r.IsCurrent), records);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<DeviceHistory>> ListDevicesAsync(bool unresolvedOnly, uint? after, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        // The page's nodes first (an index range in node order), then their records in one query.
        var nodes = await QueryAsync(
            (unresolvedOnly
                ? "SELECT DISTINCT node_id FROM device_records WHERE status = @pending AND node_id > @after"
                : "SELECT node_id FROM nodes WHERE node_id > @after") + " ORDER BY node_id LIMIT @limit",
            r => GetUInt32(r, 0), ct, ("@pending", DeviceStatus.Pending), ("@after", after is { } a ? (long)a : -1L), ("@limit", limit));
        if (nodes.Count == 0)
            return [];
        var args = nodes.Select((n, i) => ($"@n{i}", (object?)(long)n)).ToArray();
        var records = await QueryAsync(
            $"SELECT {RecordColumns} FROM device_records WHERE node_id IN ({string.Join(", ", args.Select(a => a.Item1))}) ORDER BY node_id, id DESC",
            ReadRecord, ct, args);
        return records.GroupBy(r => r.NodeId)
            .Select(g => new DeviceHistory(g.Key, g.FirstOrDefault(r => r.IsCurrent), g.ToList()))
            .OrderBy(h => h.NodeId)
            .ToList();
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
        DeviceAppsJson.Decode(GetNullableString(r, 9)), r.GetString(5) == DeviceStatus.Confirmed, FromMs(r.GetInt64(11)), FromMs(r, 12),
        FromMs(r, 13), GetNullableString(r, 10), GetNullableString(r, 14));

    /// <summary>Whether a stored record carries what a new request would record (status and times aside).</summary>
    private static bool SameContent(DeviceRecord stored, DeviceRecord wanted) =>
        stored.NodeId == wanted.NodeId && stored.ConfigId == wanted.ConfigId && stored.Batch == wanted.Batch &&
        stored.Timestamp == wanted.Timestamp && stored.EncryptedRootKey == wanted.EncryptedRootKey &&
        stored.KeyAlgorithm == wanted.KeyAlgorithm && stored.KmsKeyFingerprint == wanted.KmsKeyFingerprint &&
        stored.Station == wanted.Station && stored.Kcv == wanted.Kcv && DeviceAppsJson.Encode(stored.Apps) == DeviceAppsJson.Encode(wanted.Apps);

    /// <summary>Request IDs are stored as 16 bytes in RFC 4122 order, so HEX() in SQL reads as the GUID.</summary>
    private static byte[] RequestIdBytes(Guid requestId) => requestId.ToByteArray(bigEndian: true);
}
