using Provisioning.Core.Api;
using Provisioning.Server.Accounts;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary>
/// <c>/api/v1/users</c>: admin-only management of the accounts people sign in to the web pages with. Passwords arrive
/// only in request bodies (so over HTTPS or loopback: <see cref="AccessRules.KeyTransport{TBuilder}"/>), are checked
/// against <see cref="AccountRules"/> and stored as hashes; no answer carries a password or a hash.
/// </summary>
public static class UserEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var users = app.MapGroup(ApiRoutes.Users);
        users.MapPost("/", Create).RequireAdmin().KeyTransport();
        users.MapGet("/", async (IProvStore store, CancellationToken ct) => Results.Json(await store.ListUsersAsync(ct), ApiJson.Options)).RequireAdmin();
        users.MapGet("/{name}", async (string name, IProvStore store, CancellationToken ct) =>
            AccountRules.NormaliseName(name) is { } normalised && await store.FindUserAsync(normalised, ct) is { } user
                ? Results.Json(user.Info, ApiJson.Options)
                : NoSuchUser(name)).RequireAdmin();
        users.MapMethods("/{name}", [HttpMethods.Patch, HttpMethods.Put], Update).RequireAdmin().KeyTransport();
        users.MapDelete("/{name}", Remove).RequireAdmin();
    }

    private static async Task<IResult> Create(HttpContext context, UserRequest? body, IProvStore store, PasswordHashing hashing, AuditLog audit,
        ILogger<UserRequest> log, CancellationToken ct)
    {
        if (body is null)
            return ApiErrors.BadRequest("BadUserRequest", "Send the user as JSON: name, role and password.");
        if (AccountRules.NameProblem(body.Name) is { } nameProblem)
            return ApiErrors.BadRequest("BadUserName", nameProblem);
        string name = AccountRules.NormaliseName(body.Name)!;
        if (AccountRules.NormaliseRole(body.Role) is not { } role)
            return BadRole(body.Role);
        if (AccountRules.PasswordProblem(name, body.Password) is { } passwordProblem)
            return ApiErrors.BadRequest("WeakPassword", passwordProblem);
        try
        {
            var user = await store.AddUserAsync(name, role, hashing.Hash(body.Password), DateTimeOffset.UtcNow, ct);
            await audit.RecordAsync(context, AuditActions.UserCreate, target: name, detail: $"role {role}");
            log.LogInformation("Created {Role} user {UserName} ({UserId})", role, name, user.Id);
            return Results.Json(user, ApiJson.Options, statusCode: StatusCodes.Status201Created);
        }
        catch (UserExistsException ex)
        {
            return ApiErrors.Conflict("UserExists", ex.Message);
        }
    }

    private static async Task<IResult> Update(HttpContext context, string name, UserUpdate? body, IProvStore store, PasswordHashing hashing, AuditLog audit,
        ILogger<UserRequest> log, CancellationToken ct)
    {
        if (AccountRules.NormaliseName(name) is not { } normalised)
            return NoSuchUser(name);
        if (body is null || body is { Password: null, Disabled: null, Role: null })
            return ApiErrors.BadRequest("BadUserUpdate", "Say what to change: password, disabled (true or false) or role.");
        string? role = null;
        if (body.Role is not null && (role = AccountRules.NormaliseRole(body.Role)) is null)
            return BadRole(body.Role);
        if (body.Password is not null && AccountRules.PasswordProblem(normalised, body.Password) is { } passwordProblem)
            return ApiErrors.BadRequest("WeakPassword", passwordProblem);

        var change = new StoredUserChange(body.Password is null ? null : hashing.Hash(body.Password), body.Disabled, role);
        if (await store.UpdateUserAsync(normalised, change, DateTimeOffset.UtcNow, ct) is not { } user)
            return NoSuchUser(name);
        string changed = string.Join(", ", new[]
        {
            body.Password is null ? null : "password reset",
            body.Disabled switch { true => "disabled", false => "enabled", null => null },
            role is null ? null : $"role {role}",
        }.Where(s => s is not null));
        await audit.RecordAsync(context, AuditActions.UserUpdate, target: normalised, detail: changed);
        log.LogInformation("Changed user {UserName}: {Change}", normalised, changed);
        return Results.Json(user, ApiJson.Options);
    }

    private static async Task<IResult> Remove(HttpContext context, string name, IProvStore store, AuditLog audit, ILogger<UserRequest> log, CancellationToken ct)
    {
        if (AccountRules.NormaliseName(name) is not { } normalised || !await store.RemoveUserAsync(normalised, ct))
            return NoSuchUser(name);
        await audit.RecordAsync(context, AuditActions.UserRemove, target: normalised);
        log.LogInformation("Removed user {UserName}", normalised);
        return Results.NoContent();
    }

    private static IResult NoSuchUser(string name) =>
        ApiErrors.NotFound("UserNotFound", $"There is no user '{name}'; Get-ProvUser lists them.");

    private static IResult BadRole(string? role) =>
        ApiErrors.BadRequest("BadUserRole", $"A user's role is '{TokenRoles.Admin}' or '{TokenRoles.Exporter}', not '{role}'. Stations use tokens or certificates, not accounts.");
}
