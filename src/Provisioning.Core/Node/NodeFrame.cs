using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace Provisioning.Core.Node;

/// <summary>
/// One node protocol frame (docs/node-protocol.md): sync 0xA5, type, seq, u16 payload length, payload, CRC-32.
/// The payload of a decoded frame points into the decoder's buffer and is valid until the decoder is used again.
/// </summary>
internal readonly record struct NodeFrame(byte Type, byte Seq, ReadOnlyMemory<byte> Payload)
{
    public const byte Sync = 0xA5;
    public const int HeaderLength = 5;
    public const int CrcLength = 4;
    public const int Overhead = HeaderLength + CrcLength;
    public const int MaxPayload = 8192;
    public const int MaxLength = MaxPayload + Overhead;

    /// <summary>Type of the response to request <paramref name="requestType"/>.</summary>
    public static byte ResponseType(byte requestType) => (byte)(requestType | 0x80);

    /// <summary>Writes a whole frame into <paramref name="destination"/> (at least <see cref="Overhead"/> + payload bytes); returns its length.</summary>
    public static int Encode(byte type, byte seq, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (payload.Length > MaxPayload)
            throw new ArgumentException($"A node message payload holds at most {MaxPayload} bytes; this one has {payload.Length}.", nameof(payload));
        destination[0] = Sync;
        destination[1] = type;
        destination[2] = seq;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[3..], (ushort)payload.Length);
        payload.CopyTo(destination[HeaderLength..]);
        int crcAt = HeaderLength + payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[crcAt..], Crc32.HashToUInt32(destination[..crcAt]));
        return crcAt + CrcLength;
    }

    /// <summary>True when <paramref name="frame"/> is exactly one whole frame: sync byte, a length that accounts for every byte, and a good CRC-32.</summary>
    public static bool IsIntact(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < Overhead || frame[0] != Sync) return false;
        if (BinaryPrimitives.ReadUInt16LittleEndian(frame[3..]) + Overhead != frame.Length) return false;
        return BinaryPrimitives.ReadUInt32LittleEndian(frame[^CrcLength..]) == Crc32.HashToUInt32(frame[..^CrcLength]);
    }
}

/// <summary>
/// Finds frames in a byte stream that may hold garbage, damaged frames or frames split anywhere.
/// On a bad length or CRC it drops one byte and scans again for the sync byte, so one damaged frame never
/// hides the next. Bytes it has consumed are zeroed (frames can carry keys).
/// </summary>
internal sealed class NodeFrameDecoder
{
    private byte[] _buffer = new byte[2 * NodeFrame.MaxLength];
    private int _start, _end;
    private int _lastFrameLength;

    /// <summary>Frames dropped because their CRC or length was wrong.</summary>
    public int DamagedFrames { get; private set; }

    /// <summary>Adds bytes from the line.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        ReleaseLastFrame();
        while (bytes.Length > 0)
        {
            if (_end == _buffer.Length) Compact();
            if (_end == _buffer.Length)
            {
                // A read larger than the buffer before TryRead drained it: grow (the old copy is zeroed).
                var larger = new byte[_buffer.Length * 2];
                _buffer.AsSpan(0, _end).CopyTo(larger);
                _buffer.AsSpan().Clear();
                _buffer = larger;
            }
            int n = Math.Min(bytes.Length, _buffer.Length - _end);
            bytes[..n].CopyTo(_buffer.AsSpan(_end));
            _end += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>The next whole, intact frame, if the buffer holds one; its payload is valid until the next call.</summary>
    public bool TryRead(out NodeFrame frame)
    {
        ReleaseLastFrame();
        while (true)
        {
            int sync = _buffer.AsSpan(_start, _end - _start).IndexOf(NodeFrame.Sync);
            if (sync < 0)
            {
                Discard(_end - _start);
                break;
            }
            Discard(sync);
            if (_end - _start < NodeFrame.HeaderLength) break;
            int length = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(_start + 3));
            if (length > NodeFrame.MaxPayload)
            {
                DamagedFrames++;
                Discard(1);
                continue;
            }
            int total = length + NodeFrame.Overhead;
            if (_end - _start < total)
            {
                // Frames never overlap: an intact frame after this start proves its length was damage, so a
                // garbled header does not hold the link until a whole bogus length has arrived.
                int later = FindIntactFrame(_start + 1);
                if (later < 0) break;
                DamagedFrames++;
                Discard(later - _start);
                continue;
            }
            if (!IsIntact(_start, total))
            {
                DamagedFrames++;
                Discard(1);
                continue;
            }
            frame = new NodeFrame(_buffer[_start + 1], _buffer[_start + 2], _buffer.AsMemory(_start + NodeFrame.HeaderLength, length));
            _lastFrameLength = total;
            return true;
        }
        frame = default;
        return false;
    }

    private bool IsIntact(int at, int total) => NodeFrame.IsIntact(_buffer.AsSpan(at, total));

    /// <summary>Start of the first complete frame with a good CRC at or after <paramref name="from"/>, or -1.</summary>
    private int FindIntactFrame(int from)
    {
        for (int at = from; at <= _end - NodeFrame.Overhead; at++)
        {
            int found = _buffer.AsSpan(at, _end - at).IndexOf(NodeFrame.Sync);
            if (found < 0) return -1;
            at += found;
            if (_end - at < NodeFrame.HeaderLength) return -1;
            int total = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(at + 3)) + NodeFrame.Overhead;
            if (total <= NodeFrame.MaxLength && _end - at >= total && IsIntact(at, total)) return at;
        }
        return -1;
    }

    /// <summary>Forgets buffered bytes (after a link restart).</summary>
    public void Reset()
    {
        _lastFrameLength = 0;
        Discard(_end - _start);
    }

    private void ReleaseLastFrame()
    {
        if (_lastFrameLength == 0) return;
        Discard(_lastFrameLength);
        _lastFrameLength = 0;
    }

    private void Discard(int count)
    {
        _buffer.AsSpan(_start, count).Clear();
        _start += count;
        if (_start == _end) _start = _end = 0;
    }

    private void Compact()
    {
        if (_start == 0) return;
        int length = _end - _start;
        _buffer.AsSpan(_start, length).CopyTo(_buffer);
        _buffer.AsSpan(length, _end - length).Clear();
        _start = 0;
        _end = length;
    }
}
