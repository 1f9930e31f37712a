using Provisioning.Core.Api;
using Provisioning.Server.Audit;
using Provisioning.Server.Store;

namespace Provisioning.Server.Auth;

/// <summary>
/// Creating and revoking access tokens, for the API (<c>/api/v1/tokens</c>) and the web stations page alike: checked,
/// logged and audited (<c>token.create</c>, <c>token.revoke</c>) in one place. The secret exists only in the answer.
/// </summary>
public sealed class TokenAdministration(IProvStore store, TokenCache cache, AuditLog audit, ILogger<TokenAdministration> log)
{
    /// <summary>Longest token name.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Why a request cannot make a token; null when it can.</summary>
    public static string? Problem(string? name, string? role)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > MaxNameLength)
            return $"Give the token a name (1–{MaxNameLength} characters) saying which station or person uses it.";
        if (role is not (TokenRoles.Station or TokenRoles.Exporter or TokenRoles.Admin))
            return $"role must be '{TokenRoles.Station}', '{TokenRoles.Exporter}' or '{TokenRoles.Admin}', not '{role}'.";
        return null;
    }

    /// <summary>Makes a token (the request must pass <see cref="Problem"/>); the secret is in the answer only.</summary>
    public async Task<NewToken> CreateAsync(HttpContext context, string name, string role, CancellationToken ct)
    {
        string secret = AccessToken.Create();
        var info = await store.AddTokenAsync(name.Trim(), role, AccessToken.Hash(secret), DateTimeOffset.UtcNow, ct);
        log.LogInformation("Created {Role} token {TokenId} ({TokenName})", info.Role, info.Id, info.Name);
        await audit.RecordAsync(context, AuditActions.TokenCreate, $"token {info.Id}", System.Text.Json.JsonSerializer.Serialize(new { name = info.Name, role = info.Role }));
        return new NewToken(info, secret);
    }

    /// <summary>Revokes a token at once on this instance (within the token cache time on others); false when there is no such token.</summary>
    public async Task<bool> RevokeAsync(HttpContext context, long id, CancellationToken ct)
    {
        if (!await store.RevokeTokenAsync(id, DateTimeOffset.UtcNow, ct))
            return false;
        cache.Forget();
        log.LogInformation("Revoked token {TokenId}", id);
        await audit.RecordAsync(context, AuditActions.TokenRevoke, $"token {id}");
        return true;
    }
}
