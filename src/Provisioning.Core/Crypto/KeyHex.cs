namespace Provisioning.Core.Crypto;

/// <summary>
/// Hex for key material, working on spans the caller can zero: the BCL's hex helpers return
/// strings, which cannot be wiped.
/// </summary>
internal static class KeyHex
{
    /// <summary>Value of one hex digit, or -1. Upper case only counts when <paramref name="allowUpper"/>.</summary>
    internal static int DigitValue(int c, bool allowUpper = true) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' when allowUpper => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Writes <paramref name="bytes"/> as lower-case ASCII hex into <paramref name="ascii"/> (twice as long).</summary>
    internal static void EncodeLower(ReadOnlySpan<byte> bytes, Span<byte> ascii)
    {
        const string digits = "0123456789abcdef";
        for (int i = 0; i < bytes.Length; i++)
        {
            ascii[2 * i] = (byte)digits[bytes[i] >> 4];
            ascii[2 * i + 1] = (byte)digits[bytes[i] & 0xF];
        }
    }

    /// <summary>Decodes lower-case ASCII hex (exactly twice the length of <paramref name="bytes"/>).</summary>
    internal static bool TryDecodeLower(ReadOnlySpan<byte> ascii, Span<byte> bytes)
    {
        if (ascii.Length != 2 * bytes.Length)
            return false;
        for (int i = 0; i < bytes.Length; i++)
        {
            int hi = DigitValue(ascii[2 * i], allowUpper: false), lo = DigitValue(ascii[2 * i + 1], allowUpper: false);
            if (hi < 0 || lo < 0)
                return false;
            bytes[i] = (byte)(hi << 4 | lo);
        }
        return true;
    }
}
