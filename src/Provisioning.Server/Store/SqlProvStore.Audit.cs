using Dapper;
using Provisioning.Core.Api;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

// The audit log: appended in its own small transaction, read newest first; the schema's triggers refuse changes.
public abstract partial class SqlProvStore
{
    /// <inheritdoc/>
    public Task<long> AppendAuditAsync(AuditEntry entry, CancellationToken ct = default) =>
        WriteAsync(tx => InsertAsync(tx, Sql.InsertAudit, new
        {
            at = ToMs(entry.At), kind = entry.ActorKind, actorId = entry.ActorId, actor = entry.ActorName, address = entry.Address,
            action = entry.Action, target = entry.Target, detail = entry.Detail, ok = entry.Succeeded ? 1 : 0,
        }, ct), ct);

    /// <inheritdoc/>
    public async Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(AuditQuery query, CancellationToken ct = default)
    {
        var args = new DynamicParameters();
        if (query.From is { } from) args.Add("from", ToMsCeiling(from));
        if (query.To is { } to) args.Add("to", ToMs(to));
        if (query.Before is { } before) args.Add("before", before);
        bool prefix = false, exact = false;
        if (query.Action is { Length: > 0 } action)
        {
            if (action.EndsWith('*'))
            {
                prefix = true;
                args.Add("prefixLength", action.Length - 1);
                args.Add("prefix", action[..^1]);
            }
            else
            {
                exact = true;
                args.Add("action", action);
            }
        }
        bool user = query.User is { Length: > 0 };
        if (user) args.Add("user", query.User);
        args.Add("limit", Math.Clamp(query.Limit, 1, 10_000));
        var sql = Sql.ReadAudit(query.From is not null, query.To is not null, query.Before is not null, prefix, exact, user);
        return (await QueryAsync<AuditRow>(sql, args, ct))
            .Select(r => new AuditEntry(r.Id, FromMs(r.At), r.ActorKind, r.ActorId, r.ActorName, r.Address, r.Action, r.Target, r.Detail, r.Succeeded))
            .ToList();
    }
}
