using Provisioning.Core.Crypto;

namespace Provisioning.Core.Tests.Crypto;

public class GatewayKeysTests
{
    private const string GatewayHex = "000102030405060708090a0b0c0d0e0f";
    private const string CdldHex = "2b7e151628aed2a6abf7158809cf4f3c";

    [Fact]
    public void CheckValueIsTheFirstThreeBytesOfAesOfAZeroBlock()
    {
        // FIPS-197 style known answer: AES-128(2b7e1516..., 0^128) = 7df76b0c1ab899b33e42f047b91b546f.
        Assert.Equal("7DF76B", GatewayKeys.CheckValue(Convert.FromHexString(CdldHex)));
    }

    [Fact]
    public void FromHexAcceptsPrefixAndWhiteSpaceAndAnyCase()
    {
        using var keys = GatewayKeys.FromHex("  0x" + GatewayHex.ToUpperInvariant() + "\n", "0X" + CdldHex);
        Assert.Equal(Convert.FromHexString(GatewayHex), keys.GatewayKey.ToArray());
        Assert.Equal(Convert.FromHexString(CdldHex), keys.CdldKey.ToArray());
    }

    [Fact]
    public void FromHexNamesTheMalformedKeyWithoutEchoingIt()
    {
        string shortKey = GatewayHex[..30];
        var tooShort = Assert.Throws<ArgumentException>(() => GatewayKeys.FromHex(shortKey, CdldHex));
        Assert.Contains("gateway key", tooShort.Message);
        Assert.Contains("32 hex digits", tooShort.Message);
        Assert.DoesNotContain(shortKey, tooShort.ToString());

        string badChars = CdldHex[..31] + "g";
        var notHex = Assert.Throws<ArgumentException>(() => GatewayKeys.FromHex(GatewayHex, badChars));
        Assert.Contains("CDLD key", notHex.Message);
        Assert.Contains("not hex digits", notHex.Message);
        Assert.DoesNotContain(badChars[..31], notHex.ToString());
        Assert.DoesNotContain(GatewayHex, notHex.ToString());
    }

    [Fact]
    public void ConstructorNamesTheKeyOfWrongLength()
    {
        var e = Assert.Throws<ArgumentException>(() => new GatewayKeys(new byte[16], new byte[15]));
        Assert.Contains("CDLD key", e.Message);
        Assert.Equal("cdldKey", e.ParamName);
    }

    [Fact]
    public void DisposeZeroesTheKeysAndLaterAccessThrows()
    {
        byte[] gateway = Convert.FromHexString(GatewayHex), cdld = Convert.FromHexString(CdldHex);
        var keys = new GatewayKeys(gateway, cdld);
        keys.Dispose();
        Assert.All(gateway, b => Assert.Equal(0, b));
        Assert.All(cdld, b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => keys.GatewayKey.Length);
        Assert.Throws<ObjectDisposedException>(() => keys.CdldKey.Length);
    }

    [Fact]
    public void RandomKeysDifferAndToStringShowsNoKey()
    {
        using var keys = GatewayKeys.CreateRandom();
        Assert.Equal(GatewayKeys.KeyLength, keys.GatewayKey.Length);
        Assert.False(keys.GatewayKey.SequenceEqual(keys.CdldKey));
        string text = keys.ToString();
        Assert.DoesNotContain(Convert.ToHexString(keys.GatewayKey), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexString(keys.CdldKey), text, StringComparison.OrdinalIgnoreCase);
    }
}
