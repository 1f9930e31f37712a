namespace Provisioning.Core.Api;

// The JSON bodies of the users endpoints (docs/server-api.md, "Users"). A password travels only in a request body,
// over HTTPS or loopback; no answer ever carries a password or its hash.

/// <summary>A user account as listed (never the password or its hash).</summary>
/// <param name="Id">The account's ID.</param>
/// <param name="Name">The sign-in name, in lower case (names compare case-insensitively).</param>
/// <param name="Role"><see cref="TokenRoles.Admin"/> or <see cref="TokenRoles.Exporter"/>.</param>
/// <param name="Disabled">A disabled account cannot sign in.</param>
/// <param name="Created">When the account was made.</param>
/// <param name="Updated">When the account was last changed by an admin.</param>
/// <param name="LastLogin">The last successful sign-in, if any.</param>
/// <param name="LockedUntil">Until when sign-in is refused after repeated failures, if locked now or lately.</param>
public sealed record UserInfo(long Id, string Name, string Role, bool Disabled, DateTimeOffset Created, DateTimeOffset Updated,
    DateTimeOffset? LastLogin, DateTimeOffset? LockedUntil);

/// <summary>Body of <c>POST /api/v1/users</c>.</summary>
/// <param name="Name">Sign-in name: 1–64 letters, digits and <c>. _ - @</c>.</param>
/// <param name="Role"><see cref="TokenRoles.Admin"/> or <see cref="TokenRoles.Exporter"/>.</param>
/// <param name="Password">The initial password (at least 12 characters).</param>
public sealed record UserRequest(string Name, string Role, string Password);

/// <summary>Body of <c>PATCH /api/v1/users/{name}</c>: only the members given change.</summary>
/// <param name="Password">A new password (resets the failed sign-in count and any lock).</param>
/// <param name="Disabled">True disables the account, false enables it (and lifts a lock).</param>
/// <param name="Role">A new role.</param>
public sealed record UserUpdate(string? Password = null, bool? Disabled = null, string? Role = null);
