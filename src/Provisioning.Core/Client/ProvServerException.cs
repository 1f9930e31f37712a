using System.Net;
using System.Text.Json;
using Provisioning.Core.Api;

namespace Provisioning.Core.Client;

/// <summary>
/// A call to the provisioning server failed. <see cref="Exception.Message"/> is for an operator: what is wrong and what to do.
/// </summary>
public sealed partial class ProvServerException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProvServerException(Uri server, int? status, string errorId, string message, IReadOnlyList<string>? problems = null, Exception? inner = null)
        : base(message, inner)
    {
        Server = server;
        Status = status;
        ErrorId = errorId;
        Problems = problems ?? Array.Empty<string>();
    }

    /// <summary>The server's base address.</summary>
    public Uri Server { get; }

    /// <summary>The HTTP status, or null when no answer came (unreachable, connection lost, timeout).</summary>
    public int? Status { get; }

    /// <summary>Stable identifier: the server's <see cref="ApiProblem.ErrorId"/>, or one of the client's own (<c>ServerUnreachable</c>, <c>ServerTimeout</c>, <c>ConnectionLost</c>, <c>UnexpectedResponse</c>, <c>ExportMismatch</c>).</summary>
    public string ErrorId { get; }

    /// <summary>The problems the server listed (one per line of its detail), e.g. every fault of a package.</summary>
    public IReadOnlyList<string> Problems { get; }

    private const string InsecureKeyTransport = "InsecureKeyTransport";

    /// <summary>Error ID of a 401 for a client certificate the server refused (expired, revoked, unknown, another CA); the detail says which.</summary>
    public const string CertificateRefusedId = "CertificateRefused";

    /// <summary>Error ID of a 403 for a station token on a server that requires station certificates.</summary>
    public const string CertificateRequiredId = "CertificateRequired";

    /// <summary>The server could not be reached at all.</summary>
    public static ProvServerException Unreachable(Uri server, Exception inner)
    {
        string reason = Innermost(inner).Message.TrimEnd('.');
        return new ProvServerException(server, null, "ServerUnreachable",
            $"The provisioning server at {ServerAddress.Display(server)} is not reachable ({reason}). " +
            "Check that it is running (Start-ProvServer starts one) and that the address and port are right.", inner: inner);
    }

    /// <summary>The server did not answer in time.</summary>
    public static ProvServerException Timeout(Uri server, string what, TimeSpan limit) =>
        new(server, null, "ServerTimeout",
            $"The provisioning server at {ServerAddress.Display(server)} did not answer {what} within {limit.TotalSeconds:0} s. " +
            "Check that it is running and not overloaded (its log is logs/server.log under its data path).");

    /// <summary>The connection broke while a request or answer was on its way.</summary>
    public static ProvServerException ConnectionLost(Uri server, string what, Exception inner) =>
        new(server, null, "ConnectionLost",
            $"The connection to the provisioning server at {ServerAddress.Display(server)} was lost during {what} ({Innermost(inner).Message.TrimEnd('.')}). " +
            "Nothing was kept from the interrupted call; check the server and try again.", inner: inner);

    /// <summary>
    /// The token a role refusal asks for, from the roles the server's detail names ("… it needs the role admin or exporter."):
    /// "an admin token", "an admin or exporter token"; an admin token when the detail names none.
    /// </summary>
    private static string NeededToken(string? detail)
    {
        var match = System.Text.RegularExpressions.Regex.Match(detail ?? "", @"needs the role ([a-z]+(?: or [a-z]+)*)");
        if (!match.Success) return "an admin token";
        var roles = match.Groups[1].Value.Split(" or ").OrderBy(r => r == "admin" ? 0 : 1).ToList();
        string first = roles[0];
        return $"{("aeiou".Contains(first[0]) ? "an" : "a")} {string.Join(" or ", roles)} token";
    }

    /// <summary>The answer was not what the API documents.</summary>
    public static ProvServerException Unexpected(Uri server, string what, string reason, Exception? inner = null) =>
        new(server, null, "UnexpectedResponse",
            $"The server at {ServerAddress.Display(server)} gave an answer to {what} that this module does not understand ({reason}). " +
            "Check that the address points at a provisioning server of the same version.", inner: inner);

    /// <summary>
    /// The exception for a failed HTTP answer: the server's problem details when it sent them (RFC 9457, <see cref="ApiProblem"/>),
    /// otherwise the status alone. Authentication failures get the fix an operator needs.
    /// </summary>
    public static ProvServerException FromResponse(Uri server, HttpStatusCode status, string? mediaType, string body, string what)
    {
        ApiProblem? problem = TryReadProblem(mediaType, body);
        string? detail = string.IsNullOrWhiteSpace(problem?.Detail) ? problem?.Title : problem.Detail;
        var problems = SplitProblems(problem?.Detail);
        string display = ServerAddress.Display(server);
        int code = (int)status;

        string errorId = problem?.ErrorId is { Length: > 0 } id ? id : status switch
        {
            HttpStatusCode.Unauthorized => "Unauthorized",
            HttpStatusCode.Forbidden => "Forbidden",
            HttpStatusCode.NotFound => "NotFound",
            _ => $"Http{code}",
        };

        string message = status switch
        {
            // A refused station certificate, or a token where certificates are required: the server names the problem.
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden when errorId is CertificateRefusedId or CertificateRequiredId && detail is not null =>
                $"The server at {display} refused {what}: {detail}",
            HttpStatusCode.Unauthorized =>
                $"The server at {display} refused the token: it is missing, unknown or revoked. " +
                $"Connect with a valid token: Connect-ProvServer -Uri {display} -Token (Read-Host -AsSecureString 'Token').",
            // A transport refusal (keys over plain HTTP) explains itself; a role refusal needs the fix named.
            HttpStatusCode.Forbidden when errorId != InsecureKeyTransport || detail is null =>
                $"The server at {display} refused {what}: it needs {NeededToken(detail)}. " +
                "Station tokens can only fetch configurations and files and record devices; exporter tokens read packages and devices and export keys; " +
                "the admin token (admin.token in the server's data folder) may do everything.",
            _ when errorId == HttpsRequiredId => HttpsRequired(server),
            _ when detail is not null => detail,
            _ => $"The server at {display} answered {code} {ReasonPhrase(status)} to {what}.",
        };
        return new ProvServerException(server, code, errorId, message, problems);
    }

    /// <summary>Reads an <see cref="ApiProblem"/> from a body, or null when it is not one.</summary>
    internal static ApiProblem? TryReadProblem(string? mediaType, string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        bool json = mediaType is not null && (mediaType.Contains("json", StringComparison.OrdinalIgnoreCase));
        if (!json && !body.TrimStart().StartsWith('{')) return null;
        try { return JsonSerializer.Deserialize<ApiProblem>(body, ApiJson.Options); }
        catch (JsonException) { return null; }
    }

    /// <summary>
    /// One problem per non-empty line of the detail, without list bullets. A first line ending in ':' above further lines
    /// is the list's heading ("The package x was not imported:"), not a problem: a client writes its own.
    /// </summary>
    internal static IReadOnlyList<string> SplitProblems(string? detail)
    {
        if (string.IsNullOrWhiteSpace(detail)) return Array.Empty<string>();
        var lines = detail.Split('\n')
            .Select(line => line.Trim().TrimStart('-', '*', '•').Trim())
            .Where(line => line.Length > 0)
            .ToList();
        if (lines.Count > 1 && lines[0].EndsWith(':')) lines.RemoveAt(0);
        return lines;
    }

    private static string ReasonPhrase(HttpStatusCode status)
        => Enum.IsDefined(status) ? System.Text.RegularExpressions.Regex.Replace(status.ToString(), "(?<=[a-z])(?=[A-Z])", " ") : "";

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
