using System.Buffers.Binary;

namespace Provisioning.Core.Wrappers;

/// <summary>Kinds of reliable frames (docs/wrappers.md, "reliable").</summary>
public enum ReliableFrameType : byte
{
    /// <summary>Reset: the station opens a session; from the host, "I hold no session" (it restarted).</summary>
    Reset = 0x01,
    /// <summary>The host's answer to a reset: the session is open.</summary>
    ResetAck = 0x02,
    /// <summary>The station ends the session.</summary>
    Close = 0x03,
    /// <summary>The host's answer to a close.</summary>
    CloseAck = 0x04,
    /// <summary>Bytes of the node's message stream.</summary>
    NodeData = 0x10,
    /// <summary>One whole message of the host platform's own.</summary>
    HostMessage = 0x11,
    /// <summary>Acknowledgement: the next sequence number expected and which later frames are held.</summary>
    Ack = 0x20,
}

/// <summary>One decoded reliable frame.</summary>
public readonly record struct ReliableFrame(ReliableFrameType Type, byte Seq, ReadOnlyMemory<byte> Payload)
{
    /// <summary>First byte of every frame.</summary>
    public const byte Sync = 0x7E;

    /// <summary>Sync, type, sequence, length (2), header check.</summary>
    public const int HeaderLength = 6;

    /// <summary>Header plus the CRC-16 at the end.</summary>
    public const int Overhead = HeaderLength + 2;

    /// <summary>The smallest frame size a peer may announce: room for a reset's payload and some data.</summary>
    public const int MinFrame = 32;

    /// <summary>The largest frame size (the length field is 16 bits, but no UART host buffers more).</summary>
    public const int MaxFrame = 4096 + Overhead;

    /// <summary>Protocol version carried in resets.</summary>
    public const byte Version = 1;

    /// <summary>Largest window a peer may announce: less than half the 8-bit sequence space, as selective repeat needs.</summary>
    public const int MaxWindow = 64;

    /// <summary>Length of a reset's (and reset acknowledgement's) payload.</summary>
    public const int ResetLength = 8;

    /// <summary>True for the frame types that carry a sequence number to be acknowledged.</summary>
    public static bool IsData(ReliableFrameType type) => type is ReliableFrameType.NodeData or ReliableFrameType.HostMessage;

    /// <summary>CRC-8 (polynomial 0x07, initial value 0, no reflection, no final XOR; "123456789" gives 0xF4), the header check.</summary>
    public static byte Crc8(ReadOnlySpan<byte> bytes)
    {
        int crc = 0;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (crc & 0x80) != 0 ? (crc << 1) ^ 0x07 : crc << 1;
            crc &= 0xFF;
        }
        return (byte)crc;
    }

    /// <summary>CRC-16/IBM-3740 (polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR; "123456789" gives 0x29B1), the frame check.</summary>
    public static ushort Crc16(ReadOnlySpan<byte> bytes)
    {
        int crc = 0xFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b << 8;
            for (int i = 0; i < 8; i++) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            crc &= 0xFFFF;
        }
        return (ushort)crc;
    }

    /// <summary>The whole frame on the line: sync, type, sequence, length (LE), CRC-8 of those five, payload, CRC-16 (LE) of all before it.</summary>
    public static byte[] Encode(ReliableFrameType type, byte seq, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxFrame - Overhead)
            throw new ArgumentException($"A reliable frame carries at most {MaxFrame - Overhead} bytes, not {payload.Length}.", nameof(payload));
        var frame = new byte[payload.Length + Overhead];
        frame[0] = Sync;
        frame[1] = (byte)type;
        frame[2] = seq;
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(3), (ushort)payload.Length);
        frame[5] = Crc8(frame.AsSpan(0, 5));
        payload.CopyTo(frame.AsSpan(HeaderLength));
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(HeaderLength + payload.Length), Crc16(frame.AsSpan(0, HeaderLength + payload.Length)));
        return frame;
    }

    /// <summary>A reset's payload: version, window, largest frame taken (LE), session ID (LE).</summary>
    public static byte[] ResetPayload(int window, int maxFrame, uint sessionId)
    {
        var payload = new byte[ResetLength];
        payload[0] = Version;
        payload[1] = (byte)window;
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(2), (ushort)maxFrame);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), sessionId);
        return payload;
    }

    /// <summary>Reads a reset's payload; false when it is not one this version understands.</summary>
    public static bool TryReadReset(ReadOnlySpan<byte> payload, out int window, out int maxFrame, out uint sessionId)
    {
        window = maxFrame = 0;
        sessionId = 0;
        if (payload.Length < ResetLength || payload[0] != Version) return false;
        window = Math.Clamp((int)payload[1], 1, MaxWindow);
        maxFrame = Math.Clamp((int)BinaryPrimitives.ReadUInt16LittleEndian(payload[2..]), MinFrame, MaxFrame);
        sessionId = BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]);
        return true;
    }
}

