using System.Security;
using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>A user account of the server (for the web pages); <see cref="Password"/> is set only when New-ProvUser generated it.</summary>
public sealed class ProvUser
{
    internal ProvUser(UserInfo info, SecureString? password = null)
    {
        Id = info.Id;
        Name = info.Name;
        Role = info.Role;
        Disabled = info.Disabled;
        Created = info.Created;
        Updated = info.Updated;
        LastLogin = info.LastLogin;
        LockedUntil = info.LockedUntil;
        Password = password;
    }

    /// <summary>The account's ID.</summary>
    public long Id { get; }

    /// <summary>The sign-in name (lower case; names compare case-insensitively).</summary>
    public string Name { get; }

    /// <summary><c>admin</c> or <c>exporter</c>.</summary>
    public string Role { get; }

    /// <summary>A disabled account cannot sign in.</summary>
    public bool Disabled { get; }

    /// <summary>When it was made.</summary>
    public DateTimeOffset Created { get; }

    /// <summary>When an admin last changed it.</summary>
    public DateTimeOffset Updated { get; }

    /// <summary>The last successful sign-in.</summary>
    public DateTimeOffset? LastLogin { get; }

    /// <summary>Until when sign-in is refused after repeated failures (past times mean the lock has ended).</summary>
    public DateTimeOffset? LockedUntil { get; }

    /// <summary>Whether sign-in is refused now because of failures.</summary>
    public bool Locked => LockedUntil > DateTimeOffset.UtcNow;

    /// <summary>The password New-ProvUser generated, only on the object it returns; the server keeps only a hash.</summary>
    public SecureString? Password { get; }
}
