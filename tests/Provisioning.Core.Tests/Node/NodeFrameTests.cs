using System.IO.Hashing;
using Provisioning.Core.Node;

namespace Provisioning.Core.Tests.Node;

public sealed class NodeFrameTests
{
    private static byte[] Frame(byte type, byte seq, byte[] payload)
    {
        var bytes = new byte[payload.Length + NodeFrame.Overhead];
        int n = NodeFrame.Encode(type, seq, payload, bytes);
        Assert.Equal(bytes.Length, n);
        return bytes;
    }

    private static List<(byte Type, byte Seq, byte[] Payload)> Decode(NodeFrameDecoder decoder, params byte[][] pieces)
    {
        var frames = new List<(byte, byte, byte[])>();
        foreach (var piece in pieces)
        {
            decoder.Append(piece);
            while (decoder.TryRead(out var frame)) frames.Add((frame.Type, frame.Seq, frame.Payload.ToArray()));
        }
        return frames;
    }

    [Fact]
    public void A_frame_is_sync_type_seq_length_payload_and_crc32_little_endian()
    {
        byte[] frame = Frame(0x03, 0x7E, [0x10, 0x20, 0x30]);

        Assert.Equal(new byte[] { 0xA5, 0x03, 0x7E, 0x03, 0x00, 0x10, 0x20, 0x30 }, frame[..8]);
        uint crc = Crc32.HashToUInt32(frame.AsSpan(0, 8));
        Assert.Equal(BitConverter.GetBytes(crc), frame[8..]);
        // The IEEE 802.3 CRC-32 of "123456789" is CBF43926: the same polynomial as zip and Ethernet.
        Assert.Equal(0xCBF43926u, Crc32.HashToUInt32("123456789"u8));
    }

