using Provisioning.Core.Client;

namespace Provisioning.Core.Station;

/// <summary>Turns a failed server call into its Table 4 code (100 unreachable, 101 error answer, 102 bad answer).</summary>
internal static class ServerFailures
{
    /// <summary>The failure for a call made while <paramref name="doing"/> (e.g. "fetching config 69").</summary>
    public static StationFailureException From(ProvServerException e, string doing)
    {
        var code = e.Status switch
        {
            null when e.ErrorId == "UnexpectedResponse" => ProvExitCode.ServerResponseInvalid,
            null => ProvExitCode.ServerUnreachable,
            _ => ProvExitCode.ServerError,
        };
        return new StationFailureException(code, $"{Capitalise(doing)} failed: {e.Message}", e);
    }

    /// <summary>The failure for a file download: a missing file or a broken stream is 108; others as <see cref="From"/>.</summary>
    public static StationFailureException FromDownload(ProvServerException e, string fileName, string sha256)
    {
        if (e.Status == 404 || e.ErrorId == "ConnectionLost")
            return new StationFailureException(ProvExitCode.FileUnavailable,
                $"Downloading {fileName} (SHA-256 {sha256}) failed: {e.Message}", e);
        return From(e, $"downloading {fileName}");
    }

    private static string Capitalise(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
