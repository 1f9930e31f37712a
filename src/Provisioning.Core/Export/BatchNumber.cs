namespace Provisioning.Core.Export;

/// <summary>
/// A batch number (guide §7.2.4): an unsigned 32-bit integer written as text; a leading <c>0x</c> means
/// hexadecimal, a leading <c>0</c> octal, anything else decimal.
/// </summary>
public static class BatchNumber
{
    /// <summary>Parses a batch number; throws <see cref="FormatException"/> naming the text and the rule it breaks.</summary>
    public static uint Parse(string text) => throw new NotImplementedException();

    /// <summary>Parses a batch number; false with a message saying why when it is not one.</summary>
    public static bool TryParse(string? text, out uint value, out string? error) => throw new NotImplementedException();
}
