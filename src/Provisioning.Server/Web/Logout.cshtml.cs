using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;

namespace Provisioning.Server.Web;

/// <summary><c>/provisioning/logout</c>: ends the session (the cookie's server-side session too, so a copy of it stops working).</summary>
public sealed class LogoutModel(AuditLog audit) : PageModel
{
    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync()
    {
        await audit.RecordAsync(HttpContext, AuditActions.Logout);
        await HttpContext.SignOutAsync(AuthSchemes.Cookie);
        return LocalRedirect(WebPaths.Root + "/login?out=true");
    }
}
