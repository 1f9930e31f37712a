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
    /// <summary>Name of the batch filter in messages and <see cref="FilterFormatException.Filter"/>.</summary>
    public const string BatchFilter = "Batch";
    /// <summary>Name of the node ID filter in messages and <see cref="FilterFormatException.Filter"/>.</summary>
    public const string NodeIdFilter = "NodeId";

    private delegate string? ValueParser(string token, out uint value);

    /// <summary>Batch numbers; each value as <see cref="BatchNumber.Parse"/> reads it. Null or blank means "any" (empty list).</summary>
    /// <returns>Ranges sorted by first value, overlapping and adjacent ones merged.</returns>
    /// <exception cref="FilterFormatException">A value or range is malformed; the exception names it.</exception>
    public static IReadOnlyList<UIntRange> ParseBatches(string? text) =>
        Parse(text, BatchFilter, $"each batch number: {BatchNumber.AllowedForms}; e.g. 1000,1002-1005", BatchNumber.Problem);

    /// <summary>Node IDs: <c>0x</c> hexadecimal or decimal. Null or blank means "any" (empty list).</summary>
    /// <returns>Ranges sorted by first value, overlapping and adjacent ones merged.</returns>
    /// <exception cref="FilterFormatException">A value or range is malformed; the exception names it.</exception>
    public static IReadOnlyList<UIntRange> ParseNodeIds(string? text) =>
        Parse(text, NodeIdFilter, "each node ID: write 0x and hexadecimal digits (0x0010) or decimal digits (16); e.g. 0x0010-0x001F,0x40", NodeIdProblem);

    private static string? NodeIdProblem(string token, out uint value)
    {
        value = 0;
        if (token.StartsWith('-'))
            return $"is negative; node IDs are unsigned 32-bit (0 to {uint.MaxValue})";
        return token.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? UnsignedDigits.Problem(token.AsSpan(2), 16, out value)
            : UnsignedDigits.Problem(token, 10, out value);
    }

    private static IReadOnlyList<UIntRange> Parse(string? text, string filter, string valueForms, ValueParser parseValue)
    {
        if (string.IsNullOrWhiteSpace(text))
            return [];

        FilterFormatException Error(string token, string problem) => new(filter, token,
            $"The {filter} filter '{text.Trim()}' is wrong: {problem}. Separate values with commas (,) and give ranges as first-last with a hyphen (-); {valueForms}.");

        uint Value(string token)
        {
            var problem = parseValue(token, out var value);
            return problem is null ? value : throw Error(token, $"'{token}' {problem}");
        }

        var ranges = new List<UIntRange>();
        var elements = text.Split(',');
        for (int i = 0; i < elements.Length; i++)
        {
            var element = elements[i].Trim();
            if (element.Length == 0)
                throw Error("", $"element {i + 1} of {elements.Length} is empty (two commas in a row, or a comma at the start or end)");

            // A leading hyphen is a negative value, not a range without a start.
            int hyphen = element.IndexOf('-', 1);
            if (hyphen < 0)
            {
                uint single = Value(element);
                ranges.Add(new UIntRange(single, single));
                continue;
            }
            if (element.IndexOf('-', hyphen + 1) >= 0)
                throw Error(element, $"'{element}' has more than one hyphen; a range is first-last, e.g. 1002-1005");
            string firstText = element[..hyphen].Trim(), lastText = element[(hyphen + 1)..].Trim();
            if (lastText.Length == 0)
                throw Error(element, $"the range '{element}' has no last value");
            uint first = Value(firstText), last = Value(lastText);
            if (first > last)
                throw Error(element, $"the range '{element}' runs backwards: its first value must not be greater than its last (write {lastText}-{firstText})");
            ranges.Add(new UIntRange(first, last));
        }
        return Merge(ranges);
    }

    /// <summary>Sorted, with overlapping and adjacent ranges joined, so a query built from the list stays small.</summary>
    private static UIntRange[] Merge(List<UIntRange> ranges)
    {
        ranges.Sort((a, b) => a.First.CompareTo(b.First));
        var merged = new List<UIntRange>(ranges.Count);
        foreach (var range in ranges)
        {
            if (merged.Count > 0 && (ulong)range.First <= (ulong)merged[^1].Last + 1)
            {
                var last = merged[^1];
                merged[^1] = last with { Last = Math.Max(last.Last, range.Last) };
            }
            else
                merged.Add(range);
        }
        return [.. merged];
    }
}

/// <summary>A filter could not be parsed; <see cref="Token"/> is the part at fault.</summary>
public sealed class FilterFormatException(string filter, string token, string message) : FormatException(message)
{
    /// <summary>Which filter (<c>Batch</c> or <c>NodeId</c>).</summary>
    public string Filter { get; } = filter;
    /// <summary>The offending token, as written.</summary>
    public string Token { get; } = token;
}
