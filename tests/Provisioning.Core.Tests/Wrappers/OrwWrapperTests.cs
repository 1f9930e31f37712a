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

    /// <summary>A node frame (what orw carries as a node message) with the given payload.</summary>
    internal static byte[] Frame(byte[] payload, byte seq = 1, byte type = 0x83)
    {
        var frame = new byte[payload.Length + Provisioning.Core.Node.NodeFrame.Overhead];
        Provisioning.Core.Node.NodeFrame.Encode(type, seq, payload, frame);
        return frame;
    }

    [Fact]
    public void Ingress_unwraps_node_messages_split_anywhere()
    {
        byte[] a = Frame(Enumerable.Range(0, 40).Select(i => (byte)i).ToArray()), b = Frame([]);
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
        byte[] node = Frame([0x99]);
        var sink = new RecordingSink();

        new OrwWrapper().Ingress([.. host, .. Egress(node)], sink);

        Assert.Equal(new byte[] { 0x10, 0xCA, 0xFE }, Assert.Single(sink.HostMessages));
        Assert.Equal(node, sink.NodeBytes);
    }

    [Fact]
    public void By_default_messages_fit_the_guide_host_buffer_of_512_bytes()
    {
        Assert.Equal(512, new OrwWrapper().MaxMessageSize);
        Assert.True(new NoneWrapper().MaxMessageSize >= 8192 + 9);
    }

    /// <summary>Sends one node message again and again, as a retrying host does, until it is unwrapped; returns how many sends it took.</summary>
    private static int SendsUntilUnwrapped(OrwWrapper wrapper, RecordingSink sink, byte[] frame)
    {
        byte[] good = Egress(frame);
        for (int sends = 1; sends <= OrwWrapper.MaxWrappedLength / good.Length + 2; sends++)
        {
            wrapper.Ingress(good, sink);
            if (sink.NodeBytes.Count > 0) return sends;
        }
        throw new Xunit.Sdk.XunitException("the message was never unwrapped");
    }

    [Fact]
    public void A_bad_checksum_is_reported_and_the_next_message_arrives()
    {
        byte[] damaged = Egress(Frame([1, 2, 3, 4]));
        damaged[^1] ^= 0x01;
        byte[] next = Frame([7, 8]);
        var sink = new RecordingSink();
        var wrapper = new OrwWrapper();

        wrapper.Ingress(damaged, sink);
        Assert.Equal(1, SendsUntilUnwrapped(wrapper, sink, next));

        Assert.Equal(next, sink.NodeBytes);
        Assert.Contains(sink.Damage, d => d.Contains("checksum"));
    }

    [Fact]
    public void A_damaged_length_cannot_wedge_the_link()
    {
        byte[] damaged = Egress(Frame([1, 2, 3, 4]));
        damaged[1] = 0xFF; // length 0xFF11: longer than any message
        byte[] next = Frame([7, 8]);
        var sink = new RecordingSink();
        var wrapper = new OrwWrapper();

        wrapper.Ingress(damaged, sink);
        Assert.Equal(1, SendsUntilUnwrapped(wrapper, sink, next));

        Assert.Equal(next, sink.NodeBytes);
        Assert.NotEmpty(sink.Damage);
    }

    [Fact]
    public void A_damaged_length_within_range_is_seen_at_once_and_the_next_message_is_delivered()
    {
        // Length 0x0111 is plausible but announces 273 bytes; the frame inside says 17, so the length is damage.
        byte[] damaged = Egress(Frame([1, 2, 3, 4]));
        damaged[1] = 0x01;
        byte[] next = Frame([7, 8]);
        var sink = new RecordingSink();
        var wrapper = new OrwWrapper();

        wrapper.Ingress(damaged, sink);
        Assert.Contains(sink.Damage, d => d.Contains("does not match the node frame"));
        wrapper.Ingress(Egress(next), sink);

        Assert.Equal(next, sink.NodeBytes);
    }

    [Fact]
    public void A_checksum_that_holds_by_chance_does_not_pass_a_damaged_frame()
    {
        // Two changes that cancel in the 8-bit sum: the checksum holds, the CRC-32 of the frame inside does not.
        byte[] frame = Frame([10, 20, 30, 40]);
        byte[] damaged = Egress(frame);
        damaged[10] += 1;
        damaged[11] -= 1;
        var sink = new RecordingSink();
        var wrapper = new OrwWrapper();

        wrapper.Ingress([.. damaged, .. Egress(frame)], sink);

        Assert.Equal(frame, sink.NodeBytes);
        Assert.Contains(sink.Damage, d => d.Contains("CRC-32"));
    }

    /// <summary>A line of wrapped chunk-sized frames, with the frames a receiver must deliver.</summary>
    private static (List<byte[]> Frames, List<byte[]> Wrapped) Traffic(Random random, int count)
    {
        var frames = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            var payload = new byte[random.Next(0, 2) == 0 ? 4 : random.Next(5, 499)];
            random.NextBytes(payload);
            frames.Add(Frame(payload, (byte)i, (byte)random.Next(1, 0x90)));
        }
        return (frames, frames.Select(Egress).ToList());
    }

    /// <summary>What a fresh receiver hands on from <paramref name="line"/>, fed in pieces of random size.</summary>
    private static RecordingSink Receive(byte[] line, Random random)
    {
        var sink = new RecordingSink();
        var wrapper = new OrwWrapper();
        for (int at = 0; at < line.Length;)
        {
            int n = Math.Min(line.Length - at, random.Next(1, 700));
            wrapper.Ingress(line.AsSpan(at, n), sink);
            at += n;
        }
        return sink;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void After_a_damaged_byte_every_intact_message_that_follows_is_delivered_and_nothing_reaches_the_host_handler(int seed)
    {
        var random = new Random(seed);
        var (frames, wrapped) = Traffic(random, 400);
        var expected = new List<byte>();
        for (int i = 0; i < wrapped.Count; i++)
        {
            // One message in five gets one bit flipped anywhere (length, marker, frame, checksum).
            if (i % 5 == 2) wrapped[i][random.Next(wrapped[i].Length)] ^= (byte)(1 << random.Next(8));
            else expected.AddRange(frames[i]);
        }
        var sink = Receive(wrapped.SelectMany(w => w).ToArray(), random);

        Assert.Equal(expected, sink.NodeBytes);
        Assert.Empty(sink.HostMessages);
        Assert.Equal(80, sink.Damage.Count);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void After_a_dropped_byte_every_intact_message_that_follows_is_delivered(int seed)
    {
        var random = new Random(seed);
        var (frames, wrapped) = Traffic(random, 400);
        var expected = new List<byte>();
        for (int i = 0; i < wrapped.Count; i++)
        {
            if (i % 4 == 1)
            {
                int drop = random.Next(wrapped[i].Length);
                wrapped[i] = [.. wrapped[i][..drop], .. wrapped[i][(drop + 1)..]];
            }
            else expected.AddRange(frames[i]);
        }
        var sink = Receive(wrapped.SelectMany(w => w).ToArray(), random);

        Assert.Equal(expected, sink.NodeBytes);
        Assert.Empty(sink.HostMessages);
    }

    [Fact]
    public void Garbage_between_messages_costs_only_the_garbage()
    {
        var random = new Random(99);
        var (frames, wrapped) = Traffic(random, 50);
        var line = new List<byte>();
        for (int i = 0; i < wrapped.Count; i++)
        {
            line.AddRange(wrapped[i]);
            var noise = new byte[random.Next(1, 3000)];
            random.NextBytes(noise);
            if (i % 2 == 1) line.AddRange(noise);
        }
        var sink = Receive(line.ToArray(), random);

        Assert.Equal(frames.SelectMany(f => f), sink.NodeBytes);
    }

    [Fact]
    public void A_long_message_arriving_in_small_pieces_is_delivered_whole()
    {
        // A 4 KiB chunk of random bytes fed 7 bytes at a time: no piece boundary may be taken for the end of a message.
        var random = new Random(4096);
        for (int round = 0; round < 50; round++)
        {
            byte[] payload = new byte[4096];
            random.NextBytes(payload);
            byte[] message = Frame(payload);
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
