using System.Data.Common;
using Provisioning.Core.Api;

namespace Provisioning.Server.Store;

// User accounts (schema 004): the password only as its hash (PasswordHasher format), never in an answer or a log.
// The failed sign-in count and the lock live in the row, so every server instance sharing the database throttles alike.
public abstract partial class SqlProvStore
{
    private const string UserColumns = "id, name, role, password_hash, disabled, created, updated, failed_logins, locked_until, last_login";

    /// <inheritdoc/>
    public async Task<UserInfo> AddUserAsync(string name, string role, string passwordHash, DateTimeOffset created, CancellationToken ct = default)
    {
        try
        {
            var id = await WriteAsync(tx => InsertAsync(tx,
                "INSERT INTO users (name, role, password_hash, disabled, created, updated, failed_logins) " +
                "VALUES (@name, @role, @hash, 0, @created, @created, 0)", ct,
                ("@name", name), ("@role", role), ("@hash", passwordHash), ("@created", ToMs(created))), ct);
            var at = FromMs(ToMs(created));
            return new UserInfo(id, name, role, false, at, at, null, null);
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            throw new UserExistsException(name);
        }
    }

    /// <inheritdoc/>
    public async Task<StoredUser?> FindUserAsync(string name, CancellationToken ct = default)
    {
        var rows = await QueryAsync($"SELECT {UserColumns} FROM users WHERE name = @name", ReadUser, ct, ("@name", name));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken ct = default) =>
        (await QueryAsync($"SELECT {UserColumns} FROM users ORDER BY name", ReadUser, ct)).Select(u => u.Info).ToList();

    /// <inheritdoc/>
    public Task<UserInfo?> UpdateUserAsync(string name, StoredUserChange change, DateTimeOffset updated, CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            var sets = new List<string> { "updated = @updated" };
            if (change.PasswordHash is not null)
                sets.Add("password_hash = @hash");
            if (change.Role is not null)
                sets.Add("role = @role");
            if (change.Disabled is { } disabled)
                sets.Add(disabled ? "disabled = 1" : "disabled = 0");
            // A new password or re-enabling is an admin's decision that the account may be used again: the lock goes.
            if (change.PasswordHash is not null || change.Disabled == false)
                sets.Add("failed_logins = 0, locked_until = NULL");
            int rows = await ExecuteAsync(tx.Connection!, tx, $"UPDATE users SET {string.Join(", ", sets)} WHERE name = @name", ct,
                ("@updated", ToMs(updated)), ("@hash", change.PasswordHash), ("@role", change.Role), ("@name", name));
            if (rows == 0)
                return null;
            return (await ReadUsersAsync(tx, "name = @name", ct, ("@name", name)))[0].Info;
        }, ct);

    /// <inheritdoc/>
    public Task<bool> RemoveUserAsync(string name, CancellationToken ct = default) =>
        WriteAsync(async tx => await ExecuteAsync(tx.Connection!, tx, "DELETE FROM users WHERE name = @name", ct, ("@name", name)) > 0, ct);

    /// <inheritdoc/>
    public Task<(int FailedLogins, DateTimeOffset? LockedUntil)> RecordLoginFailureAsync(long userId, DateTimeOffset at, Func<int, TimeSpan?> lockFor,
        CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            // The increment is one statement, so failures on several instances at once all count.
            await ExecuteAsync(tx.Connection!, tx, "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = @id", ct, ("@id", userId));
            var failures = Convert.ToInt32(await ScalarAsync(tx.Connection!, tx, "SELECT failed_logins FROM users WHERE id = @id", ct, ("@id", userId)) ?? 0);
            DateTimeOffset? until = lockFor(failures) is { } span ? FromMs(ToMs(at + span)) : null;
            if (until is not null)
                await ExecuteAsync(tx.Connection!, tx, "UPDATE users SET locked_until = @until WHERE id = @id", ct, ("@until", ToMs(until)), ("@id", userId));
            return (failures, until);
        }, ct);

    /// <inheritdoc/>
    public Task RecordLoginSuccessAsync(long userId, DateTimeOffset at, string? newPasswordHash, CancellationToken ct = default) =>
        WriteAsync(async tx => await ExecuteAsync(tx.Connection!, tx,
            "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login = @at, password_hash = COALESCE(@hash, password_hash) WHERE id = @id", ct,
            ("@at", ToMs(at)), ("@hash", newPasswordHash), ("@id", userId)), ct);

    private async Task<List<StoredUser>> ReadUsersAsync(DbTransaction tx, string where, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var command = Command(tx.Connection!, tx, $"SELECT {UserColumns} FROM users WHERE {where}", args);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<StoredUser>();
        while (await reader.ReadAsync(ct))
            rows.Add(ReadUser(reader));
        return rows;
    }

    private static StoredUser ReadUser(DbDataReader r) => new(
        new UserInfo(r.GetInt64(0), r.GetString(1), r.GetString(2), Convert.ToInt64(r.GetValue(4)) != 0, FromMs(r.GetInt64(5)), FromMs(r.GetInt64(6)),
            FromMs(r, 9), FromMs(r, 8)),
        r.GetString(3), Convert.ToInt32(r.GetValue(7)));
}

/// <summary>A user account as sign-in needs it: the listed facts, the password hash and the failed sign-in count.</summary>
/// <param name="Info">What may be shown.</param>
/// <param name="PasswordHash">The PasswordHasher hash (never shown, never logged).</param>
/// <param name="FailedLogins">Failed sign-ins since the last success or reset.</param>
public sealed record StoredUser(UserInfo Info, string PasswordHash, int FailedLogins)
{
    /// <inheritdoc/>
    public override string ToString() => $"StoredUser {{ Info = {Info}, FailedLogins = {FailedLogins} }}"; // the hash stays out of logs and test output
}

/// <summary>An admin's change to an account; null members stay as they are.</summary>
/// <param name="PasswordHash">A new password's hash.</param>
/// <param name="Disabled">Disable (true) or enable (false).</param>
/// <param name="Role">A new role.</param>
public sealed record StoredUserChange(string? PasswordHash = null, bool? Disabled = null, string? Role = null);

/// <summary>A user of that name exists already.</summary>
public sealed class UserExistsException(string name)
    : Exception($"A user named '{name}' exists already; choose another name, or change that account with Set-ProvUser.")
{
    /// <summary>The name.</summary>
    public string Name { get; } = name;
}
