using Provisioning.Core.Api;

namespace Provisioning.Server.Accounts;

/// <summary>
/// What a user name and a password must be. Names compare case-insensitively on every database engine, so they are
/// kept in lower case; passwords follow NIST SP 800-63B: long rather than complex (at least 12 characters, any
/// characters, spaces allowed), with no composition rules and no expiry.
/// </summary>
public static class AccountRules
{
    /// <summary>Shortest password accepted.</summary>
    public const int MinimumPasswordLength = 12;
    /// <summary>Longest password accepted (a bound on the work one sign-in can cost).</summary>
    public const int MaximumPasswordLength = 1024;
    /// <summary>Longest user name.</summary>
    public const int MaximumNameLength = 64;

    /// <summary>Roles an account may have: people administer or export; stations use tokens or certificates.</summary>
    public static readonly IReadOnlyList<string> Roles = [TokenRoles.Admin, TokenRoles.Exporter];

    /// <summary>The stored form of a name (lower case, trimmed); null when it is not a valid name.</summary>
    public static string? NormaliseName(string? name)
    {
        var text = name?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(text) || text.Length > MaximumNameLength)
            return null;
        foreach (char c in text)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
                return null;
        return text;
    }

    /// <summary>What is wrong with a name, for an operator; null when it is valid.</summary>
    public static string? NameProblem(string? name) => NormaliseName(name) is null
        ? $"A user name is 1–{MaximumNameLength} characters: letters, digits and . _ - @ (no spaces); '{Shorten(name)}' is not."
        : null;

    /// <summary>What is wrong with a password, for an operator (never quoting it); null when it is acceptable.</summary>
    public static string? PasswordProblem(string name, string? password)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinimumPasswordLength)
            return $"The password is too short: use at least {MinimumPasswordLength} characters (a few unrelated words make a good one).";
        if (password.Length > MaximumPasswordLength)
            return $"The password is too long: use at most {MaximumPasswordLength} characters.";
        if (string.IsNullOrWhiteSpace(password))
            return "The password is only white space; choose one with other characters.";
        if (password.Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            return "The password is the user name; choose another.";
        if (password.Distinct().Count() < 3)
            return "The password repeats one or two characters; choose one that is harder to guess.";
        return null;
    }

    /// <summary>A role as given by a client, in its stored form; null when it is not an account role.</summary>
    public static string? NormaliseRole(string? role)
    {
        var text = role?.Trim().ToLowerInvariant();
        return text is not null && Roles.Contains(text) ? text : null;
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 70 ? text : text[..70] + "…";
}
