using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Provisioning.Server.Accounts;
using Provisioning.Server.Auth;

namespace Provisioning.Server.Web;

/// <summary>
/// <c>/provisioning/login</c> (guide §5.3 step 5): name and password checked by <see cref="AccountSignIn"/> (which
/// throttles and audits), then the sign-in cookie. Every failure shows the one generic message it returns.
/// </summary>
public sealed class LoginModel(AccountSignIn signIn) : PageModel
{
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    [BindProperty(SupportsGet = true, Name = "out")] public bool LoggedOut { get; set; }

    public string? Message { get; private set; }

    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true && !LoggedOut ? LocalRedirect(Target()) : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        LoggedOut = false;
        var outcome = await signIn.SignInAsync(Name?.Trim() ?? "", Password ?? "", HttpContext.Connection.RemoteIpAddress?.ToString(), ct);
        Password = null;
        if (!outcome.Succeeded || outcome.Caller is not { } caller)
        {
            Message = outcome.Message;
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        await HttpContext.SignInAsync(AuthSchemes.Cookie,
            Caller.Principal(caller.Kind, caller.Id, caller.Name, caller.Role, AuthSchemes.Cookie));
        return LocalRedirect(Target());
    }

    /// <summary>Back to the page that sent the user here, when it is one of ours.</summary>
    private string Target() =>
        ReturnUrl is { Length: > 0 } url && Url.IsLocalUrl(url) && url.StartsWith(WebPaths.Root, StringComparison.Ordinal) ? url : WebPaths.Root;
}
