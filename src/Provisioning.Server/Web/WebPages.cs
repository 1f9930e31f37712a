using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Provisioning.Server.Auth;

namespace Provisioning.Server.Web;

/// <summary>
/// The web pages under <c>/provisioning</c> (guide §5.3, §7.1.2, §7.3): server-rendered Razor Pages that work with
/// JavaScript off, one stylesheet, antiforgery on every form. Every page needs a signed-in user (exporter or admin);
/// the pages in <c>Web/Admin</c> need an admin. Signing in is the foundation's cookie scheme.
/// </summary>
public static class WebPages
{
    /// <summary>Registers Razor Pages with the access rules of each folder, and antiforgery cookies as strict as the sign-in cookie.</summary>
    public static IServiceCollection AddWebPages(this IServiceCollection services)
    {
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Web";
            o.Conventions.AuthorizeFolder("/", Policies.Exporter);
            o.Conventions.AuthorizeFolder("/Admin", Policies.Admin);
            o.Conventions.AllowAnonymousToPage("/Login");
        })
        // The pages are found in this assembly whichever is the entry assembly (a test host runs the server in-process).
        .AddApplicationPart(typeof(WebPages).Assembly);
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "prov.antiforgery";
            o.Cookie.Path = WebPaths.Root;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = AntiforgeryField;
        });
        // Sessions live on the server, so logging out ends them (see WebSessions).
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<WebSessions>();
        services.AddOptions<CookieAuthenticationOptions>(AuthSchemes.Cookie).PostConfigure<WebSessions>((o, sessions) => o.SessionStore = sessions);
        return services;
    }

    /// <summary>Name of the antiforgery form field; the import form sends it as its first part.</summary>
    public const string AntiforgeryField = "__RequestVerificationToken";

    /// <summary>Serves the stylesheet (before routing, so it needs no sign-in: the login page uses it).</summary>
    public static IApplicationBuilder UseWebStaticFiles(this IApplicationBuilder app) => app.UseStaticFiles(new StaticFileOptions
    {
        FileProvider = new PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "Web", "static")),
        RequestPath = WebPaths.Root + "/static",
    });

    /// <summary>Maps the pages.</summary>
    public static void MapWebPages(this IEndpointRouteBuilder app) => app.MapRazorPages();

    /// <summary>The signed-in user's roles, for the page header.</summary>
    public static IEnumerable<string> RolesOf(ClaimsPrincipal user) => user.FindAll(ClaimTypes.Role).Select(c => c.Value);

    /// <summary>A UTC time as the pages show it.</summary>
    public static string Time(DateTimeOffset? time) => time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "";

    /// <summary>Raises the request body limit for an upload (Kestrel's default is 30 MB).</summary>
    public static void AllowBody(HttpContext context, long bytes)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = bytes;
    }
}
