namespace Provisioning.Core.Export;

/// <summary>An inclusive range of unsigned 32-bit values; a single value has <c>First == Last</c>.</summary>
public readonly record struct UIntRange(uint First, uint Last)
{
    /// <summary>Whether <paramref name="value"/> lies in the range.</summary>
    public bool Contains(uint value) => value >= First && value <= Last;
}

/// <summary>
/// Parses the guide's export filters (§7.3): values separated by commas, ranges with a hyphen,
/// e.g. <c>1000,1002-1005</c> or <c>0x0010-0x001F,0x40</c>. Errors name the offending token.
/// </summary>
public static class RangeList
{
    /// <summary>Batch numbers; each value as <see cref="BatchNumber.Parse"/> reads it. Null or blank means "any" (empty list).</summary>
    public static IReadOnlyList<UIntRange> ParseBatches(string? text) => throw new NotImplementedException();

    /// <summary>Node IDs: <c>0x</c> hexadecimal or decimal. Null or blank means "any" (empty list).</summary>
    public static IReadOnlyList<UIntRange> ParseNodeIds(string? text) => throw new NotImplementedException();
}

/// <summary>A filter could not be parsed; <see cref="Token"/> is the part at fault.</summary>
public sealed class FilterFormatException(string filter, string token, string message) : FormatException(message)
{
    /// <summary>Which filter (<c>Batch</c> or <c>NodeId</c>).</summary>
    public string Filter { get; } = filter;
    /// <summary>The offending token, as written.</summary>
    public string Token { get; } = token;
}
