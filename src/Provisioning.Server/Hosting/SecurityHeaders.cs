namespace Provisioning.Server.Hosting;

/// <summary>
/// Headers on every response, pages and API alike: a Content-Security-Policy that allows only this server's own
/// stylesheet (no script at all, no framing), nosniff, no referrer, and HSTS when the request came over TLS.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>The policy: the pages need nothing but their stylesheet, images from the server and their own forms.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>HSTS for a year; sent only over TLS, as RFC 6797 asks.</summary>
    public const string StrictTransportSecurity = "max-age=31536000";

    /// <summary>Adds the headers to every response (first in the pipeline, so error answers carry them too).</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            if (context.Request.IsHttps)
                headers.StrictTransportSecurity = StrictTransportSecurity;
            return Task.CompletedTask;
        });
        return next(context);
    });
}
