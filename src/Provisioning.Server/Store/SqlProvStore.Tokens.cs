using Provisioning.Core.Api;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

// Access tokens: stored by the SHA-256 of the secret, never the secret.
public abstract partial class SqlProvStore
{
    /// <inheritdoc/>
    public async Task<TokenInfo> AddTokenAsync(string name, string role, byte[] secretHash, DateTimeOffset created, CancellationToken ct = default)
    {
        var id = await WriteAsync(tx => InsertAsync(tx, Sql.InsertToken, new { name, role, hash = secretHash, created = ToMs(created) }, ct), ct);
        return new TokenInfo(id, name, role, FromMs(ToMs(created)), null);
    }

    /// <inheritdoc/>
    public async Task<StoredToken?> FindTokenAsync(byte[] secretHash, CancellationToken ct = default)
    {
        var rows = await QueryAsync<TokenRow>(Sql.FindToken, new { hash = secretHash }, ct);
        return rows.Count == 0 ? null : new StoredToken(rows[0].Id, rows[0].Name, rows[0].Role, FromMs(rows[0].Revoked));
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<TokenInfo>> ListTokensAsync(CancellationToken ct = default) =>
        (await QueryAsync<TokenRow>(Sql.ListTokens, null, ct)).Select(ToToken).ToList();

    /// <inheritdoc/>
    public Task<bool> RevokeTokenAsync(long id, DateTimeOffset revoked, CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            // An already revoked token keeps its first revocation time.
            if (await ExecuteAsync(tx, Sql.RevokeToken, new { revoked = ToMs(revoked), id }, ct) > 0)
                return true;
            return await ScalarAsync<long>(tx, Sql.TokenExists, new { id }, ct) == 1;
        }, ct);

    /// <inheritdoc/>
    public async Task<bool> HasAdminTokenAsync(CancellationToken ct = default) =>
        await ScalarAsync<long>(Sql.HasAdminToken, new { role = TokenRoles.Admin }, ct) == 1;

    private static TokenInfo ToToken(TokenRow r) => new(r.Id, r.Name, r.Role, FromMs(r.Created), FromMs(r.Revoked));
}
