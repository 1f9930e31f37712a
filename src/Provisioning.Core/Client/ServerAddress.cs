using System.Globalization;

namespace Provisioning.Core.Client;

/// <summary>
/// The base address of a provisioning server as an operator types it: <c>http://host:8085</c>, <c>https://host/prov</c>,
/// or just <c>host</c> / <c>host:port</c> (then <c>http</c>, and port 8085 as in the guide when none is given).
/// </summary>
public static class ServerAddress
{
    /// <summary>The guide's default server port.</summary>
    public const int DefaultPort = 8085;

    /// <summary>Parses an address; throws <see cref="FormatException"/> naming the text and what is wrong.</summary>
    public static Uri Parse(string text)
    {
        if (!TryParse(text, out var uri, out var error))
            throw new FormatException(error);
        return uri;
    }

    /// <summary>Like <see cref="Parse"/>; on failure <paramref name="error"/> says why. The result always ends with '/'.</summary>
    public static bool TryParse(string? text, out Uri uri, out string? error)
    {
        uri = null!;
        string trimmed = (text ?? "").Trim();
        if (trimmed.Length == 0)
        {
            error = "The server address is empty: give it as http://host:port, e.g. http://127.0.0.1:8085.";
            return false;
        }

        bool schemeGiven = trimmed.Contains("://", StringComparison.Ordinal);
        string candidate = schemeGiven ? trimmed : "http://" + trimmed;
        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var parsed) || parsed.HostNameType == UriHostNameType.Unknown)
        {
            error = $"'{trimmed}' is not a server address: give it as http://host:port, e.g. http://127.0.0.1:8085.";
            return false;
        }
        if (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps)
        {
            error = $"'{trimmed}' uses '{parsed.Scheme}': the server speaks http or https only.";
            return false;
        }
        if (parsed.UserInfo.Length > 0)
        {
            // A token or password in the address would end up in history and logs.
            error = $"The server address must not carry a user name or secret; give the token with -Token instead.";
            return false;
        }
        if (parsed.Query.Length > 0 || parsed.Fragment.Length > 0)
        {
            error = $"'{trimmed}' has a query or fragment: give only scheme, host, port and (behind a proxy) a path.";
            return false;
        }

        var builder = new UriBuilder(parsed);
        // Only a bare "host" gets the guide's port; "http://host" means port 80 as everywhere else.
        if (!schemeGiven && !HasExplicitPort(trimmed))
            builder.Port = DefaultPort;
        if (!builder.Path.EndsWith('/'))
            builder.Path += "/";
        uri = builder.Uri;
        error = null;
        return true;
    }

    /// <summary>The absolute URI of an API route (e.g. <c>/api/v1/health</c>) on a server, keeping any path prefix of the base.</summary>
    public static Uri Route(Uri server, string route)
        => new(server.AbsoluteUri.TrimEnd('/') + route, UriKind.Absolute);

    /// <summary>The address as shown to operators: no trailing slash.</summary>
    public static string Display(Uri server) => server.AbsoluteUri.TrimEnd('/');

    /// <summary>Whether the address names this machine (loopback), so a process ID it reports is a local process.</summary>
    public static bool IsLoopback(Uri server) => server.IsLoopback;

    /// <summary>The address a client on this machine uses for a server listening on <paramref name="listenAddress"/> (https with <paramref name="https"/>).</summary>
    public static Uri ForListener(string listenAddress, int port, bool https = false)
    {
        string host = listenAddress.Trim().Trim('[', ']');
        // A wildcard listener is reached locally through loopback.
        if (host is "0.0.0.0" or "*" or "+") host = "127.0.0.1";
        else if (host == "::") host = "::1";
        string authority = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        return Parse(string.Create(CultureInfo.InvariantCulture, $"{(https ? "https" : "http")}://{authority}:{port}/"));
    }

    private static bool HasExplicitPort(string text)
    {
        int slash = text.IndexOf('/');
        string authority = slash < 0 ? text : text[..slash];
        int colon = authority.LastIndexOf(':');
        // "[::1]" has colons but no port; "[::1]:80" and "host:80" have one.
        return colon > authority.LastIndexOf(']') && colon < authority.Length - 1
            && authority[(colon + 1)..].All(char.IsAsciiDigit);
    }
}
