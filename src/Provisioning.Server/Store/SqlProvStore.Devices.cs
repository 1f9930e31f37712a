using System.Data.Common;
using Dapper;
using Provisioning.Core.Api;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

// Device records: every key ever recorded for a node stays as history. A record starts pending; the node's current
// record is its one confirmed record (the nodes row points at it), and only a confirmation (by the station, or by the
// node's reported key check value) changes it: the previous one becomes replaced, pending ones the node is known not
// to hold become abandoned. Writes lock the nodes row first, so re-provisioning one node from two stations is serialised.
public abstract partial class SqlProvStore
{
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
        // The node's current record stays: only a confirmation changes what is exported.
        await ExecuteAsync(tx, Sql.RecordDevice, new
        {
            request = RequestIdBytes(record.RequestId), node = (long)record.NodeId, config = ConfigIdValue(record.ConfigId), batch = (long)record.Batch,
            ts = ToMs(record.Timestamp), status = DeviceStatus.Pending, key = rootKey, algorithm = record.KeyAlgorithm,
            fingerprint = record.KmsKeyFingerprint, apps = DeviceAppsCodec.Encode(record.Apps), station = record.Station,
            recorded = ToMs(record.RecordedAt), kcv = record.Kcv,
        }, ct);
        return true;
    }

    /// <inheritdoc/>
    public async Task<DeviceRecord?> ConfirmDeviceAsync(uint nodeId, Guid requestId, DateTimeOffset confirmedAt, CancellationToken ct = default)
    {
        // Only a pending record of this node changes; a repeat finds it confirmed and keeps the first confirmation time,
        // and a late repeat for a record replaced or abandoned since leaves it so (a newer truth is already recorded).
        var record = await WriteAsync(async tx =>
        {
            await ExecuteAsync(tx, Sql.LockNode, new { node = (long)nodeId }, ct);
            var found = await QueryAsync<DeviceRecordRow>(tx, Sql.RecordByRequest, new { request = RequestIdBytes(requestId) }, ct);
            if (found.Count == 0 || found[0].NodeId != nodeId)
                return null;
            var stored = found[0];
            if (stored.Status != DeviceStatus.Pending)
                return ToRecord(stored);
            await PromoteAsync(tx, nodeId, stored.Id, abandonNewer: false, confirmedAt, ct);
            // What the promotion wrote, without reading the row back (a round trip per confirmation).
            return ToRecord(stored) with { Status = DeviceStatus.Confirmed, IsCurrent = true, ConfirmedAt = FromMs(ToMs(confirmedAt)) };
        }, ct);
        return record;
    }

    /// <inheritdoc/>
    public async Task<DeviceResolution> ResolveDeviceAsync(uint nodeId, string? kcv, DateTimeOffset resolvedAt, CancellationToken ct = default)
    {
        string? wanted = kcv?.ToUpperInvariant();
        var args = new { node = (long)nodeId, confirmed = DeviceStatus.Confirmed, pending = DeviceStatus.Pending };
        // Every station run asks, and most nodes have nothing pending: those are answered from a read, without the write
        // lock that stations recording devices queue on (and without creating a nodes row for a node never recorded).
        var seen = (await QueryAsync<DeviceRecordRow>(Sql.LiveRecords, args, ct)).Select(ToRecord).ToList();
        if (!seen.Any(r => r.Status == DeviceStatus.Pending))
        {
            var current = seen.FirstOrDefault();
            if (current is null)
            {
                bool known = await ScalarAsync<long>(Sql.NodeRecorded, new { node = (long)nodeId }, ct) == 1;
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
            await ExecuteAsync(tx, Sql.LockNode, new { node = (long)nodeId }, ct);
            var live = (await QueryAsync<DeviceRecordRow>(tx, Sql.LiveRecords, args, ct)).Select(r => (r.Id, Record: ToRecord(r))).ToList();
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
            var after = await QueryAsync<DeviceRecordRow>(tx, Sql.ConfirmedRecord, args, ct);
            return new DeviceResolution(nodeId, outcome, after.Count == 0 ? null : ToRecord(after[0]), abandoned, message);
        }, ct);
    }

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
    private Task PromoteAsync(DbTransaction tx, uint nodeId, long id, bool abandonNewer, DateTimeOffset at, CancellationToken ct) =>
        ExecuteAsync(tx, abandonNewer ? Sql.PromoteRecordAbandoningNewer : Sql.PromoteRecord, new
        {
            replaced = DeviceStatus.Replaced, abandoned = DeviceStatus.Abandoned, confirmed = DeviceStatus.Confirmed, pending = DeviceStatus.Pending,
            at = ToMs(at), node = (long)nodeId, id,
        }, ct);

    /// <summary>Marks every pending record of the node abandoned (the node is known to hold none of them); returns how many.</summary>
    private Task<int> AbandonPendingAsync(DbTransaction tx, uint nodeId, DateTimeOffset at, CancellationToken ct) =>
        ExecuteAsync(tx, Sql.AbandonPending, new { abandoned = DeviceStatus.Abandoned, pending = DeviceStatus.Pending, at = ToMs(at), node = (long)nodeId }, ct);

    /// <inheritdoc/>
    public async Task<DeviceHistory?> GetDeviceAsync(uint nodeId, CancellationToken ct = default)
    {
        var records = (await QueryAsync<DeviceRecordRow>(Sql.NodeHistory, new { node = (long)nodeId }, ct)).Select(ToRecord).ToList();
        return records.Count == 0 ? null : new DeviceHistory(nodeId, records.FirstOrDefault(r => r.IsCurrent), records);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<DeviceHistory>> ListDevicesAsync(bool unresolvedOnly, uint? after, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        // The page's nodes first (an index range in node order), then their records in one query.
        var nodes = await QueryAsync<uint>(unresolvedOnly ? Sql.UnresolvedNodesPage : Sql.NodesPage,
            new { pending = DeviceStatus.Pending, after = after is { } a ? (long)a : -1L, limit }, ct);
        if (nodes.Count == 0)
            return [];
        var args = new DynamicParameters();
        for (var i = 0; i < nodes.Count; i++)
            args.Add($"n{i}", (long)nodes[i]);
        var records = (await QueryAsync<DeviceRecordRow>(Sql.RecordsOfNodes(nodes.Count), args, ct)).Select(ToRecord);
        return records.GroupBy(r => r.NodeId)
            .Select(g => new DeviceHistory(g.Key, g.FirstOrDefault(r => r.IsCurrent), g.ToList()))
            .OrderBy(h => h.NodeId)
            .ToList();
    }

    private async Task<DeviceRecord?> FindRecordAsync(Guid requestId, CancellationToken ct) =>
        (await QueryAsync<DeviceRecordRow>(Sql.RecordByRequest, new { request = RequestIdBytes(requestId) }, ct)).Select(ToRecord).FirstOrDefault();

    private static DeviceRecord ToRecord(DeviceRecordRow r) => new(
        new Guid(r.RequestId, bigEndian: true), r.NodeId, r.ConfigId, r.Batch, FromMs(r.Ts), r.Status, Convert.ToBase64String(r.EncryptedRootKey),
        r.KeyAlgorithm, r.KmsFingerprint, DeviceAppsCodec.Decode(r.AppData, r.Apps), r.Status == DeviceStatus.Confirmed, FromMs(r.RecordedAt),
        FromMs(r.ConfirmedAt), FromMs(r.ReplacedAt), r.Station, r.Kcv);

    /// <summary>Whether a stored record carries what a new request would record (status and times aside).</summary>
    private static bool SameContent(DeviceRecord stored, DeviceRecord wanted) =>
        stored.NodeId == wanted.NodeId && stored.ConfigId == wanted.ConfigId && stored.Batch == wanted.Batch &&
        stored.Timestamp == wanted.Timestamp && stored.EncryptedRootKey == wanted.EncryptedRootKey &&
        stored.KeyAlgorithm == wanted.KeyAlgorithm && stored.KmsKeyFingerprint == wanted.KmsKeyFingerprint &&
        stored.Station == wanted.Station && stored.Kcv == wanted.Kcv && DeviceAppsJson.Encode(stored.Apps) == DeviceAppsJson.Encode(wanted.Apps);

    /// <summary>Request IDs are stored as 16 bytes in RFC 4122 order, so HEX() in SQL reads as the GUID.</summary>
    private static byte[] RequestIdBytes(Guid requestId) => requestId.ToByteArray(bigEndian: true);
}
