using System.Buffers;
using Provisioning.Core.Crypto;
using Provisioning.Core.Emcm;
using Provisioning.Core.Emcm.Simulator;
using Provisioning.Core.Tests.Wrappers;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Tests.Emcm;

/// <summary>The eMCM framing and messages against the worked examples of docs/emcm-protocol.md, byte for byte, and against damage.</summary>
public sealed class EmcmFrameTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private static byte[] Frame(byte type, byte seq, ReadOnlySpan<byte> payload) => EmcmFrame.Encode(type, seq, payload);

    [Fact]
    public void GetInfo_and_its_orw_wrapping_match_the_document()
    {
        var frame = Frame(0x01, 0x2A, []);
        Assert.Equal(Hex("45 4D 01 01 2A 00 00 F1 11 9F 88"), frame);

        var line = new ArrayBufferWriter<byte>();
        new OrwWrapper().EgressHost(frame, line);
        Assert.Equal(Hex("0E 00 45 4D 01 01 2A 00 00 F1 11 9F 88 F5"), line.WrittenSpan.ToArray());
    }

    [Fact]
    public void The_GetInfo_answer_matches_the_document_and_reads_back()
    {
        var info = new EmcmInfo("00A1B2C3D4E5F601", "emcm-a", "1.0.0", [], [], EmcmConfigSlot.None, null, false, EmcmStagePassed.None, true, null, false);
        var payload = new byte[EmcmMessages.MaxInfoLength];
        int n = EmcmMessages.WriteInfo(info, EmcmMessages.MaxChunk, payload);
        var frame = Frame(0x81, 0x2A, payload.AsSpan(0, n));

        string expected = "45 4D 01 81 2A 60 00 00 01 00 A1 B2 C3 D4 E5 F6 01 06 65 6D 63 6D 2D 61 05 31 2E 30 2E 30"
            + string.Concat(Enumerable.Repeat("00", 64)) + "00 04 00 00 00 00 00 ED 01 8F CD 75 EF";
        Assert.Equal(Hex(expected), frame);
        Assert.Equal(493, EmcmMessages.MaxChunk);

        Assert.True(EmcmFrame.TryDecode(frame, out _, out _, out var data, out _));
        var (read, maxChunk) = EmcmMessages.ReadInfo(data[1..]);
        Assert.Equal("D4E5F601", read.PartialMcmId);
        Assert.Equal(493, maxChunk);
        Assert.Empty(read.FactoryConfigSha256);
        Assert.Null(read.KeyCheckValue);
        Assert.True(read.SelfTestPassed);
    }

    [Fact]
    public void Key_write_and_check_match_the_document()
    {
        byte[] key = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var payload = new byte[17];
        EmcmMessages.WriteKey(key, payload);
        Assert.Equal(Hex("45 4D 01 06 2B 11 00 10 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 3B FB 7D CB"), Frame(0x06, 0x2B, payload));
        Assert.Equal(Hex("45 4D 01 86 2B 01 00 00 C6 D3 88 A2"), Frame(0x86, 0x2B, [0]));

        Assert.Equal(Hex("C6A13B"), GatewayKeys.CheckValueBytes(key));
        var answer = new byte[5];
        EmcmMessages.WriteKeyCheck(GatewayKeys.CheckValueBytes(key), answer);
        Assert.Equal(Hex("45 4D 01 07 2C 00 00 9F 32 79 A9"), Frame(0x07, 0x2C, []));
        Assert.Equal(Hex("45 4D 01 87 2C 05 00 00 01 C6 A1 3B 7A E5 57 F4"), Frame(0x87, 0x2C, answer));
    }

    [Fact]
    public void A_chunk_and_an_error_answer_match_the_document()
    {
        var payload = new byte[9];
        EmcmMessages.WriteChunk(EmcmImageTarget.Firmware, 0x1D0, Hex("DEADBEEF"), payload);
        Assert.Equal(Hex("45 4D 01 03 2E 09 00 01 D0 01 00 00 DE AD BE EF BE C7 28 CE"), Frame(0x03, 0x2E, payload));
        Assert.Equal(Hex("45 4D 01 83 2E 05 00 00 D4 01 00 00 E9 1E E3 68"), Frame(0x83, 0x2E, Hex("00 D4 01 00 00")));

        var error = new byte[14];
        int n = EmcmMessages.WriteStatus(EmcmStatus.MeterNotAnswering, "meter silent", error);
        Assert.Equal(Hex("45 4D 01 8A 2D 0E 00 06 0C 6D 65 74 65 72 20 73 69 6C 65 6E 74 77 5E 0A 7B"), Frame(0x8A, 0x2D, error.AsSpan(0, n)));
    }

    [Fact]
    public void Every_single_bit_flip_is_caught()
    {
        var frame = Frame(0x06, 0x2B, Hex("10 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F"));
        for (int bit = 0; bit < frame.Length * 8; bit++)
        {
            var damaged = (byte[])frame.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(EmcmFrame.TryDecode(damaged, out _, out _, out _, out string? why));
            Assert.NotNull(why);
        }
        Assert.False(EmcmFrame.TryDecode(frame.AsSpan(0, frame.Length - 1), out _, out _, out _, out _));
    }

    [Fact]
    public void The_check_rules_a_frame_out_from_its_first_bytes_and_waits_only_for_a_plausible_one()
    {
        var frame = Frame(0x01, 1, new byte[20]);
        Assert.Null(EmcmFrame.Check(frame.AsSpan(0, 7), frame.Length));
        Assert.True(EmcmFrame.Check(frame, frame.Length));
        Assert.False(EmcmFrame.Check(frame.AsSpan(0, 7), frame.Length + 1)); // length field disagrees with the wrapper's
        Assert.False(EmcmFrame.Check(Hex("00"), 40));                          // not the magic
        Assert.False(EmcmFrame.Check(Hex("45 4D 02"), 40));                    // another version
        Assert.False(EmcmFrame.Check([], EmcmFrame.MaxLength + 1));            // longer than any frame
    }

    [Fact]
    public void The_largest_frame_fits_the_guides_512_byte_host_buffer_behind_orw()
    {
        var frame = Frame(0x03, 9, new byte[EmcmFrame.MaxPayload]);
        var line = new ArrayBufferWriter<byte>();
        new OrwWrapper().EgressHost(frame, line);
        Assert.Equal(OrwWrapper.GuideHostBuffer, line.WrittenCount);
        Assert.Throws<ArgumentException>(() => Frame(0x03, 9, new byte[EmcmFrame.MaxPayload + 1]));
        var info = new byte[EmcmMessages.MaxInfoLength];
        Assert.True(EmcmMessages.MaxInfoLength + EmcmFrame.Overhead <= EmcmFrame.MinChannel);
        Assert.True(EmcmMessages.WriteInfo(new EmcmInfo(new string('F', 16), new string('h', 40), new string('v', 40), new byte[32], new byte[32],
            EmcmConfigSlot.Field, [1, 2, 3], true, EmcmStagePassed.PostTest, false, new string('d', 100), true), 4, info) <= EmcmMessages.MaxInfoLength);
    }

    [Fact]
    public void Orw_takes_an_intact_eMCM_frame_right_after_damage_and_refuses_noise_that_looks_like_one()
    {
        var frame = Frame(0x81, 3, Hex("00 01 02 03"));
        var line = new ArrayBufferWriter<byte>();
        var orw = new OrwWrapper { HostMessageCheck = EmcmFrame.Check };
        orw.EgressHost(frame, line);
        byte[] wrapped = line.WrittenSpan.ToArray();

        // Garbage first: the decoder is out of step, yet the frame's own CRC lets it through at once.
        var sink = new OrwWrapperTests.RecordingSink();
        orw.Ingress(Hex("13 00 22 99 05"), sink);
        orw.Ingress(wrapped, sink);
        Assert.NotEmpty(sink.Damage);
        Assert.Single(sink.HostMessages);
        Assert.Equal(frame, sink.HostMessages[0]);

        // Without the check the guide's rule holds: out of step, host messages wait for a node message.
        var plain = new OrwWrapper();
        var plainSink = new OrwWrapperTests.RecordingSink();
        plain.Ingress(Hex("13 00 22 99 05"), plainSink);
        plain.Ingress(wrapped, plainSink);
        Assert.Empty(plainSink.HostMessages);

        // An orw message whose checksum holds but whose eMCM CRC does not is not taken after damage.
        var bad = (byte[])frame.Clone();
        bad[8] ^= 0x01; // wrapped afresh below, so orw's own checksum holds
        var badLine = new ArrayBufferWriter<byte>();
        new OrwWrapper().EgressHost(bad, badLine);
        var checkedOrw = new OrwWrapper { HostMessageCheck = EmcmFrame.Check };
        var badSink = new OrwWrapperTests.RecordingSink();
        checkedOrw.Ingress(Hex("13 00 22 99 05"), badSink);
        checkedOrw.Ingress(badLine.WrittenSpan, badSink);
        Assert.Empty(badSink.HostMessages);
    }

    [Fact]
    public void Orw_host_egress_refuses_the_node_marker_and_other_wrappers_have_no_host_egress()
    {
        var line = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => new OrwWrapper().EgressHost([0x47, 1, 2], line));
        var none = Assert.Throws<NotSupportedException>(() => new NoneWrapper().EgressHost(Frame(1, 1, []), line));
        Assert.Contains("no channel for the host platform", none.Message);
        Assert.False(new NoneWrapper().CarriesHostMessages);
        Assert.True(new OrwWrapper().CarriesHostMessages);
        Assert.Equal(509, new OrwWrapper().MaxHostMessageSize(512));
    }

    [Fact]
    public void The_simulated_eMCM_answers_a_repeat_from_memory_and_drops_damage()
    {
        var emcm = new SimulatedEmcm(new EmcmSimulatorOptions());
        var key = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var payload = new byte[17];
        EmcmMessages.WriteKey(key, payload);
        var request = Frame(0x06, 0x2B, payload);

        var first = emcm.Answer(request);
        var again = emcm.Answer(request);
        Assert.Equal(first, again);
        Assert.Equal(1, emcm.Snapshot().Requests);

        var damaged = (byte[])request.Clone();
        damaged[10] ^= 0x40;
        Assert.Null(emcm.Answer(damaged));
        Assert.Null(emcm.Answer(Frame(0x86, 0x2B, [0]))); // an answer is not a request
        Assert.Equal(1, emcm.Snapshot().Requests);
    }
}
