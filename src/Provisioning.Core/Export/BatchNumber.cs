using System.Globalization;

namespace Provisioning.Core.Export;

/// <summary>
/// A batch number (guide §7.2.4): an unsigned 32-bit integer written as text; a leading <c>0x</c> means
/// hexadecimal, a leading <c>0</c> octal, anything else decimal.
/// </summary>
public static class BatchNumber
{
    /// <summary>The forms a batch number may take, for error messages.</summary>
    internal const string AllowedForms =
        "write decimal digits (1000), 0x and hexadecimal digits (0x3E8), or 0 and octal digits (01750)";

    /// <summary>Parses a batch number; throws <see cref="FormatException"/> naming the text and the rule it breaks.</summary>
    public static uint Parse(string text)
    {
        if (!TryParse(text, out var value, out var error))
            throw new FormatException(error);
        return value;
    }

    /// <summary>Parses a batch number; false with a message saying why when it is not one.</summary>
    public static bool TryParse(string? text, out uint value, out string? error)
    {
        var trimmed = (text ?? "").Trim();
        error = Problem(trimmed, out value);
        if (error is null)
            return true;
        error = trimmed.Length == 0
            ? $"Batch number is empty: {AllowedForms}."
            : $"Batch number '{trimmed}' {error}: {AllowedForms}.";
        return false;
    }

    /// <summary>What is wrong with <paramref name="text"/> (already trimmed), phrased to follow its quoted value; null when it parses.</summary>
    internal static string? Problem(string text, out uint value)
    {
        value = 0;
        if (text.Length == 0)
            return "is empty";
        if (text[0] == '-')
            return $"is negative; batch numbers are unsigned 32-bit (0 to {uint.MaxValue})";

        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return UnsignedDigits.Problem(text.AsSpan(2), 16, out value);
        if (text.Length > 1 && text[0] == '0')
        {
            // The guide's own example, 05082011, is octal: a digit 8 or 9 after a leading 0 is a mistake, not decimal.
            foreach (var c in text.AsSpan(1))
                if (c is '8' or '9')
                    return $"has the digit {c}, which octal does not allow: a batch number that starts with 0 is octal (digits 0-7, guide §7.2.4); drop the leading 0 for decimal";
            return UnsignedDigits.Problem(text.AsSpan(1), 8, out value);
        }
        return UnsignedDigits.Problem(text, 10, out value);
    }
}

/// <summary>Unsigned 32-bit values from hexadecimal, octal or decimal digits (no prefix, no sign), with the reason when they do not fit.</summary>
internal static class UnsignedDigits
{
    /// <summary>Null when <paramref name="digits"/> is a 32-bit value in base <paramref name="radix"/> (16, 10 or 8); else why not, phrased to follow the quoted text.</summary>
    public static string? Problem(ReadOnlySpan<char> digits, int radix, out uint value)
    {
        value = 0;
        string kind = radix switch { 16 => "hexadecimal", 8 => "octal", _ => "decimal" };
        if (digits.IsEmpty)
            return $"has no {kind} digits";
        ulong total = 0;
        foreach (var c in digits)
        {
            int digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => int.MaxValue,
            };
            if (digit >= radix)
                return radix switch
                {
                    16 => "is not hexadecimal (after 0x only the digits 0-9 and A-F may follow)",
                    8 => "is not an octal number",
                    _ => "is not a decimal number",
                };
            // Keep going after overflow so that a bad digit further on is reported as such.
            total = Math.Min(total * (uint)radix + (uint)digit, (ulong)uint.MaxValue + 1);
        }
        if (total > uint.MaxValue)
            return $"is larger than {uint.MaxValue.ToString(CultureInfo.InvariantCulture)}, the largest 32-bit value";
        value = (uint)total;
        return null;
    }
}
