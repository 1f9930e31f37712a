namespace Provisioning.Core.Station;

/// <summary>
/// The guide's <c>--path_trans_from/--path_trans_to</c> (Tables 11 and 16): rewrites the start of the file paths a server in
/// shared file system mode gives, so stations on another OS (or with another mount point) find the same files.
/// </summary>
/// <param name="From">The start of the paths as the server names them, e.g. <c>/workspace</c>.</param>
/// <param name="To">What it becomes on this station, e.g. <c>Z:</c>.</param>
public sealed record PathTranslation(string From, string To)
{
    /// <summary>The request's translation; null when it asks for none. Throws 3 (invalid arguments) when only one side is given.</summary>
    public static PathTranslation? Of(ProvisionRequest request) => Of(request.PathTranslateFrom, request.PathTranslateTo);

    /// <summary>The translation of the two sides; null when neither is given. Throws 3 (invalid arguments) when only one is.</summary>
    public static PathTranslation? Of(string? translateFrom, string? translateTo)
    {
        bool from = !string.IsNullOrEmpty(translateFrom), to = translateTo is not null;
        if (!from && !to) return null;
        if (!from || !to)
            throw new StationFailureException(ProvExitCode.InvalidArguments,
                "Path translation needs both sides: give PathTranslateFrom (the start of the server's paths) and PathTranslateTo (what it is on this station).");
        return new PathTranslation(translateFrom!, translateTo!);
    }

    /// <summary>
    /// <paramref name="path"/> with <see cref="From"/> replaced by <see cref="To"/> when it starts with it at a folder boundary
    /// (<c>/workspace</c> matches <c>/workspace/ab/…</c>, not <c>/workspace2/…</c>); unchanged otherwise. Windows-style paths
    /// (a drive letter or a UNC share) compare without case, as Windows does.
    /// </summary>
    public string Apply(string path)
    {
        string from = From.TrimEnd('/', '\\');
        if (from.Length == 0) from = From; // "/" itself
        var comparison = LooksLikeWindows(from) ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (!path.StartsWith(from, comparison)) return path;
        if (path.Length > from.Length && path[from.Length] is not ('/' or '\\') && !from.EndsWith('/') && !from.EndsWith('\\')) return path;
        string rest = path[from.Length..];
        string to = To.TrimEnd('/', '\\');
        // A Windows target keeps Windows separators in the rest of the path.
        if (LooksLikeWindows(to)) rest = rest.Replace('/', '\\');
        return to + rest;
    }

    private static bool LooksLikeWindows(string path) =>
        path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0]) || path.StartsWith(@"\\", StringComparison.Ordinal);
}
