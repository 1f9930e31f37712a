using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Provisioning.Core.Api;
using Provisioning.Core.Export;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

// Host records (schema 7, guide C.5 setDutParams): application data a host tool saves for a device, with or without its
// node ID, never a root key. They live beside the device records and never change them: a node's exportable root key
// stays what its station recorded and confirmed. A record starts pending; its confirmation makes it its device's current
// host record (device_ref names the device: its node, else its first application ID), replacing the device's other
// confirmed ones and abandoning its older pending ones.
public abstract partial class SqlProvStore
{
    /// <inheritdoc/>
    public async Task<(HostRecord Record, bool Created)> RecordHostAsync(Guid requestId, HostRecordRequest request, DateTimeOffset recordedAt,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Apps is not { Count: > 0 })
            throw new ArgumentException("A host record holds data for at least one application.", nameof(request));
        var wanted = new HostRecord(0, requestId, request.NodeId, request.ConfigId, request.Batch, FromMs(ToMs(request.Timestamp)), DeviceStatus.Pending,
            request.Apps, FromMs(ToMs(recordedAt)), null, null, request.Station);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                long id = await WriteAsync(tx => InsertAsync(tx, Sql.InsertHostRecord, new
                {
                    request = RequestIdBytes(requestId), config = ConfigIdValue(wanted.ConfigId), node = wanted.NodeId is { } n ? (long?)n : null,
                    @ref = DeviceRef(wanted.NodeId, wanted.Apps), batch = (long)wanted.Batch, ts = ToMs(wanted.Timestamp), status = DeviceStatus.Pending,
                    apps = DeviceAppsCodec.Encode(wanted.Apps), station = wanted.Station, recorded = ToMs(wanted.RecordedAt),
                }, ct), ct);
                return (wanted with { Id = id }, true);
            }
            catch (DbException e) when (IsUniqueViolation(e))
            {
                // A repeat of the same call (a retry after a lost answer) gets the stored record; other content under the same ID is a conflict.
                if (await FindHostRecordAsync(requestId, ct) is { } existing)
                    return (SameContent(existing, wanted) ? existing : throw new HostRecordConflictException(requestId), false);
            }
        }
        throw new InvalidOperationException($"Host record request {requestId} kept colliding with another call using the same request ID; try again.");
    }

    /// <inheritdoc/>
    public Task<HostRecord?> ConfirmHostAsync(Guid requestId, DateTimeOffset confirmedAt, CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            var found = await QueryAsync<HostRecordRow>(tx, Sql.HostRecordByRequest, new { request = RequestIdBytes(requestId) }, ct);
            if (found.Count == 0)
                return null;
            var stored = found[0];
            // A repeat finds it confirmed and keeps the first time; a record replaced or abandoned since stays so (a newer truth is recorded).
            if (stored.Status != DeviceStatus.Pending)
                return ToHostRecord(stored);
            await ExecuteAsync(tx, Sql.ConfirmHostRecord, new
            {
                replaced = DeviceStatus.Replaced, abandoned = DeviceStatus.Abandoned, confirmed = DeviceStatus.Confirmed, pending = DeviceStatus.Pending,
                at = ToMs(confirmedAt), @ref = stored.DeviceRef, id = stored.Id,
            }, ct);
            return (HostRecord?)(ToHostRecord(stored) with { Status = DeviceStatus.Confirmed, ConfirmedAt = FromMs(ToMs(confirmedAt)) });
        }, ct);

    /// <inheritdoc/>
    public async Task<IReadOnlyList<HostRecord>> ListHostRecordsAsync(ulong? configId, uint? nodeId, long? before, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var args = new DynamicParameters();
        if (configId is { } config) args.Add("config", ConfigIdValue(config));
        if (nodeId is { } node) args.Add("node", (long)node);
        if (before is { } b) args.Add("before", b);
        args.Add("limit", limit);
        return (await QueryAsync<HostRecordRow>(Sql.HostRecordsPage(configId is not null, nodeId is not null, before is not null), args, ct))
            .Select(ToHostRecord).ToList();
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ExportedHostRecord> ReadHostExportAsync(ExportQuery query, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var args = new DynamicParameters();
        args.Add("config", ConfigIdValue(query.ConfigId));
        args.Add("confirmed", DeviceStatus.Confirmed);
        args.Add("pending", DeviceStatus.Pending);
        var batches = AddRanges(args, "b", query.Batches);
        var nodes = AddRanges(args, "n", query.NodeIds);
        if (query.From is { } from)
            args.Add("from", ToMsCeiling(from));
        if (query.To is { } to)
            args.Add("to", ToMs(to));
        var sql = StoreStatements.ExportHostRecords(batches, nodes, query.From is not null, query.To is not null);

        await using var connection = await OpenReadAsync(ct);
        await using var reader = await connection.ExecuteReaderAsync(Command(sql, args, null, ct, timeoutSeconds: 0));
        var parse = reader.GetRowParser<HostRecordRow>();
        // One device's rows at a time (rows of one device_ref are adjacent); a record without a device_ref stands alone.
        string? device = null;
        HostRecordRow? confirmed = null, pending = null;
        while (await reader.ReadAsync(ct))
        {
            var r = parse(reader);
            if (r.DeviceRef is null || r.DeviceRef != device)
            {
                if (ChooseHost(confirmed, pending, query.IncludePending) is { } chosen)
                    yield return chosen;
                (device, confirmed, pending) = (r.DeviceRef, null, null);
            }
            if (r.Status == DeviceStatus.Pending)
                pending = r;
            // Only one is confirmed at a time; should two confirmations have raced, the later one is the device's.
            else if (confirmed is null || (r.ConfirmedAt ?? 0) >= (confirmed.ConfirmedAt ?? 0))
                confirmed = r;
        }
        if (ChooseHost(confirmed, pending, query.IncludePending) is { } last)
            yield return last;
    }

    /// <summary>The export rule for one device's host records: its confirmed one, or with IncludePending a newer pending one.</summary>
    private static ExportedHostRecord? ChooseHost(HostRecordRow? confirmed, HostRecordRow? pending, bool includePending)
    {
        var row = includePending && pending is not null && (confirmed is null || pending.Id > confirmed.Id) ? pending : confirmed;
        return row is null ? null : new ExportedHostRecord(row.NodeId, row.ConfigId, row.Batch, FromMs(row.Ts), row.Status, DeviceAppsCodec.Decode(row.AppData));
    }

    /// <summary>
    /// What names a host record's device across records: the SHA-256 (hex) of its node ID when known, else of its first
    /// application ID; null when it has neither (such a record never replaces another).
    /// </summary>
    internal static string? DeviceRef(uint? nodeId, IReadOnlyList<DeviceApp> apps)
    {
        string? name = nodeId is { } node ? $"node:{node:X8}"
            : apps.FirstOrDefault(a => !string.IsNullOrEmpty(a.Id)) is { } app ? $"app:{app.Name}:{app.Id!.ToUpperInvariant()}" : null;
        return name is null ? null : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
    }

    private async Task<HostRecord?> FindHostRecordAsync(Guid requestId, CancellationToken ct) =>
        (await QueryAsync<HostRecordRow>(Sql.HostRecordByRequest, new { request = RequestIdBytes(requestId) }, ct)).Select(ToHostRecord).FirstOrDefault();

    private static HostRecord ToHostRecord(HostRecordRow r) => new(
        r.Id, new Guid(r.RequestId, bigEndian: true), r.NodeId, r.ConfigId, r.Batch, FromMs(r.Ts), r.Status, DeviceAppsCodec.Decode(r.AppData),
        FromMs(r.RecordedAt), FromMs(r.ConfirmedAt), FromMs(r.ReplacedAt), r.Station);

    private static bool SameContent(HostRecord stored, HostRecord wanted) =>
        stored.NodeId == wanted.NodeId && stored.ConfigId == wanted.ConfigId && stored.Batch == wanted.Batch && stored.Timestamp == wanted.Timestamp &&
        stored.Station == wanted.Station && DeviceAppsJson.Encode(stored.Apps) == DeviceAppsJson.Encode(wanted.Apps);
}
