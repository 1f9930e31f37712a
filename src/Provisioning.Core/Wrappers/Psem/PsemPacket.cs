using System.Buffers.Binary;

namespace Provisioning.Core.Wrappers.Psem;

/// <summary>
/// One C12.18 packet (docs/wrappers.md, "opt_psem"): <c>EE</c>, identity, control, sequence number, length (2 bytes,
/// big-endian), data, CRC-16/X-25 (low byte first). Control bit 7: the packet belongs to a message of several packets;
/// bit 6: it is the first of them; bit 5: the toggle bit, flipped for every new packet and kept when one is sent again.
/// The sequence number counts the packets still to come after this one, so the last packet of a message carries 0.
/// </summary>
public static class PsemPacket
{
    /// <summary>The start-of-packet byte.</summary>
    public const byte Stp = 0xEE;

    /// <summary>Positive acknowledgement: the packet arrived intact.</summary>
    public const byte Ack = 0x06;

    /// <summary>Negative acknowledgement: the packet arrived damaged; send it again.</summary>
    public const byte Nak = 0x15;

    /// <summary>Start, identity, control, sequence and length.</summary>
    public const int HeaderLength = 6;

    /// <summary>Header and CRC: what a packet adds to its data.</summary>
    public const int Overhead = HeaderLength + 2;

    /// <summary>Packet size before a Negotiate says otherwise (the whole packet, header and CRC included).</summary>
    public const int DefaultPacketSize = 64;

    /// <summary>Packets per message before a Negotiate says otherwise.</summary>
    public const int DefaultPackets = 1;

    /// <summary>Largest packet size the standard allows.</summary>
    public const int MaxPacketSize = 8192;

    /// <summary>Control bit 7: one of several packets of a message.</summary>
    public const byte MultiPacket = 0x80;

    /// <summary>Control bit 6: the first packet of a message of several.</summary>
    public const byte FirstPacket = 0x40;

    /// <summary>Control bit 5: the toggle bit.</summary>
    public const byte Toggle = 0x20;

    /// <summary>
    /// Writes one packet into <paramref name="destination"/> and returns its length (<paramref name="data"/> plus
    /// <see cref="Overhead"/>).
    /// </summary>
    public static int Encode(byte identity, byte control, byte sequence, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (data.Length > MaxPacketSize - Overhead)
            throw new ArgumentException($"A C12.18 packet carries at most {MaxPacketSize - Overhead} data bytes, not {data.Length}.", nameof(data));
        int length = data.Length + Overhead;
        destination[0] = Stp;
        destination[1] = identity;
        destination[2] = control;
        destination[3] = sequence;
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)data.Length);
        data.CopyTo(destination[HeaderLength..]);
        ushort crc = PsemCrc.Compute(destination[..(HeaderLength + data.Length)]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[(HeaderLength + data.Length)..], crc);
        return length;
    }

    /// <summary>A new array holding one packet.</summary>
    public static byte[] Encode(byte identity, byte control, byte sequence, ReadOnlySpan<byte> data)
    {
        var packet = new byte[data.Length + Overhead];
        Encode(identity, control, sequence, data, packet);
        return packet;
    }

    /// <summary>Line time of <paramref name="bytes"/> at <paramref name="baudRate"/> (10 bits a byte: start, 8 data, stop), in milliseconds.</summary>
    public static double LineMilliseconds(int bytes, int baudRate) => bytes * 10000.0 / baudRate;
}

/// <summary>What <see cref="PsemPacketDecoder"/> found on the line.</summary>
public enum PsemLineEventKind
{
    /// <summary>An ACK byte between packets.</summary>
    Ack,
    /// <summary>A NAK byte between packets.</summary>
    Nak,
    /// <summary>An intact packet.</summary>
    Packet,
    /// <summary>A packet whose CRC failed, or whose length is impossible: the receiver answers NAK.</summary>
    Damaged,
    /// <summary>A packet that stopped arriving (more than the inter-character timeout between two bytes): dropped.</summary>
    Stalled,
}

