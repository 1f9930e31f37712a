using Provisioning.Core.Api;
using Provisioning.Server.Auth;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary><c>/api/v1/tokens</c>: admin-only management of access tokens. Secrets are shown once, at creation.</summary>
public static class TokenEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var tokens = app.MapGroup(ApiRoutes.Tokens).RequireAdmin();
        tokens.MapPost("/", async (TokenRequest? body, IProvStore store, ILogger<TokenRequest> log, CancellationToken ct) =>
        {
            if (body is null || string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 200)
                return ApiErrors.BadRequest("BadTokenRequest", "Give the token a name (1–200 characters) saying which station or person uses it.");
            if (body.Role is not (TokenRoles.Station or TokenRoles.Exporter or TokenRoles.Admin))
                return ApiErrors.BadRequest("BadTokenRequest", $"role must be '{TokenRoles.Station}', '{TokenRoles.Exporter}' or '{TokenRoles.Admin}', not '{body.Role}'.");
            string secret = AccessToken.Create();
            var info = await store.AddTokenAsync(body.Name.Trim(), body.Role, AccessToken.Hash(secret), DateTimeOffset.UtcNow, ct);
            log.LogInformation("Created {Role} token {TokenId} ({TokenName})", info.Role, info.Id, info.Name);
            return Results.Json(new NewToken(info, secret), ApiJson.Options, statusCode: StatusCodes.Status201Created);
        });
        tokens.MapGet("/", async (IProvStore store, CancellationToken ct) => Results.Json(await store.ListTokensAsync(ct), ApiJson.Options));
        tokens.MapDelete("/{id:long}", async (long id, IProvStore store, TokenCache auth, ILogger<TokenRequest> log, CancellationToken ct) =>
        {
            if (!await store.RevokeTokenAsync(id, DateTimeOffset.UtcNow, ct))
                return ApiErrors.NotFound("TokenNotFound", $"There is no token {id}.");
            auth.Forget();
            log.LogInformation("Revoked token {TokenId}", id);
            return Results.NoContent();
        });
    }
}