/// <summary>
/// Finds reliable frames in bytes from the line, any split. After damage or garbage it resumes one byte after the start of
/// the rejected frame, so the earliest intact frame is always found. A frame longer than the receiver's buffer is damage.
/// </summary>
public sealed class ReliableFrameDecoder(int maxFrame)
{
    private readonly byte[] _buffer = new byte[2 * ReliableFrame.MaxFrame];
    private int _count;
    private bool _inStep = true;

    /// <summary>Largest frame accepted, overhead included.</summary>
    public int MaxFrame { get; set; } = Math.Clamp(maxFrame, ReliableFrame.MinFrame, ReliableFrame.MaxFrame);

    /// <summary>Runs of damaged or stray bytes seen (one per run, not per byte).</summary>
    public int Damaged { get; private set; }

    /// <summary>Takes bytes from the line and calls <paramref name="onFrame"/> for each intact frame in them.</summary>
    public void Append(ReadOnlySpan<byte> bytes, Action<ReliableFrame> onFrame)
    {
        while (bytes.Length > 0)
        {
            int n = Math.Min(bytes.Length, _buffer.Length - _count);
            bytes[..n].CopyTo(_buffer.AsSpan(_count));
            _count += n;
            bytes = bytes[n..];
            Decode(onFrame);
        }
    }

    private void Decode(Action<ReliableFrame> onFrame)
    {
        int at = 0;
        while (at < _count)
        {
            var rest = _buffer.AsSpan(at, _count - at);
            if (rest[0] != ReliableFrame.Sync || rest.Length >= ReliableFrame.HeaderLength && !HeaderHolds(rest))
            {
                Reject();
                at++;
                continue;
            }
            if (rest.Length < ReliableFrame.HeaderLength) break;
            int length = BinaryPrimitives.ReadUInt16LittleEndian(rest[3..]) + ReliableFrame.Overhead;
            if (rest.Length < length) break;
            ushort crc = BinaryPrimitives.ReadUInt16LittleEndian(rest[(length - 2)..]);
            if (crc != ReliableFrame.Crc16(rest[..(length - 2)]))
            {
                Reject();
                at++;
                continue;
            }
            _inStep = true;
            onFrame(new ReliableFrame((ReliableFrameType)rest[1], rest[2], rest[ReliableFrame.HeaderLength..(length - 2)].ToArray()));
            at += length;
        }
        // What is left moves to the front and the rest is zeroed: frames can carry keys.
        _buffer.AsSpan(at, _count - at).CopyTo(_buffer);
        _buffer.AsSpan(_count - at, at).Clear();
        _count -= at;
    }

    private bool HeaderHolds(ReadOnlySpan<byte> header)
        => header[5] == ReliableFrame.Crc8(header[..5])
           && Enum.IsDefined((ReliableFrameType)header[1])
           && BinaryPrimitives.ReadUInt16LittleEndian(header[3..]) + ReliableFrame.Overhead <= MaxFrame;

    private void Reject()
    {
        if (_inStep) Damaged++;
        _inStep = false;
    }
}
