using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;

namespace Provisioning.Server.Auth;

/// <summary>
/// Turns a client certificate whose chain the certificate handler accepted into a station caller, by asking
/// <see cref="IStationCertificateValidator"/> (the database) on every request, so a revocation holds from the next call on
/// every instance. A refused certificate leaves the request anonymous; the refusal is kept for the 401 answer.
/// The check runs once per request however often the request is authenticated.
/// </summary>
public sealed class StationCertificateCheck(IHttpContextAccessor accessor) : IClaimsTransformation
{
    private static readonly object CheckedKey = new(), RefusalKey = new();

    /// <summary>Why the request's client certificate was refused, when it was.</summary>
    public static string? RefusalOf(HttpContext context) => context.Items[RefusalKey] as string;

    /// <inheritdoc/>
    public async Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (principal.FindFirst(Caller.KindClaim)?.Value != CallerKinds.UncheckedCertificate)
            return principal;
        var context = accessor.HttpContext;
        if (context?.Connection.ClientCertificate is not { } certificate)
            return new ClaimsPrincipal(new ClaimsIdentity());
        if (context.Items[CheckedKey] is ClaimsPrincipal done)
            return done;

        var (caller, refusal) = context.RequestServices.GetService<IStationCertificateValidator>() is { } validator
            ? await validator.ValidateAsync(certificate, context)
            : (null, "This server does not accept client certificates.");
        ClaimsPrincipal result;
        if (caller is null)
        {
            context.Items[RefusalKey] = refusal ?? "The client certificate is refused.";
            result = new ClaimsPrincipal(new ClaimsIdentity());
        }
        else
            result = Caller.Principal(caller.Kind, caller.Id, caller.Name, caller.Role, AuthSchemes.Certificate);
        context.Items[CheckedKey] = result;
        return result;
    }
}
