namespace Provisioning.Server.Auth;

/// <summary>The server's authentication schemes (docs/security.md).</summary>
public static class AuthSchemes
{
    /// <summary>Bearer tokens (admin, exporter, station) on the API.</summary>
    public const string Bearer = "Bearer";
    /// <summary>Station client certificates issued by the server's CA (mutual TLS).</summary>
    public const string Certificate = "Certificate";
    /// <summary>The signed-in user of the web pages under <see cref="WebPaths.Root"/>.</summary>
    public const string Cookie = "Cookies";
    /// <summary>
    /// The default: a policy scheme that picks one of the others per request — the cookie for the web pages, a bearer
    /// token when the request carries one, else the client certificate of the connection.
    /// </summary>
    public const string Default = "Provisioning";
}

/// <summary>Where the web pages live (the guide's path).</summary>
public static class WebPaths
{
    /// <summary>Base path of the web pages.</summary>
    public const string Root = "/provisioning";
    /// <summary>The login page.</summary>
    public const string Login = Root + "/login";
    /// <summary>The page shown when a signed-in user may not see a page.</summary>
    public const string Denied = Root + "/denied";

    /// <summary>Whether a request is for the web pages (rather than the API).</summary>
    public static bool IsWeb(HttpRequest request) => request.Path.StartsWithSegments(Root, StringComparison.OrdinalIgnoreCase);
}
