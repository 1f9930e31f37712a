using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using Provisioning.Core.Api;
using Provisioning.Core.Export;

namespace Provisioning.Server.Store;

// Key export: the device rows streamed straight from the reader, and the export history with its receipts.
public abstract partial class SqlProvStore
{
    private const string ExportColumns =
        "id, config_id, batch, node_id, from_ts, to_ts, include_pending, status, count, size, sha256, started, completed, requested_by, unresolved";

    /// <inheritdoc/>
    public async IAsyncEnumerable<ExportedDevice> ReadExportAsync(ExportQuery query, ExportTally? tally = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var args = new List<(string, object?)>
        {
            ("@config", ConfigIdValue(query.ConfigId)), ("@confirmed", DeviceStatus.Confirmed), ("@pending", DeviceStatus.Pending),
        };
        // Both engines cluster device_records by (config_id, node_id, id), so this reads one range in order: no sort, no
        // lookups. A node's live records (its confirmed one and any pending ones, which are always newer) arrive together.
        var sql = new StringBuilder(
            "SELECT node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, kms_fingerprint, apps " +
            "FROM device_records WHERE config_id = @config AND status IN (@confirmed, @pending)");
        AppendRanges(sql, args, "batch", "@b", query.Batches);
        AppendRanges(sql, args, "node_id", "@n", query.NodeIds);
        if (query.From is { } from)
        {
            sql.Append(" AND ts >= @from");
            args.Add(("@from", ToMsCeiling(from)));
        }
        if (query.To is { } to)
        {
            sql.Append(" AND ts <= @to");
            args.Add(("@to", ToMs(to)));
        }
        sql.Append(" ORDER BY node_id, id");

        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, null, sql.ToString(), args.ToArray());
        command.CommandTimeout = 0; // a million rows to a slow client may take long; the caller cancels instead
        await using var reader = await command.ExecuteReaderAsync(ct);
        // One node's rows at a time: its confirmed record and its newest pending one; the node is written when the next begins.
        uint? node = null;
        ExportedDevice? confirmed = null, pending = null;
        while (await reader.ReadAsync(ct))
        {
            uint nodeId = GetUInt32(reader, 0);
            if (nodeId != node)
            {
                if (Choose(confirmed, pending, query.IncludePending, tally) is { } device)
                    yield return device;
                (node, confirmed, pending) = (nodeId, null, null);
            }
            var row = new ExportedDevice(nodeId, GetConfigId(reader, 1), GetUInt32(reader, 2), FromMs(reader.GetInt64(3)),
                reader.GetString(4), reader.GetFieldValue<byte[]>(5), reader.GetString(6), reader.GetString(7),
                DeviceAppsJson.Decode(GetNullableString(reader, 8)));
            if (row.Status == DeviceStatus.Pending) pending = row; else confirmed = row;
        }
        if (Choose(confirmed, pending, query.IncludePending, tally) is { } last)
            yield return last;
    }

    /// <summary>The export rule for one node (docs/export-format.md): its confirmed record, or with IncludePending its newest pending one.</summary>
    private static ExportedDevice? Choose(ExportedDevice? confirmed, ExportedDevice? pending, bool includePending, ExportTally? tally)
    {
        if (pending is not null && tally is not null)
            tally.UnresolvedNodes++;
        return includePending && pending is not null ? pending : confirmed;
    }

    /// <summary>Appends "AND (col BETWEEN a AND b OR …)" for a range list, merged first; nothing for an empty list.</summary>
    private static void AppendRanges(StringBuilder sql, List<(string, object?)> args, string column, string prefix, IReadOnlyList<UIntRange> ranges)
    {
        if (ranges.Count == 0)
            return;
        var merged = Merge(ranges);
        sql.Append(" AND (");
        for (var i = 0; i < merged.Count; i++)
        {
            if (i > 0)
                sql.Append(" OR ");
            sql.Append(column).Append(" BETWEEN ").Append(prefix).Append(i).Append("a AND ").Append(prefix).Append(i).Append('b');
            args.Add(($"{prefix}{i}a", (long)merged[i].First));
            args.Add(($"{prefix}{i}b", (long)merged[i].Last));
        }
        sql.Append(')');
    }

    /// <summary>Sorted, with overlapping and touching ranges joined, so the SQL stays short whatever the user typed.</summary>
    internal static List<UIntRange> Merge(IReadOnlyList<UIntRange> ranges)
    {
        var merged = new List<UIntRange>();
        foreach (var range in ranges.OrderBy(r => r.First))
        {
            // Dropping an inverted range would widen the export; refuse it instead.
            if (range.First > range.Last)
                throw new ArgumentException($"The range {range.First}-{range.Last} is inverted: its first value must not exceed its last.", nameof(ranges));
            if (merged.Count > 0 && (ulong)range.First <= (ulong)merged[^1].Last + 1)
                merged[^1] = merged[^1] with { Last = Math.Max(merged[^1].Last, range.Last) };
            else
                merged.Add(range);
        }
        return merged;
    }

    /// <inheritdoc/>
    public Task<long> StartExportAsync(ExportQuery query, ExportRequest request, string? requestedBy, DateTimeOffset started, CancellationToken ct = default) =>
        WriteAsync(tx => InsertAsync(tx,
            "INSERT INTO exports (config_id, batch, node_id, from_ts, to_ts, include_pending, status, count, size, started, requested_by) " +
            "VALUES (@config, @batch, @node, @from, @to, @pending, @status, 0, 0, @started, @by)", ct,
            ("@config", ConfigIdValue(query.ConfigId)), ("@batch", request.Batch), ("@node", request.NodeId), ("@from", ToMs(query.From)),
            ("@to", ToMs(query.To)), ("@pending", query.IncludePending), ("@status", ExportStatus.Running), ("@started", ToMs(started)),
            ("@by", requestedBy)), ct);

    /// <inheritdoc/>
    public async Task FinishExportAsync(long exportId, string status, long count, long size, string? sha256, DateTimeOffset completed, long unresolved = 0,
        CancellationToken ct = default)
    {
        if (status != ExportStatus.Complete && status != ExportStatus.Failed)
            throw new ArgumentException($"An export ends as '{ExportStatus.Complete}' or '{ExportStatus.Failed}', not '{status}'.", nameof(status));
        var updated = await WriteAsync(tx => ExecuteAsync(tx.Connection!, tx,
            "UPDATE exports SET status = @status, count = @count, size = @size, sha256 = @sha, completed = @completed, unresolved = @unresolved WHERE id = @id", ct,
            ("@status", status), ("@count", count), ("@size", size), ("@sha", sha256), ("@completed", ToMs(completed)), ("@unresolved", unresolved),
            ("@id", exportId)), ct);
        if (updated == 0)
            throw new InvalidOperationException($"Export {exportId} is not in the export history, so it cannot be finished.");
    }

    /// <inheritdoc/>
    public async Task<ExportReceipt?> GetExportAsync(long exportId, CancellationToken ct = default)
    {
        var rows = await QueryAsync($"SELECT {ExportColumns} FROM exports WHERE id = @id", ReadReceipt, ct, ("@id", exportId));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ExportReceipt>> ListExportsAsync(ulong? configId, CancellationToken ct = default) =>
        configId is { } id
            ? await QueryAsync($"SELECT {ExportColumns} FROM exports WHERE config_id = @config ORDER BY id DESC", ReadReceipt, ct, ("@config", ConfigIdValue(id)))
            : await QueryAsync($"SELECT {ExportColumns} FROM exports ORDER BY id DESC", ReadReceipt, ct);

    private ExportReceipt ReadReceipt(DbDataReader r) => new(
        r.GetInt64(0), GetConfigId(r, 1), GetNullableString(r, 2), GetNullableString(r, 3), FromMs(r, 4), FromMs(r, 5), r.GetBoolean(6),
        r.GetString(7), r.GetInt64(8), r.GetInt64(9), GetNullableString(r, 10), FromMs(r.GetInt64(11)), FromMs(r, 12), GetNullableString(r, 13),
        r.GetInt64(14));
}
