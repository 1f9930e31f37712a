using Provisioning.Core.Packaging;

namespace Provisioning.Core.Tests.Packaging;

public class ProvConfigIdTests
{
    [Theory]
    [InlineData("69", 69UL)]
    [InlineData("  69\t", 69UL)]
    [InlineData("0", 0UL)]
    [InlineData("0x45", 0x45UL)]
    [InlineData("0XfF", 0xFFUL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    [InlineData("0xFFFFFFFFFFFFFFFF", ulong.MaxValue)]
    [InlineData("00012", 12UL)]
    public void Parses_decimal_and_hex(string text, ulong expected)
    {
        Assert.Equal(expected, ProvConfigId.Parse(text).Value);
        Assert.True(ProvConfigId.TryParse(text, out var id, out var error));
        Assert.Equal(expected, id.Value);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("18446744073709551616")]
    [InlineData("0x10000000000000000")]
    [InlineData("99999999999999999999999")]
    public void Overflow_names_the_value_and_the_range(string text)
    {
        var ex = Assert.Throws<FormatException>(() => ProvConfigId.Parse(text));
        Assert.Equal($"Config ID '{text}' is out of range: it must fit in an unsigned 64-bit number (0 to 18446744073709551615).", ex.Message);
    }

    [Theory]
    [InlineData("0xZZ")]
    [InlineData("+5")]
    [InlineData("1_000")]
    [InlineData("0x")]
    [InlineData("12abc")]
    [InlineData("1 2")]
    public void Junk_names_the_value_and_says_it_is_not_a_number(string text)
    {
        Assert.False(ProvConfigId.TryParse(text, out _, out var error));
        Assert.Equal($"Config ID '{text}' is not a number: use decimal digits or 0x followed by hexadecimal digits.", error);
        Assert.Throws<FormatException>(() => ProvConfigId.Parse(text));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("-0x45")]
    public void A_negative_id_is_called_negative(string text)
    {
        Assert.False(ProvConfigId.TryParse(text, out _, out var error));
        Assert.Equal($"Config ID '{text}' is negative: configuration IDs are unsigned 64-bit numbers (0 to 18446744073709551615).", error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Empty_is_refused(string? text)
    {
        Assert.False(ProvConfigId.TryParse(text, out _, out var error));
        Assert.Contains("empty", error);
    }

    [Fact]
    public void Formats_as_decimal_and_hex()
    {
        var id = new ProvConfigId(69);
        Assert.Equal("69", id.ToString());
        Assert.Equal("0x0000000000000045", id.ToHexString());
        Assert.Equal(id, ProvConfigId.Parse(id.ToHexString()));
    }
}
