namespace Provisioning.Core.Packaging;

/// <summary>Rules for names, labels and file names that go into a package (shared by the definition and the manifest reader).</summary>
internal static class PackageText
{
    /// <summary>Longest alias, application name, label, type or version.</summary>
    public const int MaxLength = 128;

    /// <summary>Why <paramref name="name"/> is not a valid alias or application name ([A-Za-z0-9._-], 1..128, not only dots), or null.</summary>
    public static string? NameProblem(string? name, string what)
    {
        if (string.IsNullOrEmpty(name))
            return $"{what} is empty.";
        if (name.Length > MaxLength)
            return $"{what} '{name[..32]}...' is {name.Length} characters long; at most {MaxLength} are allowed.";
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                return $"{what} '{Printable(name)}' contains '{Printable(c.ToString())}': use only letters A-Z and a-z, digits, '.', '_' and '-'.";
        if (name.Trim('.').Length == 0)
            return $"{what} '{name}' consists of dots only.";
        return null;
    }

    /// <summary>Why <paramref name="text"/> is not a valid label, type or version (printable, 0..128), or null.</summary>
    public static string? LabelProblem(string? text, string what)
    {
        text ??= "";
        if (text.Length > MaxLength)
            return $"{what} is {text.Length} characters long; at most {MaxLength} are allowed.";
        // Lone surrogates and noncharacters cannot be written to XML, control characters cannot be read by people.
        for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
            if (char.IsControl(text[i]) || char.IsSurrogate(text[i]) && !char.IsSurrogatePair(text, i) || text[i] is '\uFFFE' or '\uFFFF')
                return $"{what} '{Printable(text)}' contains a control or unprintable character.";
        return null;
    }

    /// <summary>Why <paramref name="text"/> is not a valid hardware type (a label without blanks, 1..128), or null.</summary>
    public static string? HardwareTypeProblem(string? text, string what)
    {
        if (string.IsNullOrEmpty(text))
            return $"{what} is empty.";
        if (LabelProblem(text, what) is { } problem)
            return problem;
        // The manifest lists hardware types separated by blanks, so one cannot hold a blank.
        if (text.Any(char.IsWhiteSpace))
            return $"{what} '{text}' contains a blank; hardware types are single words such as rev-a (give several as separate values).";
        return null;
    }

    /// <summary>The items of an XML list attribute (separated by XML white space); empty for null.</summary>
    public static string[] SplitList(string? text) =>
        text?.Split([' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries) ?? [];

    /// <summary>Throws <see cref="ArgumentException"/> for <paramref name="parameter"/> unless <paramref name="text"/> is a non-empty valid label.</summary>
    public static void RequireLabel(string? text, string parameter, string what)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException($"The {what} is required: give it with -{parameter}.", parameter);
        if (LabelProblem(text, $"The {what}") is { } problem)
            throw new ArgumentException(problem, parameter);
    }

    /// <summary>Why a local file name cannot be used as the last segment of an archive path, or null.</summary>
    public static string? FileNameProblem(string name)
    {
        if (LabelProblem(name, "its name") is { } problem)
            return problem;
        if (name.Contains('\\') || name.Contains(':'))
            return "its name contains '\\' or ':', which other systems read as a folder or drive.";
        return null;
    }

    /// <summary><paramref name="text"/> with control characters shown as '?', for messages.</summary>
    public static string Printable(string text) =>
        string.Create(text.Length, text, static (span, t) =>
        {
            for (int i = 0; i < t.Length; i++)
                span[i] = char.IsControl(t[i]) ? '?' : t[i];
        });
}