/// <summary>One event from <see cref="PsemPacketDecoder"/>.</summary>
/// <param name="Kind">What arrived.</param>
/// <param name="Control">Control byte of a packet.</param>
/// <param name="Sequence">Sequence number of a packet.</param>
/// <param name="Crc">CRC of a packet (its last two bytes, as a little-endian number): with the toggle bit, what tells a duplicate.</param>
/// <param name="Data">Data of an intact packet.</param>
/// <param name="Identity">Identity byte of a packet.</param>
public readonly record struct PsemLineEvent(PsemLineEventKind Kind, byte Control, byte Sequence, ushort Crc, byte[]? Data, byte Identity = 0);

/// <summary>
/// Splits the bytes of a C12.18 line into ACK, NAK and packets. Bytes outside a packet other than ACK, NAK and the start
/// byte are noise and skipped. A packet is damaged when its CRC fails or its length exceeds <see cref="MaxPacketSize"/>;
/// it stalls when more than <see cref="InterCharacterTimeoutMs"/> passes between two of its bytes.
/// </summary>
public sealed class PsemPacketDecoder
{
    private readonly byte[] _packet = new byte[PsemPacket.MaxPacketSize];
    private int _count;
    private long _lastByteAt;

    /// <summary>Largest packet accepted (header and CRC included): the negotiated packet size of this side.</summary>
    public int MaxPacketSize { get; set; } = PsemPacket.MaxPacketSize;

    /// <summary>Most time allowed between two bytes of one packet (the standard's 500 ms).</summary>
    public long InterCharacterTimeoutMs { get; set; } = 500;

    /// <summary>True while part of a packet has arrived.</summary>
    public bool InPacket => _count > 0;

    /// <summary>When a partly received packet will stall if nothing more comes (milliseconds on the caller's clock); null when none is in progress.</summary>
    public long? StallDeadline => _count > 0 ? _lastByteAt + InterCharacterTimeoutMs : null;

    /// <summary>Takes bytes that arrived at <paramref name="now"/> (milliseconds) and adds what they complete to <paramref name="events"/>.</summary>
    public void Feed(ReadOnlySpan<byte> bytes, long now, List<PsemLineEvent> events)
    {
        if (bytes.Length > 0) CheckStall(now, events);
        foreach (byte b in bytes)
        {
            _lastByteAt = now;
            if (_count == 0)
            {
                switch (b)
                {
                    case PsemPacket.Ack: events.Add(new(PsemLineEventKind.Ack, 0, 0, 0, null)); break;
                    case PsemPacket.Nak: events.Add(new(PsemLineEventKind.Nak, 0, 0, 0, null)); break;
                    case PsemPacket.Stp: _packet[_count++] = b; break;
                    default: break; // noise between packets
                }
                continue;
            }
            _packet[_count++] = b;
            if (_count < PsemPacket.HeaderLength) continue;
            int dataLength = BinaryPrimitives.ReadUInt16BigEndian(_packet.AsSpan(4));
            int total = dataLength + PsemPacket.Overhead;
            if (total > MaxPacketSize)
            {
                // A length this side never agreed to is damage; the sender hears NAK and sends the packet again.
                events.Add(new(PsemLineEventKind.Damaged, _packet[2], _packet[3], 0, null, _packet[1]));
                Clear();
                continue;
            }
            if (_count < total) continue;
            ushort crc = BinaryPrimitives.ReadUInt16LittleEndian(_packet.AsSpan(total - 2));
            bool intact = PsemCrc.Compute(_packet.AsSpan(0, total - 2)) == crc;
            events.Add(intact
                ? new(PsemLineEventKind.Packet, _packet[2], _packet[3], crc, _packet.AsSpan(PsemPacket.HeaderLength, dataLength).ToArray(), _packet[1])
                : new(PsemLineEventKind.Damaged, _packet[2], _packet[3], crc, null, _packet[1]));
            Clear();
        }
    }

    /// <summary>Reports a packet that stalled before <paramref name="now"/> and drops it.</summary>
    public void CheckStall(long now, List<PsemLineEvent> events)
    {
        if (_count > 0 && now - _lastByteAt > InterCharacterTimeoutMs)
        {
            events.Add(new(PsemLineEventKind.Stalled, 0, 0, 0, null));
            Clear();
        }
    }

    /// <summary>Forgets a partly received packet.</summary>
    public void Clear()
    {
        // Packets carry node messages, which can hold keys.
        _packet.AsSpan(0, _count).Clear();
        _count = 0;
    }
}
