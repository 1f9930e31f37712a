using System.Data.Common;
using Provisioning.Core.Api;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

// User accounts (schema 004): the password only as its hash (PasswordHasher format), never in an answer or a log.
// The failed sign-in count and the lock live in the row, so every server instance sharing the database throttles alike.
public abstract partial class SqlProvStore
{
    /// <inheritdoc/>
    public async Task<UserInfo> AddUserAsync(string name, string role, string passwordHash, DateTimeOffset created, CancellationToken ct = default)
    {
        try
        {
            var id = await WriteAsync(tx => InsertAsync(tx, Sql.InsertUser, new { name, role, hash = passwordHash, created = ToMs(created) }, ct), ct);
            var at = FromMs(ToMs(created));
            return new UserInfo(id, name, role, false, at, at, null, null);
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            throw new UserExistsException(name);
        }
    }

    /// <inheritdoc/>
    public async Task<StoredUser?> FindUserAsync(string name, CancellationToken ct = default) =>
        (await QueryAsync<UserRow>(Sql.FindUser, new { name }, ct)).Select(ToUser).FirstOrDefault();

    /// <inheritdoc/>
    public async Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken ct = default) =>
        (await QueryAsync<UserRow>(Sql.ListUsers, null, ct)).Select(r => ToUser(r).Info).ToList();

    /// <inheritdoc/>
    public Task<UserInfo?> UpdateUserAsync(string name, StoredUserChange change, DateTimeOffset updated, CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            var sql = StoreStatements.UpdateUser(change.PasswordHash is not null, change.Role is not null, change.Disabled);
            if (await ExecuteAsync(tx, sql, new { updated = ToMs(updated), hash = change.PasswordHash, role = change.Role, name }, ct) == 0)
                return null;
            return (await QueryAsync<UserRow>(tx, Sql.FindUser, new { name }, ct)).Select(r => ToUser(r).Info).First();
        }, ct);

    /// <inheritdoc/>
    public Task<bool> RemoveUserAsync(string name, CancellationToken ct = default) =>
        WriteAsync(async tx => await ExecuteAsync(tx, Sql.DeleteUser, new { name }, ct) > 0, ct);

    /// <inheritdoc/>
    public Task<(int FailedLogins, DateTimeOffset? LockedUntil)> RecordLoginFailureAsync(long userId, DateTimeOffset at, Func<int, TimeSpan?> lockFor,
        CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            // The increment is one statement, so failures on several instances at once all count.
            await ExecuteAsync(tx, Sql.CountLoginFailure, new { id = userId }, ct);
            var failures = (await QueryAsync<UserRow>(tx, Sql.UserById, new { id = userId }, ct)).FirstOrDefault()?.FailedLogins ?? 0;
            DateTimeOffset? until = lockFor(failures) is { } span ? FromMs(ToMs(at + span)) : null;
            if (until is not null)
                await ExecuteAsync(tx, Sql.LockUser, new { until = ToMs(until), id = userId }, ct);
            return (failures, until);
        }, ct);

    /// <inheritdoc/>
    public Task RecordLoginSuccessAsync(long userId, DateTimeOffset at, string? newPasswordHash, CancellationToken ct = default) =>
        WriteAsync(tx => ExecuteAsync(tx, Sql.RecordLoginSuccess, new { at = ToMs(at), hash = newPasswordHash, id = userId }, ct), ct);

    private static StoredUser ToUser(UserRow r) => new(
        new UserInfo(r.Id, r.Name, r.Role, r.Disabled, FromMs(r.Created), FromMs(r.Updated), FromMs(r.LastLogin), FromMs(r.LockedUntil)),
        r.PasswordHash, r.FailedLogins);
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
