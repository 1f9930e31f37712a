using System.Text.RegularExpressions;

namespace Provisioning.Server.Store;

/// <summary>
/// A T-SQL schema script cut into the batches sqlcmd would send: a line holding only <c>GO</c> (any case, optionally
/// followed by a comment) ends a batch. The server sends the same batches on start that a DBA's sqlcmd sends by hand,
/// so both run the same statements. GO is a client command, not T-SQL: the server never sends it.
/// </summary>
public static partial class SqlServerScript
{
    /// <summary>The batches of <paramref name="script"/>, without the GO lines; batches holding only comments and blanks are dropped.</summary>
    /// <exception cref="FormatException">A GO line with a repeat count (sqlcmd's <c>GO 5</c>): the server would run it once, so scripts must not use it.</exception>
    public static IReadOnlyList<string> Batches(string script)
    {
        var batches = new List<string>();
        var current = new List<string>();
        foreach (var line in script.ReplaceLineEndings("\n").Split('\n'))
        {
            if (RepeatedGo().IsMatch(line))
                throw new FormatException($"The script line '{line.Trim()}' repeats a batch; the server runs each batch once, so write the batch out instead.");
            if (GoLine().IsMatch(line))
            {
                Add(batches, current);
                continue;
            }
            current.Add(line);
        }
        Add(batches, current);
        return batches;
    }

    private static void Add(List<string> batches, List<string> lines)
    {
        var text = string.Join("\n", lines).Trim();
        lines.Clear();
        if (text.Split('\n').Any(l => l.Trim() is { Length: > 0 } t && !t.StartsWith("--", StringComparison.Ordinal)))
            batches.Add(text);
    }

    [GeneratedRegex(@"^\s*GO\s*(--.*)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GoLine();

    [GeneratedRegex(@"^\s*GO\s+\d+\s*(--.*)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RepeatedGo();
}
