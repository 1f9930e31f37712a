using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Tests.Wrappers;

/// <summary>The reliable wrapper's frames, byte for byte as docs/wrappers.md gives them ("Worked examples").</summary>
public sealed class ReliableFrameTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    [Fact]
    public void The_checks_are_the_named_CRCs()
    {
        Assert.Equal(0xF4, ReliableFrame.Crc8("123456789"u8));
        Assert.Equal(0x29B1, ReliableFrame.Crc16("123456789"u8));
    }

    public static TheoryData<string, ReliableFrameType, byte, string> Examples => new()
    {
        { "7E 01 00 08 00 72 01 20 08 04 78 56 34 12 2B CE", ReliableFrameType.Reset, 0, "01 20 08 04 78 56 34 12" },
        { "7E 02 00 08 00 48 01 08 00 01 78 56 34 12 5A C9", ReliableFrameType.ResetAck, 0, "01 08 00 01 78 56 34 12" },
        { "7E 10 00 09 00 16 A5 01 07 00 00 1B 96 16 C3 B7 C1", ReliableFrameType.NodeData, 0, "A5 01 07 00 00 1B 96 16 C3" },
        { "7E 20 01 00 00 69 A0 48", ReliableFrameType.Ack, 1, "" },
        { "7E 20 03 02 00 95 02 01 3C 1E", ReliableFrameType.Ack, 3, "02 01" },
        { "7E 11 01 02 00 FC 68 69 25 78", ReliableFrameType.HostMessage, 1, "68 69" },
        { "7E 03 00 00 00 F6 24 AA", ReliableFrameType.Close, 0, "" },
        { "7E 04 00 00 00 94 14 81", ReliableFrameType.CloseAck, 0, "" },
        { "7E 01 00 08 00 72 01 08 00 01 00 00 00 00 9F CD", ReliableFrameType.Reset, 0, "01 08 00 01 00 00 00 00" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Worked_examples_encode_and_decode_byte_for_byte(string line, ReliableFrameType type, byte seq, string payload)
    {
        Assert.Equal(Hex(line), ReliableFrame.Encode(type, seq, Hex(payload)));

        var frames = new List<ReliableFrame>();
        new ReliableFrameDecoder(ReliableFrame.MaxFrame).Append(Hex(line), frames.Add);
        var frame = Assert.Single(frames);
        Assert.Equal((type, seq), (frame.Type, frame.Seq));
        Assert.Equal(Hex(payload), frame.Payload.ToArray());
    }

    [Fact]
    public void Reset_payloads_name_window_buffer_and_session()
    {
        Assert.Equal(Hex("01 20 08 04 78 56 34 12"), ReliableFrame.ResetPayload(32, 1032, 0x12345678));
        Assert.True(ReliableFrame.TryReadReset(Hex("01 08 00 01 78 56 34 12"), out int window, out int maxFrame, out uint id));
        Assert.Equal((8, 256, 0x12345678u), (window, maxFrame, id));
        Assert.False(ReliableFrame.TryReadReset(Hex("02 08 00 01 78 56 34 12"), out _, out _, out _)); // another version
    }

    [Fact]
    public void After_garbage_damage_and_a_split_the_next_intact_frame_is_found()
    {
        var first = ReliableFrame.Encode(ReliableFrameType.NodeData, 5, "first"u8);
        var second = ReliableFrame.Encode(ReliableFrameType.NodeData, 6, "second"u8);
        var damaged = ReliableFrame.Encode(ReliableFrameType.NodeData, 7, "damaged"u8);
        damaged[9] ^= 0x04;
        // A header whose length announces far more than follows: its check fails at once, nothing is awaited.
        var liar = ReliableFrame.Encode(ReliableFrameType.NodeData, 8, "x"u8);
        liar[3] = 0xFF;
        byte[] line = [0x7E, 0x7E, 0x13, .. first, 0x00, 0x7E, .. damaged, .. liar, .. second];
        var frames = new List<ReliableFrame>();
        var decoder = new ReliableFrameDecoder(ReliableFrame.MaxFrame);

        foreach (byte b in line) decoder.Append([b], frames.Add);

        Assert.Equal([(byte)5, (byte)6], frames.Select(f => f.Seq));
        Assert.Equal("second"u8.ToArray(), frames[1].Payload.ToArray());
        Assert.True(decoder.Damaged >= 2);
    }

    [Fact]
    public void A_frame_longer_than_the_receivers_buffer_is_damage()
    {
        var big = ReliableFrame.Encode(ReliableFrameType.NodeData, 0, new byte[300]);
        var small = ReliableFrame.Encode(ReliableFrameType.NodeData, 1, new byte[10]);
        var frames = new List<ReliableFrame>();

        new ReliableFrameDecoder(256).Append([.. big, .. small], frames.Add);

        Assert.Equal((byte)1, Assert.Single(frames).Seq);
    }
}
