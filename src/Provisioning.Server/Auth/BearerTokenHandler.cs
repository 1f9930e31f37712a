using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Provisioning.Server.Hosting;
using Provisioning.Server.Store;

namespace Provisioning.Server.Auth;

/// <summary>
/// Token lookups, kept while the database's change count stands (<see cref="ChangeWatch"/>) and at most
/// <see cref="ServerSettings.TokenCacheSeconds"/>: a revocation through any instance sharing the database moves the count
/// in the same transaction, so it holds from the next request on every instance.
/// </summary>
public sealed class TokenCache(IProvStore store, ChangeWatch changes, IOptions<ServerSettings> settings)
{
    private readonly CoherentCache<string, StoredToken> _cache = new(TimeSpan.FromSeconds(Math.Max(0, settings.Value.TokenCacheSeconds)));

    /// <summary>The unrevoked token with this secret; null when unknown or revoked.</summary>
    public async Task<StoredToken?> FindAsync(string secret, HttpContext? context, CancellationToken ct)
    {
        byte[] hash = AccessToken.Hash(secret);
        string key = Convert.ToHexString(hash);
        long count = await changes.CurrentAsync(context, ct);
        if (!_cache.TryGet(key, count, out var token))
        {
            if (await store.FindTokenAsync(hash, ct) is not { } found)
                return null;
            _cache.Set(key, token = found, count);
        }
        return token.Revoked is null ? token : null;
    }

    /// <summary>Forgets cached lookups, e.g. after a revocation.</summary>
    public void Forget() => _cache.Clear();
}

/// <summary>Options of <see cref="BearerTokenHandler"/> (none beyond the framework's).</summary>
public sealed class BearerTokenOptions : AuthenticationSchemeOptions;

/// <summary>
/// <c>Authorization: Bearer prov_…</c>: the token's name and role become the caller. No header → no result (the
/// request is anonymous); an unknown or revoked token → a failure, answered 401 like a missing one.
/// </summary>
public sealed class BearerTokenHandler(IOptionsMonitor<BearerTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenCache tokens)
    : AuthenticationHandler<BearerTokenOptions>(options, logger, encoder)
{
    private const string Prefix = "Bearer ";
    /// <summary>Longest token text looked up.</summary>
    public const int MaxTokenLength = 256;

    /// <inheritdoc/>
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        string text = header[Prefix.Length..].Trim();
        if (text.Length is 0 or > MaxTokenLength || await tokens.FindAsync(text, Context, Context.RequestAborted) is not { } token)
            return AuthenticateResult.Fail("The bearer token is unknown or revoked.");
        var principal = Caller.Principal(CallerKinds.Token, token.Id, token.Name, token.Role, Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    /// <inheritdoc/>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return base.HandleChallengeAsync(properties);
    }
}