    [Fact]
    public void Frames_split_at_every_byte_decode_unchanged()
    {
        var random = new Random(5);
        var sent = Enumerable.Range(0, 20).Select(i =>
        {
            var payload = new byte[random.Next(0, 3000)];
            random.NextBytes(payload);
            return ((byte)(i + 1), (byte)(200 + i), payload);
        }).ToList();
        byte[] stream = sent.SelectMany(f => Frame(f.Item1, f.Item2, f.payload)).ToArray();

        var pieces = new List<byte[]>();
        for (int at = 0; at < stream.Length;)
        {
            int n = Math.Min(stream.Length - at, random.Next(1, 700));
            pieces.Add(stream[at..(at + n)]);
            at += n;
        }
        var decoder = new NodeFrameDecoder();
        var received = Decode(decoder, pieces.ToArray());

        Assert.Equal(sent.Count, received.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i].Item1, received[i].Type);
            Assert.Equal(sent[i].Item2, received[i].Seq);
            Assert.Equal(sent[i].payload, received[i].Payload);
        }
        Assert.Equal(0, decoder.DamagedFrames);
    }

    /// <summary>Sends <paramref name="frame"/> again and again, as a host retrying on timeout does, until it decodes; returns how many sends it took.</summary>
    private static int SendsUntilDecoded(NodeFrameDecoder decoder, byte[] frame, byte seq)
    {
        for (int sends = 1; sends <= NodeFrame.MaxLength / frame.Length + 2; sends++)
            if (Decode(decoder, frame).Any(f => f.Seq == seq)) return sends;
        throw new Xunit.Sdk.XunitException("the frame was never decoded");
    }

    [Fact]
    public void Garbage_without_a_plausible_header_is_skipped_at_once()
    {
        byte[] garbage = [0x00, 0x13, 0xA5, 0x01, 0x02, 0xFF, 0xFF, 0x77];
        var decoder = new NodeFrameDecoder();

        var frames = Decode(decoder, garbage, Frame(0x81, 9, [1, 2, 3]));

        var frame = Assert.Single(frames);
        Assert.Equal(0x81, frame.Type);
        Assert.Equal(new byte[] { 1, 2, 3 }, frame.Payload);
    }

    [Fact]
    public void Garbage_that_looks_like_a_header_does_not_hide_the_intact_frame_after_it()
    {
        // Sync, type, seq and a length of 0x02A5 = 677: a frame that cannot be whole before the good one behind it ends.
        byte[] garbage = [0xA5, 0x01, 0xFF, 0xA5, 0x02];
        var decoder = new NodeFrameDecoder();

        var frames = Decode(decoder, garbage, Frame(0x81, 9, [1, 2, 3]));

        Assert.Equal(9, Assert.Single(frames).Seq);
        Assert.True(decoder.DamagedFrames >= 1);
    }

    [Theory]
    [InlineData(1)]   // type
    [InlineData(4)]   // length
    [InlineData(7)]   // payload
    [InlineData(14)]  // CRC
    public void A_damaged_frame_is_dropped_and_a_resent_one_is_found(int damagedByte)
    {
        byte[] first = Frame(0x83, 1, new byte[6]);
        first[damagedByte] ^= 0x04;
        var decoder = new NodeFrameDecoder();

        Assert.Empty(Decode(decoder, first));
        SendsUntilDecoded(decoder, Frame(0x83, 2, [0x42]), 2);

        Assert.True(decoder.DamagedFrames >= 1);
    }

    [Fact]
    public void A_length_over_the_limit_is_damage_not_a_wait()
    {
        byte[] bogus = [0xA5, 0x01, 0x00, 0xFF, 0xFF];
        var decoder = new NodeFrameDecoder();

        var frames = Decode(decoder, bogus, Frame(0x81, 3, []));

        Assert.Equal(3, Assert.Single(frames).Seq);
        Assert.Equal(1, decoder.DamagedFrames);
    }

    [Fact]
    public void A_payload_over_8192_bytes_cannot_be_encoded()
    {
        Assert.Throws<ArgumentException>(() => NodeFrame.Encode(1, 0, new byte[8193], new byte[9000]));
    }

    [Fact]
    public void Info_round_trips_through_its_payload()
    {
        var info = new NodeInfo(1, 0x80000001, "UNODE", "rev-b", "1.2.3.4", Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(),
            CalibrationStatus.Valid, 3, 65536, new byte[32], Enumerable.Repeat((byte)0xEE, 32).ToArray(),
            NodeLockFlags.FlashJtag, NodeKeySlots.Gateway | NodeKeySlots.Root, 4096, 4) { RootKeyCheckValue = [0x8A, 0x3F, 0x1C] };
        var buffer = new byte[NodeMessages.MaxInfoLength];

        int length = NodeMessages.WriteInfo(info, buffer);
        var read = NodeMessages.ReadInfo(buffer.AsSpan(0, length));

        Assert.Equal(info with { FirmwareDigest = read.FirmwareDigest, FieldConfigDigest = read.FieldConfigDigest, FactoryConfigDigest = read.FactoryConfigDigest,
            RootKeyCheckValue = read.RootKeyCheckValue }, read);
        Assert.Equal(info.FirmwareDigest, read.FirmwareDigest);
        Assert.Equal(info.FactoryConfigDigest, read.FactoryConfigDigest);
        Assert.Equal("8A3F1C", Convert.ToHexString(read.RootKeyCheckValue!));

        // Without a root key the field is zero and reads as none; an answer that ends before it (an older node) also reports none.
        var keyless = info with { Keys = NodeKeySlots.Gateway, RootKeyCheckValue = null };
        int keylessLength = NodeMessages.WriteInfo(keyless, buffer);
        Assert.Equal(new byte[3], buffer.AsSpan(keylessLength - 3, 3).ToArray());
        Assert.Null(NodeMessages.ReadInfo(buffer.AsSpan(0, keylessLength)).RootKeyCheckValue);
        NodeMessages.WriteInfo(info, buffer);
        Assert.Null(NodeMessages.ReadInfo(buffer.AsSpan(0, length - 3)).RootKeyCheckValue);
    }

    [Fact]
    public void Request_payloads_round_trip()
    {
        var buffer = new byte[8192];
        byte[] digest = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();

        var begin = NodeMessages.ReadImageBegin(buffer.AsSpan(0, NodeMessages.WriteImageBegin(NodeImageTarget.FactoryConfig, 77777, digest, "v9", buffer)));
        Assert.Equal((NodeImageTarget.FactoryConfig, 77777u, "v9"), (begin.Target, begin.Size, begin.Version));
        Assert.Equal(digest, begin.Sha256);

        int header = NodeMessages.WriteChunkHeader(NodeImageTarget.Firmware, 123456, buffer);
        buffer[header] = 0xAB;
        var (target, offset) = NodeMessages.ReadChunk(buffer.AsSpan(0, header + 1), out var data);
        Assert.Equal((NodeImageTarget.Firmware, 123456u), (target, offset));
        Assert.Equal(new byte[] { 0xAB }, data.ToArray());

        byte[] key = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var slot = NodeMessages.ReadKey(buffer.AsSpan(0, NodeMessages.WriteKey(NodeKeySlot.Cdld, key, buffer)), out var readKey);
        Assert.Equal(NodeKeySlot.Cdld, slot);
        Assert.Equal(key, readKey.ToArray());

        var kcvs = NodeMessages.ReadKeyCheckValues(buffer.AsSpan(0, NodeMessages.WriteKeyCheckValues([(NodeKeySlot.Gateway, [1, 2, 3]), (NodeKeySlot.Root, [4, 5, 6])], buffer)));
        Assert.Equal(new byte[] { 4, 5, 6 }, kcvs[NodeKeySlot.Root]);
        Assert.Equal(2, kcvs.Count);

        var error = NodeMessages.ReadError(buffer.AsSpan(0, NodeMessages.WriteError(NodeErrorCode.OutOfOrder, new string('x', 400), buffer)));
        Assert.Equal(NodeErrorCode.OutOfOrder, error.Code);
        Assert.Equal(255, error.Message.Length);
    }

    [Fact]
    public void A_truncated_payload_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => NodeMessages.ReadInfo(new byte[10]));
        Assert.Throws<FormatException>(() => NodeMessages.ReadU32(new byte[3]));
    }
}
