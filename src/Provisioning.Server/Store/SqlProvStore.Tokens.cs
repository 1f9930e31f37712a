using System.Data.Common;
using Provisioning.Core.Api;

namespace Provisioning.Server.Store;

// Access tokens: stored by the SHA-256 of the secret, never the secret.
public abstract partial class SqlProvStore
{
    private const string TokenColumns = "id, name, role, created, revoked";

    /// <inheritdoc/>
    public async Task<TokenInfo> AddTokenAsync(string name, string role, byte[] secretHash, DateTimeOffset created, CancellationToken ct = default)
    {
        var id = await WriteAsync(tx => InsertAsync(tx,
            "INSERT INTO tokens (name, role, secret_hash, created) VALUES (@name, @role, @hash, @created)", ct,
            ("@name", name), ("@role", role), ("@hash", secretHash), ("@created", ToMs(created))), ct);
        return new TokenInfo(id, name, role, FromMs(ToMs(created)), null);
    }

    /// <inheritdoc/>
    public async Task<StoredToken?> FindTokenAsync(byte[] secretHash, CancellationToken ct = default)
    {
        var rows = await QueryAsync($"SELECT {TokenColumns} FROM tokens WHERE secret_hash = @hash", ReadToken, ct, ("@hash", secretHash));
        return rows.Count == 0 ? null : new StoredToken(rows[0].Id, rows[0].Name, rows[0].Role, rows[0].Revoked);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<TokenInfo>> ListTokensAsync(CancellationToken ct = default) =>
        await QueryAsync($"SELECT {TokenColumns} FROM tokens ORDER BY id", ReadToken, ct);

    /// <inheritdoc/>
    public Task<bool> RevokeTokenAsync(long id, DateTimeOffset revoked, CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            // An already revoked token keeps its first revocation time.
            if (await ExecuteAsync(tx.Connection!, tx, "UPDATE tokens SET revoked = @revoked WHERE id = @id AND revoked IS NULL", ct,
                    ("@revoked", ToMs(revoked)), ("@id", id)) > 0)
                return true;
            return await ScalarAsync(tx.Connection!, tx, "SELECT 1 FROM tokens WHERE id = @id", ct, ("@id", id)) is not null;
        }, ct);

    /// <inheritdoc/>
    public async Task<bool> HasAdminTokenAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenReadAsync(ct);
        return await ScalarAsync(connection, null, "SELECT 1 FROM tokens WHERE role = @role AND revoked IS NULL LIMIT 1", ct,
            ("@role", TokenRoles.Admin)) is not null;
    }

    private static TokenInfo ReadToken(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), FromMs(r.GetInt64(3)), FromMs(r, 4));
}
