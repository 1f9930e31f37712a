using System.Data.Common;
using Dapper;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

/// <summary>
/// What server instances sharing one database agree on through it (schema 6): a change count that moves with every
/// change an instance may have cached, and claims on the configs being imported.
/// </summary>
public interface ISharedChanges
{
    /// <summary>
    /// The database's change count: it moves, in the same transaction, with every token or certificate revocation,
    /// account change, import and alias move. On a Galera cluster the read waits until the node has applied every
    /// transaction committed anywhere in the cluster before it (causal read), so what follows sees those changes too.
    /// </summary>
    Task<long> GetChangeCountAsync(CancellationToken ct = default);

    /// <summary>
    /// Claims <paramref name="configId"/> for an import, as <paramref name="claim"/> (an ID unique to the import); false
    /// when another import holds a claim renewed within <paramref name="staleAfter"/>.
    /// </summary>
    Task<bool> TryClaimImportAsync(ulong configId, string claim, DateTimeOffset now, TimeSpan staleAfter, CancellationToken ct = default);

    /// <summary>Renews the claims still held (so that a claim of a killed server alone goes stale).</summary>
    Task RenewImportClaimsAsync(IReadOnlyCollection<string> claims, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Gives up a claim (the import committed or failed).</summary>
    Task ReleaseImportClaimAsync(ulong configId, string claim, CancellationToken ct = default);

    /// <summary>Gives up every claim starting with <paramref name="prefix"/>: a restarted instance's, left when it was killed.</summary>
    Task ReleaseImportClaimsStartingAsync(string prefix, CancellationToken ct = default);
}

// The change count and import claims. The statements are in StoreStatements like every other; only the causal read on
// Galera is MariaDB's own (MySqlDialect).
public abstract partial class SqlProvStore : ISharedChanges
{
    // Whether the database is a Galera node (wsrep on); null until asked.
    private bool? _galera;

    /// <inheritdoc/>
    public async Task<long> GetChangeCountAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenReadAsync(ct);
        _galera ??= Engine == "mysql" && await IsGaleraAsync(connection, ct);
        // A Galera node applies other nodes' transactions a little after they commit; wsrep_sync_wait makes this one
        // read wait until the node has caught up, so a revocation committed through another node is seen here.
        string sql = _galera == true ? MySqlDialect.CausalRead(Sql.ChangeCount) : Sql.ChangeCount;
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(sql, cancellationToken: ct)) ?? 0L;
    }

    private static async Task<bool> IsGaleraAsync(DbConnection connection, CancellationToken ct)
    {
        try
        {
            return Convert.ToString(await connection.ExecuteScalarAsync(new CommandDefinition(MySqlDialect.GaleraOn, cancellationToken: ct))) is "1" or "ON";
        }
        catch (DbException)
        {
            return false; // MySQL, or a MariaDB built without wsrep: no such variable
        }
    }

    /// <inheritdoc/>
    public Task<bool> TryClaimImportAsync(ulong configId, string claim, DateTimeOffset now, TimeSpan staleAfter, CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            // A claim nobody renewed for a while was left by a server that died during its import.
            await ExecuteAsync(tx, Sql.DeleteStaleImportClaim, new { config = ConfigIdValue(configId), stale = ToMs(now - staleAfter) }, ct);
            try
            {
                await ExecuteAsync(tx, Sql.InsertImportClaim, new { config = ConfigIdValue(configId), claim, at = ToMs(now) }, ct);
                return true;
            }
            catch (DbException e) when (IsUniqueViolation(e))
            {
                return false;
            }
        }, ct);

    /// <inheritdoc/>
    public async Task RenewImportClaimsAsync(IReadOnlyCollection<string> claims, DateTimeOffset now, CancellationToken ct = default)
    {
        if (claims.Count == 0)
            return;
        await WriteAsync(async tx =>
        {
            foreach (var claim in claims)
                await ExecuteAsync(tx, Sql.RenewImportClaim, new { at = ToMs(now), claim }, ct);
            return 0;
        }, ct);
    }

    /// <inheritdoc/>
    public Task ReleaseImportClaimAsync(ulong configId, string claim, CancellationToken ct = default) =>
        WriteAsync(tx => ExecuteAsync(tx, Sql.ReleaseImportClaim, new { config = ConfigIdValue(configId), claim }, ct), ct);

    /// <inheritdoc/>
    public Task ReleaseImportClaimsStartingAsync(string prefix, CancellationToken ct = default) =>
        WriteAsync(tx => ExecuteAsync(tx, Sql.ReleaseImportClaimsLike,
            new { prefix = prefix.Replace("%", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal) + "%" }, ct), ct);
}
