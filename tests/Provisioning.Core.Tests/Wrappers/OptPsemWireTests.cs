using Provisioning.Core.Wrappers.Psem;

namespace Provisioning.Core.Tests.Wrappers;

/// <summary>The worked examples of docs/wrappers.md, "opt_psem", byte for byte, and the data link's rules on a driven clock.</summary>
public sealed class OptPsemWireTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    [Fact]
    public void The_C1218_CRC_of_the_identification_packet_is_13_10()
    {
        Assert.Equal(0x1013, PsemCrc.Compute(Hex("EE 00 00 00 00 01 20")));
        Assert.Equal(Hex("EE 00 00 00 00 01 20 13 10"), PsemPacket.Encode(0, 0, 0, [0x20]));
    }

    [Fact]
    public void Requests_encode_as_documented()
    {
        Assert.Equal(Hex("20"), PsemCodec.Identification());
        Assert.Equal(Hex("60 10 00 08"), PsemCodec.Negotiate(4096, 8, []));
        Assert.Equal(Hex("61 04 00 01 08"), PsemCodec.Negotiate(1024, 1, [0x08]));
        Assert.Equal(Hex("50 00 00 50 52 4F 56 49 53 49 4F 4E 20"), PsemCodec.Logon(0, "PROVISION"));
        Assert.Equal(Hex("51 73 65 63 72 65 74 20 20 20 20 20 20 20 20 20 20 20 20 20 20"), PsemCodec.Security("secret"u8));
        Assert.Equal(Hex("3F 08 98 00 00 09 1F BC"), PsemCodec.ReadOffset(PsemMailbox.NodeTable, 9, 0x1FBC));
        Assert.Equal(Hex("30 08 99"), PsemCodec.ReadFull(PsemMailbox.HostTable));
        Assert.Equal(Hex("4F 08 98 00 00 00 00 0A A5 07 10 01 00 03 FC 91 E1 82 50"),
            PsemCodec.WriteOffset(PsemMailbox.NodeTable, 0, Hex("A5 07 10 01 00 03 FC 91 E1 82")));
        Assert.Equal(Hex("40 08 99 00 02 68 69 2F"), PsemCodec.WriteFull(PsemMailbox.HostTable, "hi"u8));
        Assert.Equal(Hex("70 3C"), PsemCodec.Wait(60));
        Assert.Equal(Hex("52"), PsemCodec.Logoff());
        Assert.Equal(Hex("21"), PsemCodec.Terminate());
    }

    [Fact]
    public void The_table_checksum_makes_the_data_sum_to_zero()
    {
        byte[] data = Hex("A5 07 10 01 00 03 FC 91 E1 82");
        Assert.Equal(0x50, PsemCodec.Checksum(data));
        Assert.Equal(0, (data.Sum(b => b) + PsemCodec.Checksum(data)) & 0xFF);
        Assert.Equal(0, PsemCodec.Checksum([]));
    }

    [Fact]
    public void The_worked_session_goes_on_the_line_byte_for_byte()
    {
        var node = new List<byte[]>();
        var talk = new Conversation(new PsemMeter(new PsemMeterSettings { Password = PsemCodec.Security("secret"u8)[1..] }, b => node.Add(b.ToArray())));

        talk.Exchange(PsemCodec.Identification(), "EE 00 00 00 00 01 20 13 10", "EE 00 00 00 00 05 00 00 02 00 00 A2 5A");
        talk.Exchange(PsemCodec.Negotiate(4096, 8, []), "EE 00 20 00 00 04 60 10 00 08 62 B6", "EE 00 20 00 00 05 00 04 00 08 06 39 C1");
        talk.Exchange(PsemCodec.Logon(0, "PROVISION"), "EE 00 00 00 00 0D 50 00 00 50 52 4F 56 49 53 49 4F 4E 20 2E FD", "EE 00 00 00 00 01 00 11 31");
        talk.Exchange(PsemCodec.Security("secret"u8),
            "EE 00 20 00 00 15 51 73 65 63 72 65 74 20 20 20 20 20 20 20 20 20 20 20 20 20 20 10 EA", "EE 00 20 00 00 01 00 80 51");
        Assert.Equal(1024, talk.Station.PacketSize);
        Assert.Equal(8, talk.Station.MaxPackets);

        talk.Exchange(PsemCodec.WriteOffset(PsemMailbox.NodeTable, 0, Hex("A5 07 10 01 00 03 FC 91 E1 82")),
            "EE 00 00 00 00 13 4F 08 98 00 00 00 00 0A A5 07 10 01 00 03 FC 91 E1 82 50 F5 F5", "EE 00 00 00 00 01 00 11 31");
        Assert.Equal(Hex("A5 07 10 01 00 03 FC 91 E1 82"), Assert.Single(node));

        talk.Meter.FromNode(Hex("A5 87 10 00 00 09 CA 4D 12"));
        talk.Exchange(PsemCodec.ReadOffset(PsemMailbox.NodeTable, 0, 0x1FBC),
            "EE 00 20 00 00 08 3F 08 98 00 00 00 1F BC 32 F1", "EE 00 20 00 00 0D 00 00 09 A5 87 10 00 00 09 CA 4D 12 92 3B 68");
        talk.Exchange(PsemCodec.ReadOffset(PsemMailbox.NodeTable, 9, 0x1FBC),
            "EE 00 00 00 00 08 3F 08 98 00 00 09 1F BC 9C 46", "EE 00 00 00 00 04 00 00 00 00 AB 90");
        Assert.Equal(0, talk.Meter.NodeBytesWaiting);

        talk.Exchange(PsemCodec.Wait(60), "EE 00 20 00 00 02 70 3C 6E 90", "EE 00 20 00 00 01 00 80 51");
        talk.Exchange(PsemCodec.Logoff(), "EE 00 00 00 00 01 52 86 40", "EE 00 00 00 00 01 00 11 31");
        talk.Exchange(PsemCodec.Terminate(), "EE 00 20 00 00 01 21 0B 61", "EE 00 20 00 00 01 00 80 51");
        Assert.Equal(PsemSessionState.Base, talk.Meter.State);
    }

    [Fact]
    public void A_message_longer_than_a_packet_goes_in_packets_counting_down_to_zero()
    {
        var link = new PsemDataLink { PacketSize = 64, MaxPackets = 2 };
        byte[] message = Enumerable.Range(1, 100).Select(i => (byte)i).ToArray();

        link.Send(message, now: 0);
        Assert.Equal(Hex("EE 00 C0 01 00 32" + Convert.ToHexString(message, 0, 50) + "93 66"), link.TakeOutput());
        link.Receive([PsemPacket.Ack], now: 10);
        Assert.Equal(Hex("EE 00 A0 00 00 32" + Convert.ToHexString(message, 50, 50) + "9F 53"), link.TakeOutput());
        link.Receive([PsemPacket.Ack], now: 20);
        Assert.Equal(PsemSendState.Delivered, link.TakeOutcome());

        var receiver = new PsemDataLink { PacketSize = 64, MaxPackets = 2 };
        receiver.Receive(PsemPacket.Encode(0, 0xC0, 1, message.AsSpan(0, 50)), 0);
        Assert.False(receiver.TryTakeMessage(out _));
        receiver.Receive(PsemPacket.Encode(0, 0xA0, 0, message.AsSpan(50)), 1);
        Assert.True(receiver.TryTakeMessage(out var whole));
        Assert.Equal(message, whole);
        Assert.Equal(Hex("06 06"), receiver.TakeOutput());
    }

    [Fact]
    public void A_NAK_sends_the_same_packet_again_and_the_fourth_refusal_fails_the_message()
    {
        var link = new PsemDataLink(new PsemLinkTiming { BaudRate = 9600 });
        link.Send([0x20], 0);
        byte[] first = link.TakeOutput();
        for (int i = 1; i <= 3; i++)
        {
            link.Receive([PsemPacket.Nak], i * 100);
            Assert.Equal(first, link.TakeOutput());
        }
        link.Receive([PsemPacket.Nak], 400);
        Assert.Empty(link.TakeOutput());
        Assert.Equal(PsemSendState.Failed, link.SendState);
        Assert.True(link.FailedByNak);
        Assert.Contains("NAK", link.FailureReason);
        Assert.Equal(3, link.Resends);
    }

    [Fact]
    public void A_missing_ACK_sends_again_after_the_response_timeout_plus_line_time()
    {
        var link = new PsemDataLink(new PsemLinkTiming { BaudRate = 9600 });
        link.Send([0x20], 0);
        byte[] first = link.TakeOutput();
        // 9 bytes at 9600 baud take 9.4 ms; the 2 s count from there.
        link.Tick(2000);
        Assert.Empty(link.TakeOutput());
        link.Tick(2010);
        Assert.Equal(first, link.TakeOutput());
        Assert.Equal(2010 + 10 + 2000, link.NextDeadline);
        link.Tick(4020);
        Assert.Equal(first, link.TakeOutput());
        link.Tick(6030);
        Assert.Equal(first, link.TakeOutput());
        Assert.Equal(PsemSendState.Sending, link.SendState);
        link.Tick(8040);
        Assert.Empty(link.TakeOutput());
        Assert.Equal(PsemSendState.Failed, link.SendState);
        Assert.False(link.FailedByNak);
        Assert.False(link.HeardAnything);
    }

    [Fact]
    public void A_packet_sent_again_is_acknowledged_again_but_delivered_once()
    {
        var receiver = new PsemDataLink();
        byte[] packet = PsemPacket.Encode(0, 0x20, 0, [0x3F, 0x08, 0x98, 0, 0, 0, 0, 0x10]);
        receiver.Receive(packet, 0);
        receiver.Receive(packet, 100);
        Assert.Equal(Hex("06 06"), receiver.TakeOutput());
        Assert.True(receiver.TryTakeMessage(out _));
        Assert.False(receiver.TryTakeMessage(out _));
        Assert.Equal(1, receiver.Duplicates);

        // The same request as a new message (toggle flipped) is a new packet.
        receiver.Receive(PsemPacket.Encode(0, 0x00, 0, [0x3F, 0x08, 0x98, 0, 0, 0, 0, 0x10]), 200);
        Assert.True(receiver.TryTakeMessage(out _));
    }

    [Fact]
    public void Damage_is_answered_with_NAK_and_a_stalled_packet_is_dropped()
    {
        var receiver = new PsemDataLink();
        byte[] packet = PsemPacket.Encode(0, 0, 0, [0x20]);
        packet[6] ^= 0x01;
        receiver.Receive(packet, 0);
        Assert.Equal(Hex("15"), receiver.TakeOutput());

        receiver.Receive(Hex("EE 00 00 00"), 1000);
        receiver.Tick(1400);
        Assert.Empty(receiver.TakeOutput());
        receiver.Tick(1501);
        Assert.Equal(Hex("15"), receiver.TakeOutput());
        receiver.Receive(PsemPacket.Encode(0, 0, 0, [0x20]), 1600);
        Assert.True(receiver.TryTakeMessage(out var message));
        Assert.Equal(Hex("20"), message);
        Assert.Equal(2, receiver.NaksSent);
    }

    [Fact]
    public void A_length_beyond_the_negotiated_packet_is_damage_at_once()
    {
        var decoder = new PsemPacketDecoder { MaxPacketSize = 64 };
        var events = new List<PsemLineEvent>();
        decoder.Feed(Hex("EE 00 00 00 10 00"), 0, events);
        Assert.Equal(PsemLineEventKind.Damaged, Assert.Single(events).Kind);
        Assert.False(decoder.InPacket);

        // The data link takes the negotiated size as its receiving limit too.
        var receiver = new PsemDataLink { PacketSize = 128 };
        receiver.Receive(Hex("EE 00 00 00 00 79"), 0);
        Assert.Equal(Hex("15"), receiver.TakeOutput());
    }

    [Fact]
    public void While_packets_are_refused_the_sender_uses_smaller_ones_and_grows_again()
    {
        var link = new PsemDataLink { PacketSize = 1024, MaxPackets = 8 };
        link.Send(new byte[2000], 0);
        Assert.Equal(1008, link.TakeOutput().Length); // two packets of 1000 data bytes
        link.Receive([PsemPacket.Nak], 1100);
        Assert.Equal(1008, link.TakeOutput().Length);
        Assert.Equal(512, link.SendPacketSize);
        link.Receive([PsemPacket.Ack], 3000);
        link.TakeOutput();
        link.Receive([PsemPacket.Ack], 4500);
        Assert.Equal(PsemSendState.Delivered, link.TakeOutcome());

        link.Send(new byte[2000], 5000);
        Assert.Equal(508, link.TakeOutput().Length); // four packets of 500 data bytes
        for (int i = 0; i < 40 && link.SendPacketSize < 1024; i++)
        {
            while (link.SendState == PsemSendState.Sending) link.Receive([PsemPacket.Ack], 6000 + i);
            link.TakeOutcome();
            link.Send(new byte[100], 6000 + i);
            link.TakeOutput();
        }
        Assert.Equal(1024, link.SendPacketSize);
    }

    [Fact]
    public void The_meter_keeps_the_service_sequence()
    {
        var meter = new PsemMeter(new PsemMeterSettings(), _ => { });
        Assert.Equal([(byte)PsemResponseCode.Isss], meter.Handle(PsemCodec.Logon(0, "X"), out _));
        Assert.Equal([(byte)PsemResponseCode.Isss], meter.Handle(PsemCodec.ReadOffset(PsemMailbox.NodeTable, 0, 10), out _));
        Assert.Equal(PsemCodec.IdentificationResponse(), meter.Handle(PsemCodec.Identification(), out _));
        Assert.Equal([(byte)PsemResponseCode.Isss], meter.Handle(PsemCodec.Identification(), out _));
        Assert.Equal([(byte)PsemResponseCode.Ok], meter.Handle(PsemCodec.Logon(0, "X"), out _));
        Assert.Equal([(byte)PsemResponseCode.Isss], meter.Handle(PsemCodec.Negotiate(64, 1, []), out _));
        Assert.Equal([(byte)PsemResponseCode.Iar], meter.Handle(PsemCodec.ReadOffset(7, 0, 10), out _));
        Assert.Equal([(byte)PsemResponseCode.Sns], meter.Handle([0x35, 0, 0], out _));
    }

    [Fact]
    public void The_meter_wants_its_password_before_any_write()
    {
        byte[] password = PsemCodec.Security("secret"u8)[1..];
        var meter = new PsemMeter(new PsemMeterSettings { Password = password }, _ => { });
        meter.Handle(PsemCodec.Identification(), out _);
        meter.Handle(PsemCodec.Logon(0, "X"), out _);
        byte[] write = PsemCodec.WriteOffset(PsemMailbox.NodeTable, 0, [1, 2, 3]);

        Assert.Equal([(byte)PsemResponseCode.Isc], meter.Handle(write, out _));
        Assert.Equal([(byte)PsemResponseCode.Err], meter.Handle(PsemCodec.Security("wrong"u8), out _));
        Assert.Equal([(byte)PsemResponseCode.Isc], meter.Handle(write, out _));
        Assert.Equal([(byte)PsemResponseCode.Ok], meter.Handle(PsemCodec.Security("secret"u8), out _));
        Assert.Equal([(byte)PsemResponseCode.Ok], meter.Handle(write, out _));
    }

    [Fact]
    public void The_node_mailbox_passes_a_write_sent_again_only_once_and_keeps_unread_bytes()
    {
        var node = new List<byte>();
        var meter = new PsemMeter(new PsemMeterSettings(), b => node.AddRange(b.ToArray()));
        meter.Handle(PsemCodec.Identification(), out _);
        meter.Handle(PsemCodec.Logon(0, "X"), out _);

        meter.Handle(PsemCodec.WriteOffset(PsemMailbox.NodeTable, 0, [1, 2, 3]), out _);
        meter.Handle(PsemCodec.WriteOffset(PsemMailbox.NodeTable, 0, [1, 2, 3]), out _);
        meter.Handle(PsemCodec.WriteOffset(PsemMailbox.NodeTable, 2, [3, 4, 5]), out _);
        Assert.Equal([(byte)PsemResponseCode.Onp], meter.Handle(PsemCodec.WriteOffset(PsemMailbox.NodeTable, 9, [9]), out _));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, node);

        meter.FromNode([10, 11, 12, 13]);
        Assert.Equal(PsemCodec.ReadResponse([10, 11]), meter.Handle(PsemCodec.ReadOffset(PsemMailbox.NodeTable, 0, 2), out _));
        Assert.Equal(PsemCodec.ReadResponse([10, 11]), meter.Handle(PsemCodec.ReadOffset(PsemMailbox.NodeTable, 0, 2), out _));
        Assert.Equal(PsemCodec.ReadResponse([12, 13]), meter.Handle(PsemCodec.ReadOffset(PsemMailbox.NodeTable, 2, 100), out _));
        Assert.Equal(PsemCodec.ReadResponse([]), meter.Handle(PsemCodec.ReadOffset(PsemMailbox.NodeTable, 4, 100), out _));
        Assert.Equal([(byte)PsemResponseCode.Onp], meter.Handle(PsemCodec.ReadOffset(PsemMailbox.NodeTable, 2, 100), out _));
    }

    [Fact]
    public void Negotiate_answers_at_most_what_the_meter_takes_and_a_baud_rate_it_knows()
    {
        var meter = new PsemMeter(new PsemMeterSettings { MaxPacketSize = 256, MaxPackets = 1, BaudRates = [19200] }, _ => { });
        meter.Handle(PsemCodec.Identification(), out _);

        Assert.Equal(Hex("00 01 00 01 08"), meter.Handle(PsemCodec.Negotiate(4096, 8, [0x0A, 0x08]), out var after));
        Assert.Equal(new PsemMeterAfter(256, 1, 19200, false), after);
        Assert.Equal(Hex("00 01 00 01 06"), meter.Handle(PsemCodec.Negotiate(4096, 8, []), out after));
        Assert.Null(after.BaudRate);

        var refusing = new PsemMeter(new PsemMeterSettings { Faults = new() { RefuseNegotiate = PsemResponseCode.Err } }, _ => { });
        refusing.Handle(PsemCodec.Identification(), out _);
        Assert.Equal([(byte)PsemResponseCode.Err], refusing.Handle(PsemCodec.Negotiate(4096, 8, []), out _));
    }

    /// <summary>A station data link and a meter (data link + <see cref="PsemMeter"/>) joined by hand, on a clock that only moves when told.</summary>
    private sealed class Conversation(PsemMeter meter)
    {
        private long _now;
        public PsemDataLink Station { get; } = new();
        public PsemDataLink MeterLink { get; } = new();
        public PsemMeter Meter { get; } = meter;

        public void Exchange(byte[] request, string requestPacket, string responsePacket)
        {
            Station.Send(request, _now += 10);
            Assert.Equal(Hex(requestPacket), Station.TakeOutput());
            MeterLink.Receive(Hex(requestPacket), _now += 10);
            Assert.Equal(Hex("06"), MeterLink.TakeOutput());
            Station.Receive(Hex("06"), _now += 10);
            Assert.Equal(PsemSendState.Delivered, Station.TakeOutcome());

            Assert.True(MeterLink.TryTakeMessage(out var received));
            byte[] response = Meter.Handle(received, out var after);
            MeterLink.Send(response, _now += 10);
            Assert.Equal(Hex(responsePacket), MeterLink.TakeOutput());
            Station.Receive(Hex(responsePacket), _now += 10);
            Assert.Equal(Hex("06"), Station.TakeOutput());
            MeterLink.Receive(Hex("06"), _now += 10);
            Assert.Equal(PsemSendState.Delivered, MeterLink.TakeOutcome());
            Assert.True(Station.TryTakeMessage(out _));

            if (after.PacketSize is { } size)
            {
                Station.PacketSize = MeterLink.PacketSize = size;
                Station.MaxPackets = MeterLink.MaxPackets = after.MaxPackets ?? 1;
            }
            if (after.EndSession) MeterLink.Reset();
        }
    }
}
