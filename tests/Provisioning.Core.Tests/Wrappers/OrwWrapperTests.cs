using System.Buffers;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Tests.Wrappers;

public sealed class OrwWrapperTests
{
    /// <summary>Records what a wrapper hands on.</summary>
    internal sealed class RecordingSink : IWrapperSink
    {
        public List<byte> NodeBytes { get; } = new();
        public List<byte[]> HostMessages { get; } = new();
        public List<string> Damage { get; } = new();
        public void OnNodeBytes(ReadOnlySpan<byte> nodeBytes) => NodeBytes.AddRange(nodeBytes.ToArray());
        public void OnHostMessage(ReadOnlySpan<byte> message) => HostMessages.Add(message.ToArray());
        public void OnDamaged(string reason) => Damage.Add(reason);
    }

    /// <summary>The guide's B.2.1 egressWrapper, transcribed line by line from its Python pseudo-code.</summary>
    private static byte[] GuideEgress(byte[] str)
    {
        static int Checksum(IEnumerable<byte> s) { int c = 0; foreach (byte ch in s) c = (c + ch) & 0xff; return c; }
        int msgLen = str.Length + 4;
        var wrapped = new List<byte> { (byte)(msgLen & 0xff), (byte)(msgLen >> 8), 0x47 };
        wrapped.AddRange(str);
        wrapped.Add((byte)Checksum(wrapped));
        return wrapped.ToArray();
    }

    private static byte[] Egress(byte[] message)
    {
        var line = new ArrayBufferWriter<byte>();
        new OrwWrapper().Egress(message, line);
        return line.WrittenSpan.ToArray();
    }

    [Fact]
    public void Egress_matches_a_hand_computed_figure_5_message()
    {
        // Node message 01 02 03: length 3 + 4 = 7 -> 07 00; 0x47; checksum 07+00+47+01+02+03 = 0x54.
        Assert.Equal(new byte[] { 0x07, 0x00, 0x47, 0x01, 0x02, 0x03, 0x54 }, Egress([0x01, 0x02, 0x03]));
    }

    [Fact]
    public void The_worked_example_in_the_protocol_document_holds()
    {
        // docs/node-protocol.md: GetInfo with seq 7, wrapped by orw.
        var frame = new byte[9];
        Provisioning.Core.Node.NodeFrame.Encode(0x01, 7, [], frame);

        Assert.Equal(Convert.FromHexString("A501070000 1B9616C3".Replace(" ", "")), frame);
        Assert.Equal(Convert.FromHexString("0D0047 A501070000 1B9616C3 8B".Replace(" ", "")), Egress(frame));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(252)]
    [InlineData(300)]
    [InlineData(8201)]
    public void Egress_is_byte_exact_with_the_guide_pseudo_code(int length)
    {
        byte[] message = new byte[length];
        new Random(length).NextBytes(message);

        Assert.Equal(GuideEgress(message), Egress(message));
    }

    [Fact]
    public void Ingress_unwraps_node_messages_split_anywhere()
    {
        byte[] a = Enumerable.Range(0, 40).Select(i => (byte)i).ToArray(), b = [0xA5, 0x81];
        byte[] line = [.. Egress(a), .. Egress(b)];
        var wrapper = new OrwWrapper();
        var sink = new RecordingSink();

        foreach (byte x in line) wrapper.Ingress([x], sink);

        Assert.Equal([.. a, .. b], sink.NodeBytes);
        Assert.Empty(sink.Damage);
    }

    [Fact]
    public void Host_traffic_goes_to_the_host_handler_with_its_type_byte()
    {
        // A host platform message: type 0x10 instead of 0x47, body 0xCA 0xFE.
        byte[] host = [0x06, 0x00, 0x10, 0xCA, 0xFE, 0];
        host[^1] = OrwWrapper.Checksum(host.AsSpan(0, 5));
        var sink = new RecordingSink();

        new OrwWrapper().Ingress([.. host, .. Egress([0x99])], sink);

        Assert.Equal(new byte[] { 0x10, 0xCA, 0xFE }, Assert.Single(sink.HostMessages));
        Assert.Equal(new byte[] { 0x99 }, sink.NodeBytes);
    }

    /// <summary>Sends the node message 7 8 again and again, as a retrying host does, until it is unwrapped; returns how many sends it took.</summary>
    private static int SendsUntilUnwrapped(OrwWrapper wrapper, RecordingSink sink)
    {
        byte[] good = Egress([7, 8]);
        for (int sends = 1; sends <= OrwWrapper.MaxWrappedLength / good.Length + 2; sends++)
        {
            wrapper.Ingress(good, sink);
            if (sink.NodeBytes.Count > 0) return sends;
        }
        throw new Xunit.Sdk.XunitException("the message was never unwrapped");
    }

    [Fact]
    public void A_bad_checksum_is_reported_and_a_resent_message_still_arrives()
    {
        byte[] damaged = Egress([1, 2, 3, 4]);
        damaged[^1] ^= 0x01;
        var sink = new RecordingSink();
        var wrapper = new OrwWrapper();

        wrapper.Ingress(damaged, sink);
        SendsUntilUnwrapped(wrapper, sink);

        Assert.Equal(new byte[] { 7, 8 }, sink.NodeBytes.Take(2));
        Assert.Contains(sink.Damage, d => d.Contains("checksum"));
    }

    [Fact]
    public void A_damaged_length_cannot_wedge_the_link()
    {
        byte[] damaged = Egress([1, 2, 3, 4]);
        damaged[1] = 0xFF; // length 0xFF07: longer than any message
        var sink = new RecordingSink();
        var wrapper = new OrwWrapper();

        wrapper.Ingress(damaged, sink);
        SendsUntilUnwrapped(wrapper, sink);

        Assert.Equal(new byte[] { 7, 8 }, sink.NodeBytes.Take(2));
        Assert.NotEmpty(sink.Damage);
    }

    [Fact]
    public void A_damaged_length_within_range_is_given_up_as_soon_as_an_intact_message_follows()
    {
        // Length 0x0105 is plausible but announces 261 bytes; only the 8-byte message and then a short answer come.
        byte[] damaged = Egress([1, 2, 3, 4]);
        damaged[1] = 0x01;
        var sink = new RecordingSink();
        var wrapper = new OrwWrapper();

        wrapper.Ingress(damaged, sink);
        wrapper.Ingress(Egress([7, 8]), sink);

        Assert.Equal(new byte[] { 7, 8 }, sink.NodeBytes);
        Assert.Contains(sink.Damage, d => d.Contains("announced more bytes"));
    }

    [Fact]
    public void A_long_message_arriving_in_small_pieces_is_delivered_whole()
    {
        // A 4 KiB chunk of random bytes fed 7 bytes at a time: no piece boundary may be taken for the end of a message.
        var random = new Random(4096);
        for (int round = 0; round < 50; round++)
        {
            byte[] message = new byte[4096];
            random.NextBytes(message);
            byte[] wrapped = Egress(message);
            var sink = new RecordingSink();
            var wrapper = new OrwWrapper();
            for (int at = 0; at < wrapped.Length; at += 7)
                wrapper.Ingress(wrapped.AsSpan(at, Math.Min(7, wrapped.Length - at)), sink);

            Assert.Empty(sink.Damage);
            Assert.Equal(message, sink.NodeBytes);
        }
    }
}
