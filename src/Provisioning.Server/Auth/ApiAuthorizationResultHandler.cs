using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using Provisioning.Server.Audit;
using Provisioning.Server.Endpoints;
using Provisioning.Server.Hosting;

namespace Provisioning.Server.Auth;

/// <summary>
/// Answers refused API calls as problems an operator can act on: 401 when the caller is unknown (saying what was wrong
/// with its certificate, if it sent one), 403 naming the roles the endpoint needs or the plain-HTTP key refusal. Web
/// pages keep the framework's answers (redirect to the login page, or the denied page).
/// </summary>
public sealed class ApiAuthorizationResultHandler(IOptions<ServerSettings> settings, IOptionsMonitor<CertificateAuthenticationOptions> certificateOptions,
    AuditLog audit, ILogger<ApiAuthorizationResultHandler> log) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _web = new();

    /// <summary>Error ID of a 401 for a refused client certificate (the detail says why).</summary>
    public const string CertificateRefusedId = Core.Client.ProvServerException.CertificateRefusedId;

    /// <summary>Error ID of a 403 for a station token where the server requires station certificates.</summary>
    public const string CertificateRequiredId = Core.Client.ProvServerException.CertificateRequiredId;

    /// <summary>The message of a missing or unknown token.</summary>
    public const string TokenRequired =
        "A valid bearer token is required (Authorization: Bearer <token>). Use the admin token from the server's data folder or a station token.";

    /// <inheritdoc/>
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (WebPaths.IsWeb(context.Request) || result.Succeeded)
        {
            await _web.HandleAsync(next, context, policy, result);
            return;
        }
        // A refused station certificate leaves the request authenticated as nobody (StationCertificateCheck): that is a 401 too.
        if (result.Challenged || context.User.Identity?.IsAuthenticated != true)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            // A refused certificate has its own ID, so a station reports the certificate's problem rather than a token's.
            string challengeId = ByCertificate(context) ? CertificateRefusedId : "Unauthorized";
            await ApiErrors.Write(context, StatusCodes.Status401Unauthorized, challengeId, await ChallengeMessageAsync(context));
            return;
        }

        var caller = Caller.Of(context);
        var failed = result.AuthorizationFailure?.FailedRequirements.ToList() ?? [];
        bool carriesKeys = context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == Policies.SecureChannel) == true;
        string errorId = "Forbidden", detail;
        if (failed.OfType<RolesAuthorizationRequirement>().FirstOrDefault() is { } roles)
            detail = $"{Described(caller)} may not call this endpoint; it needs the role {string.Join(" or ", roles.AllowedRoles)}.";
        else if ((failed.OfType<StationRequirement>().Any() || failed.OfType<StationCertificateRequirement>().Any())
                 && caller?.Role == Core.Api.TokenRoles.Station && settings.Value.RequireClientCertificate)
        {
            errorId = CertificateRequiredId;
            detail = "This server requires station certificates: a station token may not call station endpoints. Connect with the station's certificate (Connect-ProvServer -Certificate).";
        }
        else if (failed.OfType<StationRequirement>().Any())
            detail = $"{Described(caller)} may not call this endpoint; it needs the role station or admin.";
        else if (failed.OfType<SecureChannelRequirement>().Any())
        {
            errorId = "InsecureKeyTransport";
            detail = "Keys and passphrases are not sent over plain HTTP to another machine. Connect over HTTPS or from the server itself, or start the server with AllowInsecureKeyTransport if the network is trusted.";
        }
        else
            detail = "This caller may not call this endpoint.";

        log.LogWarning("{Caller} refused for {Method} {Path}: {ErrorId}", caller, context.Request.Method, context.Request.Path.Value, errorId);
        if (carriesKeys)
            await audit.RecordAsync(context, AuditActions.KeysRefused, context.Request.Path.Value, errorId, succeeded: false);
        await ApiErrors.Write(context, StatusCodes.Status403Forbidden, errorId, detail);
    }

    // "An exporter token", "A station certificate".
    private static string Described(Caller? caller) => caller is null ? "This caller"
        : $"{(caller.Role.Length > 0 && "aeiou".Contains(caller.Role[0]) ? "An" : "A")} {caller.Role} {caller.Kind}";

    private static bool ByCertificate(HttpContext context) =>
        context.Request.Headers.Authorization.Count == 0 && context.Connection.ClientCertificate is not null;

    private async Task<string> ChallengeMessageAsync(HttpContext context)
    {
        if (!ByCertificate(context))
            return TokenRequired;
        if (StationCertificateCheck.RefusalOf(context) is { } refusal)
            return refusal;
        // Else the certificate handler refused the chain; its result (cached per certificate) says so.
        var failure = (await context.AuthenticateAsync(AuthSchemes.Certificate)).Failure;
        // The handler's own refusals (chain, validity, use) say only that validation failed; say which check it was.
        if (failure is null || failure.Message.StartsWith("Client certificate failed validation", StringComparison.Ordinal))
            return ServerAuthentication.DescribeCertificateProblem(context.Connection.ClientCertificate!, certificateOptions.Get(AuthSchemes.Certificate));
        return failure.Message;
    }
}
