using System.Globalization;

namespace Provisioning.Core.Packaging;

/// <summary>
/// The 64-bit provisioning configuration ID (the guide's <c>provConfigId</c>). Written as unsigned decimal;
/// parsed from decimal or <c>0x</c> hex.
/// </summary>
public readonly record struct ProvConfigId(ulong Value)
{
    /// <summary>Parses decimal or <c>0x</c>/<c>0X</c> hex. Throws <see cref="FormatException"/> naming the value and what is wrong with it.</summary>
    public static ProvConfigId Parse(string text)
    {
        if (!TryParse(text, out var id, out var error))
            throw new FormatException(error);
        return id;
    }

    /// <summary>Like <see cref="Parse"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string? text, out ProvConfigId id, out string? error)
    {
        id = default;
        var trimmed = (text ?? "").Trim();
        if (trimmed.Length == 0)
        {
            error = "Config ID is empty: give decimal digits or 0x followed by hexadecimal digits.";
            return false;
        }

        if (trimmed[0] == '-')
        {
            error = $"Config ID '{trimmed}' is negative: configuration IDs are unsigned 64-bit numbers (0 to {ulong.MaxValue}).";
            return false;
        }

        bool hex = trimmed.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        var digits = hex ? trimmed.AsSpan(2) : trimmed.AsSpan();
        bool allDigits = digits.Length > 0;
        foreach (var c in digits)
            allDigits &= hex ? char.IsAsciiHexDigit(c) : char.IsAsciiDigit(c);
        if (!allDigits)
        {
            error = $"Config ID '{trimmed}' is not a number: use decimal digits or 0x followed by hexadecimal digits.";
            return false;
        }

        // Digits only from here, so the only remaining failure is overflow.
        ulong value = 0;
        bool parsed = hex
            ? digits.Length <= 16 && ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!parsed)
        {
            error = $"Config ID '{trimmed}' is out of range: it must fit in an unsigned 64-bit number (0 to {ulong.MaxValue}).";
            return false;
        }

        id = new ProvConfigId(value);
        error = null;
        return true;
    }

    /// <summary>Unsigned decimal.</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>0x</c> and 16 upper-case hex digits.</summary>
    public string ToHexString() => "0x" + Value.ToString("X16", CultureInfo.InvariantCulture);
}
