using Provisioning.Core.Export;

namespace Provisioning.Core.Tests.Export;

public class BatchNumberTests
{
    [Theory]
    [InlineData("1000", 1000u)]
    [InlineData("0", 0u)]
    [InlineData("0x3E8", 1000u)]
    [InlineData("0X3e8", 1000u)]
    [InlineData("01750", 1000u)]
    [InlineData("00", 0u)]
    [InlineData("  42\t", 42u)]
    [InlineData("4294967295", uint.MaxValue)]
    [InlineData("0xFFFFFFFF", uint.MaxValue)]
    [InlineData("0x00000000FFFFFFFF", uint.MaxValue)]
    [InlineData("037777777777", uint.MaxValue)]
    public void Reads_decimal_hexadecimal_and_octal(string text, uint expected)
    {
        Assert.Equal(expected, BatchNumber.Parse(text));
        Assert.True(BatchNumber.TryParse(text, out var value, out var error));
        Assert.Equal(expected, value);
        Assert.Null(error);
    }

    [Fact]
    public void A_leading_zero_means_octal_as_in_the_guide()
    {
        Assert.Equal(Convert.ToUInt32("5072011", 8), BatchNumber.Parse("05072011"));
        Assert.Equal(0x1238efu, BatchNumber.Parse("0x1238ef"));
    }

    [Fact]
    public void The_guides_own_octal_example_05082011_holds_an_8_and_is_refused_saying_why()
    {
        // §7.2.4 calls 05082011 octal, but 8 is no octal digit: reading it as decimal or stopping at the 8 would both
        // put devices in a batch the operator did not mean, so the rule is explained instead.
        var e = Assert.Throws<FormatException>(() => BatchNumber.Parse("05082011"));
        Assert.Equal("Batch number '05082011' has the digit 8, which octal does not allow: a batch number that starts with 0 is octal "
            + "(digits 0-7, guide §7.2.4); drop the leading 0 for decimal: write decimal digits (1000), 0x and hexadecimal digits (0x3E8), "
            + "or 0 and octal digits (01750).", e.Message);
    }

    [Theory]
    [InlineData("08", "has the digit 8, which octal does not allow")]
    [InlineData("0129", "has the digit 9, which octal does not allow")]
    [InlineData("-1", "is negative")]
    [InlineData("4294967296", "is larger than 4294967295, the largest 32-bit value")]
    [InlineData("0x100000000", "is larger than 4294967295")]
    [InlineData("040000000000", "is larger than 4294967295")]
    [InlineData("99999999999999999999999", "is larger than 4294967295")]
    [InlineData("0x", "has no hexadecimal digits")]
    [InlineData("0xZZ", "is not hexadecimal")]
    [InlineData("abc", "is not a decimal number")]
    [InlineData("12a", "is not a decimal number")]
    [InlineData("+5", "is not a decimal number")]
    [InlineData("1 000", "is not a decimal number")]
    [InlineData("017a", "is not an octal number")]
    public void Rejects_with_a_message_naming_the_text_and_the_allowed_forms(string text, string problem)
    {
        var e = Assert.Throws<FormatException>(() => BatchNumber.Parse(text));
        Assert.Contains($"'{text.Trim()}'", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Contains("decimal digits (1000), 0x and hexadecimal digits (0x3E8), or 0 and octal digits (01750)", e.Message);

        Assert.False(BatchNumber.TryParse(text, out _, out var error));
        Assert.Equal(e.Message, error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Empty_is_refused(string? text)
    {
        Assert.False(BatchNumber.TryParse(text, out _, out var error));
        Assert.StartsWith("Batch number is empty:", error);
        Assert.Contains("0x and hexadecimal digits", error);
    }
}
