using System.Runtime.CompilerServices;
using Dapper;
using Provisioning.Core.Api;
using Provisioning.Core.Export;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

// Key export: the device rows streamed straight from the reader, and the export history with its receipts.
public abstract partial class SqlProvStore
{
    /// <inheritdoc/>
    public async IAsyncEnumerable<ExportedDevice> ReadExportAsync(ExportQuery query, ExportTally? tally = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var (args, batches, nodes) = ExportArguments(query);
        var sql = StoreStatements.ExportDevices(batches, nodes, query.From is not null, query.To is not null);

        await using var connection = await OpenReadAsync(ct);
        // Streamed row by row from the reader (a million rows to a slow client may take long: no command timeout, the caller cancels instead).
        await using var reader = await connection.ExecuteReaderAsync(Command(sql, args, null, ct, timeoutSeconds: 0));
        var parse = reader.GetRowParser<DeviceRecordRow>();
        // One node's rows at a time: its confirmed record and its newest pending one; the node is written when the next begins.
        uint? node = null;
        ExportedDevice? confirmed = null, pending = null;
        while (await reader.ReadAsync(ct))
        {
            var r = parse(reader);
            if (r.NodeId != node)
            {
                if (Choose(confirmed, pending, query.IncludePending, tally) is { } device)
                    yield return device;
                (node, confirmed, pending) = (r.NodeId, null, null);
            }
            var row = new ExportedDevice(r.NodeId, r.ConfigId, r.Batch, FromMs(r.Ts), r.Status, r.EncryptedRootKey, r.KeyAlgorithm, r.KmsFingerprint,
                DeviceAppsCodec.Decode(r.AppData, r.Apps));
            if (row.Status == DeviceStatus.Pending) pending = row; else confirmed = row;
        }
        if (Choose(confirmed, pending, query.IncludePending, tally) is { } last)
            yield return last;
    }

    /// <summary>The parameters of an export's read (config, live states, filters) and how many batch and node ranges it has.</summary>
    private (DynamicParameters Args, int BatchRanges, int NodeRanges) ExportArguments(ExportQuery query)
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
        return (args, batches, nodes);
    }

    /// <summary>The export rule for one node (docs/export-format.md): its confirmed record, or with IncludePending its newest pending one.</summary>
    private static ExportedDevice? Choose(ExportedDevice? confirmed, ExportedDevice? pending, bool includePending, ExportTally? tally)
    {
        if (pending is not null && tally is not null)
            tally.UnresolvedNodes++;
        return includePending && pending is not null ? pending : confirmed;
    }

    /// <summary>Adds the bounds of a range list, merged first, as <c>@{prefix}{i}a</c> and <c>@{prefix}{i}b</c>; returns how many ranges.</summary>
    private static int AddRanges(DynamicParameters args, string prefix, IReadOnlyList<UIntRange> ranges)
    {
        var merged = Merge(ranges);
        for (var i = 0; i < merged.Count; i++)
        {
            args.Add($"{prefix}{i}a", (long)merged[i].First);
            args.Add($"{prefix}{i}b", (long)merged[i].Last);
        }
        return merged.Count;
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
        WriteAsync(tx => InsertAsync(tx, Sql.InsertExport, new
        {
            config = ConfigIdValue(query.ConfigId), batch = request.Batch, node = request.NodeId, from = ToMs(query.From), to = ToMs(query.To),
            pending = query.IncludePending, status = ExportStatus.Running, started = ToMs(started), by = requestedBy,
        }, ct), ct);

    /// <inheritdoc/>
    public async Task FinishExportAsync(long exportId, string status, long count, long size, string? sha256, DateTimeOffset completed, long unresolved = 0,
        CancellationToken ct = default)
    {
        if (status != ExportStatus.Complete && status != ExportStatus.Failed)
            throw new ArgumentException($"An export ends as '{ExportStatus.Complete}' or '{ExportStatus.Failed}', not '{status}'.", nameof(status));
        var updated = await WriteAsync(tx => ExecuteAsync(tx, Sql.FinishExport, new
        {
            status, count, size, sha = sha256, completed = ToMs(completed), unresolved, id = exportId,
        }, ct), ct);
        if (updated == 0)
            throw new InvalidOperationException($"Export {exportId} is not in the export history, so it cannot be finished.");
    }

    /// <inheritdoc/>
    public async Task<ExportReceipt?> GetExportAsync(long exportId, CancellationToken ct = default) =>
        (await QueryAsync<ExportRow>(Sql.ExportById, new { id = exportId }, ct)).Select(ToReceipt).FirstOrDefault();

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ExportReceipt>> ListExportsAsync(ulong? configId, CancellationToken ct = default) =>
        (configId is { } id
            ? await QueryAsync<ExportRow>(Sql.ListExportsOfConfig, new { config = ConfigIdValue(id) }, ct)
            : await QueryAsync<ExportRow>(Sql.ListExports, null, ct)).Select(ToReceipt).ToList();

    private static ExportReceipt ToReceipt(ExportRow r) => new(
        r.Id, r.ConfigId, r.Batch, r.NodeId, FromMs(r.FromTs), FromMs(r.ToTs), r.IncludePending, r.Status, r.Count, r.Size, r.Sha256, FromMs(r.Started),
        FromMs(r.Completed), r.RequestedBy, r.Unresolved);
}
