using System.Security;
using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>An access token of the server; <see cref="Token"/> is set only when the token was just made.</summary>
public sealed class ProvStationToken
{
    internal ProvStationToken(TokenInfo info, SecureString? token)
    {
        Id = info.Id;
        Name = info.Name;
        Role = info.Role;
        Created = info.Created;
        Revoked = info.Revoked;
        Token = token;
    }

    /// <summary>The token's ID (for Revoke-ProvStationToken).</summary>
    public long Id { get; }

    /// <summary>The name it was given (a station, a line).</summary>
    public string Name { get; }

    /// <summary><c>station</c>, <c>exporter</c> or <c>admin</c>.</summary>
    public string Role { get; }

    /// <summary>When it was made.</summary>
    public DateTimeOffset Created { get; }

    /// <summary>When it was revoked, if it was.</summary>
    public DateTimeOffset? Revoked { get; }

    /// <summary>The secret, only on the object New-ProvStationToken returns; the server never shows it again.</summary>
    public SecureString? Token { get; }
}
