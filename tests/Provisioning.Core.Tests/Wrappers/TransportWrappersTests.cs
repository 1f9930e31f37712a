using System.Buffers;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Tests.Wrappers;

/// <summary>A user wrapper as a factory would write one: every node message prefixed with 0x5A.</summary>
[TransportWrapperName("test-prefix")]
public sealed class PrefixTestWrapper : TransportWrapper
{
    public override string Name => "test-prefix";
    public override int Overhead => 1;
    public override void Egress(ReadOnlySpan<byte> nodeMessage, IBufferWriter<byte> line)
    {
        line.Write<byte>([0x5A]);
        line.Write(nodeMessage);
    }
    public override void Ingress(ReadOnlySpan<byte> lineBytes, IWrapperSink sink)
    {
        foreach (byte b in lineBytes)
            if (!_expectPrefix) { sink.OnNodeBytes([b]); _expectPrefix = true; } else _expectPrefix = b != 0x5A;
    }
    private bool _expectPrefix = true;
}

public sealed class TransportWrappersTests
{
    [Theory]
    [InlineData("none", typeof(NoneWrapper))]
    [InlineData("ORW", typeof(OrwWrapper))]
    [InlineData("test-prefix", typeof(PrefixTestWrapper))]
    [InlineData("Provisioning.Core.Tests.Wrappers.PrefixTestWrapper", typeof(PrefixTestWrapper))]
    public void Wrappers_are_found_by_name_or_full_type_name(string name, Type expected)
    {
        Assert.IsType(expected, TransportWrappers.Create(name));
    }

    [Fact]
    public void Each_link_gets_its_own_instance()
    {
        Assert.NotSame(TransportWrappers.Create("orw"), TransportWrappers.Create("orw"));
    }

    [Fact]
    public void Available_lists_built_in_wrappers_first_then_loaded_ones()
    {
        var names = TransportWrappers.Available();

        Assert.Equal(["none", "orw"], names.Take(2));
        Assert.Contains("test-prefix", names);
    }

    [Fact]
    public void An_unknown_name_lists_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => TransportWrappers.Create("rht_v2"));

        Assert.Contains("'rht_v2'", e.Message);
        Assert.Contains("none, orw", e.Message);
        Assert.Contains("test-prefix", e.Message);
    }
}
