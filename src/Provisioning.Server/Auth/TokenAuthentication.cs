using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using Provisioning.Core.Api;
using Provisioning.Server.Endpoints;
using Provisioning.Server.Hosting;
using Provisioning.Server.Store;

namespace Provisioning.Server.Auth;

/// <summary>Endpoint metadata: which token roles may call the endpoint. Endpoints without it are admin-only.</summary>
public sealed record AllowedRoles(params string[] Roles);

/// <summary>Endpoint metadata: no token needed (health only).</summary>
public sealed record AllowAnonymousAccess;

/// <summary>Endpoint metadata: the endpoint carries key material or passphrases, so plain HTTP is refused from other machines.</summary>
public sealed record CarriesKeys;

/// <summary>Endpoint conventions for the access rules.</summary>
public static class AccessRules
{
    /// <summary>Station tokens may call this endpoint as well as admin tokens.</summary>
    public static TBuilder AllowStations<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AllowedRoles(TokenRoles.Admin, TokenRoles.Station));

    /// <summary>Anyone may call this endpoint.</summary>
    public static TBuilder AllowWithoutToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AllowAnonymousAccess());

    /// <summary>Marks an endpoint that moves keys or passphrases.</summary>
    public static TBuilder KeyTransport<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new CarriesKeys());
}

/// <summary>
/// Checks the bearer token of every API call after routing: unknown or missing → 401 with nothing about the data;
/// a role the endpoint does not allow → 403; key transport over plain HTTP from another machine → 403 unless opted in.
/// </summary>
public sealed class TokenAuthentication(IProvStore store, IOptions<ServerSettings> settings, ILogger<TokenAuthentication> log) : IMiddleware
{
    private readonly ConcurrentDictionary<string, (StoredToken? Token, DateTime Until)> _cache = new();
    private readonly TimeSpan _cacheFor = TimeSpan.FromSeconds(Math.Max(0, settings.Value.TokenCacheSeconds));

    /// <summary>The token that authenticated the current request.</summary>
    public static StoredToken? Caller(HttpContext context) => context.Items[typeof(StoredToken)] as StoredToken;

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null || endpoint.Metadata.GetMetadata<AllowAnonymousAccess>() is not null)
        {
            await next(context);
            return;
        }
        var token = await AuthenticateAsync(context);
        if (token is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ApiErrors.Write(context, StatusCodes.Status401Unauthorized, "Unauthorized",
                "A valid bearer token is required (Authorization: Bearer <token>). Use the admin token from the server's data folder or a station token.");
            return;
        }
        string[] roles = endpoint.Metadata.GetMetadata<AllowedRoles>()?.Roles ?? [TokenRoles.Admin];
        if (!roles.Contains(token.Role))
        {
            log.LogWarning("Token {TokenId} ({TokenName}, {Role}) refused for {Path}", token.Id, token.Name, token.Role, context.Request.Path.Value);
            await ApiErrors.Write(context, StatusCodes.Status403Forbidden, "Forbidden",
                $"A {token.Role} token may not call this endpoint; it needs a token with the role {string.Join(" or ", roles)}.");
            return;
        }
        if (endpoint.Metadata.GetMetadata<CarriesKeys>() is not null && !IsSecureChannel(context) && !settings.Value.AllowInsecureKeyTransport)
        {
            await ApiErrors.Write(context, StatusCodes.Status403Forbidden, "InsecureKeyTransport",
                "Keys and passphrases are not sent over plain HTTP to another machine. Connect over HTTPS or from the server itself, or start the server with AllowInsecureKeyTransport if the network is trusted.");
            return;
        }
        context.Items[typeof(StoredToken)] = token;
        await next(context);
    }

    /// <summary>Forgets cached lookups, e.g. after a revocation.</summary>
    public void Forget() => _cache.Clear();

    private static bool IsSecureChannel(HttpContext context) =>
        context.Request.IsHttps || context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);

    private async Task<StoredToken?> AuthenticateAsync(HttpContext context)
    {
        string header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return null;
        string text = header[scheme.Length..].Trim();
        if (text.Length is 0 or > 256)
            return null;
        string key = Convert.ToHexString(AccessToken.Hash(text));
        var now = DateTime.UtcNow;
        if (!_cache.TryGetValue(key, out var cached) || cached.Until < now)
        {
            var found = await store.FindTokenAsync(Convert.FromHexString(key), context.RequestAborted);
            cached = (found, now + _cacheFor);
            if (_cacheFor > TimeSpan.Zero)
                _cache[key] = cached;
        }
        return cached.Token is { Revoked: null } valid ? valid : null;
    }
}
