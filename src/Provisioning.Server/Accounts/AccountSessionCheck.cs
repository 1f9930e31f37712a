using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Provisioning.Server.Auth;
using Provisioning.Server.Store;

namespace Provisioning.Server.Accounts;

/// <summary>
/// Checks a web session's account on every request: an account removed, disabled or given another role since it signed
/// in loses its session at once (on every server instance, since the account is read from the database), rather than
/// keeping the rights it had until the cookie expires.
/// </summary>
public static class AccountSessionCheck
{
    /// <summary>Rejects the principal of a cookie whose account no longer matches it, and ends the session.</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        if (principal?.FindFirst(Caller.KindClaim)?.Value != CallerKinds.User)
            return;
        var services = context.HttpContext.RequestServices;
        var store = services.GetRequiredService<IProvStore>();
        // Read first: on a Galera cluster it makes this node catch up with changes committed through other nodes.
        if (services.GetService<ChangeWatch>() is { } changes)
            await changes.CurrentAsync(context.HttpContext, context.HttpContext.RequestAborted);
        string name = principal.Identity?.Name ?? "";
        var user = await store.FindUserAsync(name, context.HttpContext.RequestAborted);
        string? id = principal.FindFirst(Caller.IdClaim)?.Value;
        if (user is { Info.Disabled: false } && principal.IsInRole(user.Info.Role)
            && id == user.Info.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))
            return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(AuthSchemes.Cookie);
    }
}
