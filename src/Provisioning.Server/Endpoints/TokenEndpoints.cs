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
        tokens.MapPost("/", async (TokenRequest? body, HttpContext context, TokenAdministration tokenAdmin, CancellationToken ct) =>
            TokenAdministration.Problem(body?.Name, body?.Role) is { } problem
                ? ApiErrors.BadRequest("BadTokenRequest", problem)
                : Results.Json(await tokenAdmin.CreateAsync(context, body!.Name, body.Role, ct), ApiJson.Options, statusCode: StatusCodes.Status201Created));
        tokens.MapGet("/", async (IProvStore store, CancellationToken ct) => Results.Json(await store.ListTokensAsync(ct), ApiJson.Options));
        tokens.MapDelete("/{id:long}", async (long id, HttpContext context, TokenAdministration tokenAdmin, CancellationToken ct) =>
            await tokenAdmin.RevokeAsync(context, id, ct) ? Results.NoContent() : ApiErrors.NotFound("TokenNotFound", $"There is no token {id}."));
    }
}
