using System.Data.Common;
using System.Text;
using Provisioning.Core.Api;

namespace Provisioning.Server.Store;

// The audit log: appended in its own small transaction, read newest first; the schema's triggers refuse changes.
public abstract partial class SqlProvStore
{
    /// <inheritdoc/>
    public Task<long> AppendAuditAsync(AuditEntry entry, CancellationToken ct = default) =>
        WriteAsync(tx => InsertAsync(tx,
            "INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, address, action, target, detail, succeeded) " +
            "VALUES (@at, @kind, @actorId, @actor, @address, @action, @target, @detail, @ok)", ct,
            ("@at", ToMs(entry.At)), ("@kind", entry.ActorKind), ("@actorId", entry.ActorId), ("@actor", entry.ActorName), ("@address", entry.Address),
            ("@action", entry.Action), ("@target", entry.Target), ("@detail", entry.Detail), ("@ok", entry.Succeeded ? 1 : 0)), ct);

    /// <inheritdoc/>
    public async Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(AuditQuery query, CancellationToken ct = default)
    {
        var sql = new StringBuilder("SELECT id, at, actor_kind, actor_id, actor_name, address, action, target, detail, succeeded FROM audit_log WHERE 1 = 1");
        var args = new List<(string, object?)>();
        if (query.From is { } from) { sql.Append(" AND at >= @from"); args.Add(("@from", ToMsCeiling(from))); }
        if (query.To is { } to) { sql.Append(" AND at <= @to"); args.Add(("@to", ToMs(to))); }
        if (query.Before is { } before) { sql.Append(" AND id < @before"); args.Add(("@before", before)); }
        if (query.Action is { Length: > 0 } action)
        {
            if (action.EndsWith('*'))
            {
                // A prefix match without LIKE's wildcards in the user's text.
                string prefix = action[..^1];
                sql.Append(" AND SUBSTR(action, 1, @prefixLength) = @prefix");
                args.Add(("@prefixLength", prefix.Length));
                args.Add(("@prefix", prefix));
            }
            else { sql.Append(" AND action = @action"); args.Add(("@action", action)); }
        }
        if (query.User is { Length: > 0 } user) { sql.Append(" AND LOWER(actor_name) = LOWER(@user)"); args.Add(("@user", user)); }
        sql.Append(" ORDER BY id DESC LIMIT @limit");
        args.Add(("@limit", Math.Clamp(query.Limit, 1, 10_000)));
        return await QueryAsync(sql.ToString(), ReadAuditEntry, ct, args.ToArray());
    }

    private static AuditEntry ReadAuditEntry(DbDataReader r) =>
        new(r.GetInt64(0), FromMs(r.GetInt64(1)), GetNullableString(r, 2), r.IsDBNull(3) ? null : r.GetInt64(3), GetNullableString(r, 4),
            GetNullableString(r, 5), r.GetString(6), GetNullableString(r, 7), GetNullableString(r, 8), r.GetInt64(9) != 0);
}
