using System.Buffers;
using System.Buffers.Binary;

namespace Provisioning.Core.Wrappers;

/// <summary>
/// The guide's example encapsulation (Appendix B, Figure 5 and B.2.1), byte for byte:
/// <c>[length lo][length hi][0x47][node message][checksum]</c>, where length counts the node message plus these
/// 4 bytes and the checksum is the sum of every byte before it, modulo 256. Messages whose third byte is not 0x47
/// are the host platform's own traffic.
/// </summary>
/// <remarks>
/// The guide's pseudo-code leaves recovery from a bad checksum open. Here a bad checksum or an impossible length
/// drops one byte and the length is parsed again from the next one. A damaged length that announces more bytes than
/// will come is given up as soon as an intact message has arrived after it, so it cannot wedge the link.
/// </remarks>
[TransportWrapperName(TransportWrappers.Orw)]
public sealed class OrwWrapper : TransportWrapper
{
    /// <summary>The byte that marks a message for (or from) the node.</summary>
    public const byte NodeMarker = 0x47;

    /// <summary>Length, marker and checksum.</summary>
    public const int WrapperOverhead = 4;

    /// <summary>Longest wrapped message accepted: a node frame at its longest plus the overhead. Longer lengths are taken as damage.</summary>
    public const int MaxWrappedLength = 8192 + 9 + WrapperOverhead;

    private byte[] _buffer = new byte[2 * MaxWrappedLength];
    private int _count;

    /// <inheritdoc/>
    public override string Name => TransportWrappers.Orw;

    /// <inheritdoc/>
    public override int Overhead => WrapperOverhead;

    /// <summary>The guide's <c>checksum</c>: the sum of the bytes, modulo 256.</summary>
    public static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        int sum = 0;
        foreach (byte b in bytes) sum += b;
        return (byte)sum;
    }

    /// <inheritdoc/>
    public override void Egress(ReadOnlySpan<byte> nodeMessage, IBufferWriter<byte> line)
    {
        int length = nodeMessage.Length + WrapperOverhead;
        if (length > ushort.MaxValue)
            throw new ArgumentException($"The orw wrapper carries node messages of at most {ushort.MaxValue - WrapperOverhead} bytes; this one has {nodeMessage.Length}.", nameof(nodeMessage));
        var span = line.GetSpan(length);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)length);
        span[2] = NodeMarker;
        nodeMessage.CopyTo(span[3..]);
        span[length - 1] = Checksum(span[..(length - 1)]);
        line.Advance(length);
    }

    /// <inheritdoc/>
    public override void Ingress(ReadOnlySpan<byte> lineBytes, IWrapperSink sink)
    {
        while (lineBytes.Length > 0)
        {
            int n = Math.Min(lineBytes.Length, _buffer.Length - _count);
            lineBytes[..n].CopyTo(_buffer.AsSpan(_count));
            _count += n;
            lineBytes = lineBytes[n..];
            Unwrap(sink);
        }
    }

    /// <inheritdoc/>
    public override void Reset() => Consume(_count);

    private void Unwrap(IWrapperSink sink)
    {
        int at = 0;
        while (_count - at >= 2)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(at));
            if (length < WrapperOverhead || length > MaxWrappedLength)
            {
                sink.OnDamaged($"orw length {length} is outside {WrapperOverhead}..{MaxWrappedLength}");
                at++;
                continue;
            }
            if (_count - at < length)
            {
                int intact = IntactMessageEndingHere(at + 1);
                if (intact < 0) break;
                sink.OnDamaged($"orw length {length} announced more bytes than came before an intact message");
                at = intact;
                continue;
            }
            var message = _buffer.AsSpan(at, length);
            if (message[^1] != Checksum(message[..^1]))
            {
                sink.OnDamaged("orw checksum mismatch");
                at++;
                continue;
            }
            if (message[2] == NodeMarker) sink.OnNodeBytes(message[3..^1]);
            else sink.OnHostMessage(message[2..^1]);
            at += length;
        }
        Consume(at);
    }

    /// <summary>
    /// Where an intact wrapped message starts that ends exactly at the last byte received, or -1. A damaged length can
    /// announce more bytes than will ever come; when a whole intact message has arrived after it, the sender has moved on
    /// and what came before is damage. Random bytes pass the three checks (length to the end, marker, checksum) with a
    /// chance of about 2^-32 per position, so a long message still arriving is not cut short.
    /// </summary>
    private int IntactMessageEndingHere(int from)
    {
        for (int p = from; p <= _count - WrapperOverhead; p++)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(p));
            if (p + length != _count || length < WrapperOverhead || _buffer[p + 2] != NodeMarker) continue;
            if (_buffer[_count - 1] == Checksum(_buffer.AsSpan(p, length - 1))) return p;
        }
        return -1;
    }

    // Moves what is left to the front and zeroes the rest: wrapped node messages can carry keys.
    private void Consume(int count)
    {
        int rest = _count - count;
        _buffer.AsSpan(count, rest).CopyTo(_buffer);
        _buffer.AsSpan(rest, _count - rest).Clear();
        _count = rest;
    }
}
