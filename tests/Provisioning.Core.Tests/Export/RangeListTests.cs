using Provisioning.Core.Export;

namespace Provisioning.Core.Tests.Export;

public class RangeListTests
{
    private static UIntRange R(uint first, uint last) => new(first, last);

    [Fact]
    public void Reads_the_guides_batch_example()
    {
        Assert.Equal([R(1000, 1000), R(1002, 1005)], RangeList.ParseBatches("1000,1002-1005"));
    }

    [Fact]
    public void Reads_the_guides_node_id_example()
    {
        Assert.Equal([R(0x10, 0x1F), R(0x40, 0x40)], RangeList.ParseNodeIds("0x0010-0x001F,0x40"));
    }

    [Fact]
    public void Allows_blanks_around_values_and_hyphens()
    {
        Assert.Equal([R(1000, 1000), R(1002, 1005)], RangeList.ParseBatches("  1000 ,\t1002 - 1005  "));
    }

    [Fact]
    public void Batch_values_follow_the_batch_number_rules()
    {
        // 010 is octal 8, 0x10 is 16: the same rules as a station's -Batch.
        Assert.Equal([R(8, 10), R(16, 16)], RangeList.ParseBatches("010-012,0x10"));
    }

    [Fact]
    public void Node_ids_are_decimal_or_hexadecimal_never_octal()
    {
        Assert.Equal([R(10, 10), R(16, 16)], RangeList.ParseNodeIds("010,0X10"));
        Assert.Equal([R(0, uint.MaxValue)], RangeList.ParseNodeIds("0-0xFFFFFFFF"));
    }

    [Fact]
    public void Sorts_and_merges_overlapping_and_adjacent_ranges()
    {
        Assert.Equal([R(1, 5), R(10, 25), R(30, 30)], RangeList.ParseBatches("30,10-20,4,1-3,15-25,5,30,2"));
    }

    [Fact]
    public void Merging_at_the_top_of_the_range_does_not_overflow()
    {
        Assert.Equal([R(0, uint.MaxValue)], RangeList.ParseBatches("4294967295,0-4294967294"));
        Assert.Equal([R(5, uint.MaxValue)], RangeList.ParseNodeIds("0xFFFFFFFF,5-0xFFFFFFFE,0xFFFFFFFF"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \t ")]
    public void Nothing_means_any(string? text)
    {
        Assert.Empty(RangeList.ParseBatches(text));
        Assert.Empty(RangeList.ParseNodeIds(text));
    }

    [Theory]
    [InlineData("1000,1005-1002", "1005-1002", "runs backwards: its first value must not be greater than its last (write 1002-1005)")]
    [InlineData("4294967296", "4294967296", "'4294967296' is larger than 4294967295, the largest 32-bit value")]
    [InlineData("1000-4294967296", "4294967296", "is larger than 4294967295")]
    [InlineData("1000,,1002", "", "element 2 of 3 is empty")]
    [InlineData("1000,", "", "element 2 of 2 is empty")]
    [InlineData(",1000", "", "element 1 of 2 is empty")]
    [InlineData("1-2-3", "1-2-3", "'1-2-3' has more than one hyphen")]
    [InlineData("5-", "5-", "the range '5-' has no last value")]
    [InlineData("-5", "-5", "'-5' is negative")]
    [InlineData("08", "08", "'08' has the digit 8, which octal does not allow")]
    [InlineData("1000;1002", "1000;1002", "is not a decimal number")]
    [InlineData("0xZZ", "0xZZ", "'0xZZ' is not hexadecimal")]
    public void Batch_errors_name_the_filter_and_the_token(string text, string token, string problem)
    {
        var e = Assert.Throws<FilterFormatException>(() => RangeList.ParseBatches(text));
        Assert.Equal("Batch", e.Filter);
        Assert.Equal(token, e.Token);
        Assert.StartsWith($"The Batch filter '{text}' is wrong: ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Contains("Separate values with commas (,) and give ranges as first-last with a hyphen (-)", e.Message);
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Theory]
    [InlineData("0xZZ", "0xZZ", "'0xZZ' is not hexadecimal (after 0x only the digits 0-9 and A-F may follow)")]
    [InlineData("0x0010-0xZZ", "0xZZ", "'0xZZ' is not hexadecimal")]
    [InlineData("0x20-0x10", "0x20-0x10", "the range '0x20-0x10' runs backwards")]
    [InlineData("4294967296", "4294967296", "larger than 4294967295, the largest 32-bit value")]
    [InlineData("0x100000000", "0x100000000", "larger than 4294967295")]
    [InlineData("0x10,,0x20", "", "element 2 of 3 is empty")]
    [InlineData("1-2-3", "1-2-3", "more than one hyphen")]
    [InlineData("0x", "0x", "has no hexadecimal digits")]
    [InlineData("-0x10", "-0x10", "is negative")]
    [InlineData("node7", "node7", "is not a decimal number")]
    public void Node_id_errors_name_the_filter_and_the_token(string text, string token, string problem)
    {
        var e = Assert.Throws<FilterFormatException>(() => RangeList.ParseNodeIds(text));
        Assert.Equal("NodeId", e.Filter);
        Assert.Equal(token, e.Token);
        Assert.StartsWith($"The NodeId filter '{text}' is wrong: ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Contains("0x and hexadecimal digits (0x0010) or decimal digits (16)", e.Message);
    }

    [Theory]
    [InlineData(5u, true)]
    [InlineData(4u, false)]
    [InlineData(9u, true)]
    [InlineData(10u, false)]
    public void A_range_includes_both_ends(uint value, bool inside) => Assert.Equal(inside, R(5, 9).Contains(value));
}
