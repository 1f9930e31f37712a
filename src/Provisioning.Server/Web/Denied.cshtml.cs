using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Provisioning.Server.Web;

/// <summary><c>/provisioning/denied</c>: where a signed-in user lands on a page their role may not open (403).</summary>
public sealed class DeniedModel : PageModel
{
    public void OnGet() => Response.StatusCode = StatusCodes.Status403Forbidden;
}
