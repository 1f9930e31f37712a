using System.Buffers;
using System.Buffers.Binary;
using Provisioning.Core.Node;

namespace Provisioning.Core.Wrappers;

/// <summary>
/// The guide's example encapsulation (Appendix B, Figure 5 and B.2.1), byte for byte:
/// <c>[length lo][length hi][0x47][node message][checksum]</c>, where length counts the node message plus these
/// 4 bytes and the checksum is the sum of every byte before it, modulo 256. Messages whose third byte is not 0x47
/// are the host platform's own traffic. Messages are at most 512 bytes in all by default: the guide's host code
/// (B.2.2) receives into <c>foobar_rxBuf[512]</c>.
/// </summary>
/// <remarks>
/// The guide's pseudo-code leaves recovery from damage open. Here a node message is accepted only when its checksum holds
/// <em>and</em> the node frame inside it is whole and intact (sync byte, frame length matching the orw length, CRC-32);
/// otherwise scanning resumes one byte later, so the earliest intact message after damage is always found and none is
/// skipped. An 8-bit checksum alone cannot tell a host message from noise, so after damage host messages are taken
/// again only once an intact node message has put the decoder back in step, or when the host protocol's own check
/// (<see cref="TransportWrapper.HostMessageCheck"/>, e.g. the eMCM protocol's CRC-32) vouches for one.
/// </remarks>
[TransportWrapperName(TransportWrappers.Orw)]
public sealed class OrwWrapper : TransportWrapper
{
    /// <summary>The byte that marks a message for (or from) the node.</summary>
    public const byte NodeMarker = 0x47;

    /// <summary>Length, marker and checksum.</summary>
    public const int WrapperOverhead = 4;

    /// <summary>Longest wrapped message accepted: a node frame at its longest plus the overhead. Longer lengths are taken as damage.</summary>
    public const int MaxWrappedLength = NodeFrame.MaxLength + WrapperOverhead;

    /// <summary>The guide's host receive buffer (B.2.2 <c>foobar_rxBuf[512]</c>): the largest message sent by default.</summary>
    public const int GuideHostBuffer = 512;

    private byte[] _buffer = new byte[2 * MaxWrappedLength];
    private int _count;
    // In step: the next byte starts a message (at the start, and after an accepted one). Out of step after damage.
    private bool _inStep = true;

    /// <inheritdoc/>
    public override string Name => TransportWrappers.Orw;

    /// <inheritdoc/>
    public override int Overhead => WrapperOverhead;

    /// <inheritdoc/>
    public override int MaxMessageSize => GuideHostBuffer;

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
    public override bool CarriesHostMessages => true;

    /// <summary>Length and checksum: the host message itself starts with its marker byte (anything but 0x47).</summary>
    public const int HostOverhead = 3;

    /// <inheritdoc/>
    public override int MaxHostMessageSize(int maxMessageSize) => Math.Min(maxMessageSize, MaxWrappedLength) - HostOverhead;

    /// <summary>
    /// Writes <c>[length lo][length hi][host message][checksum]</c>: the host message's first byte is its marker (the guide's host
    /// code uses 0x00) and must not be 0x47, which marks node messages. What <see cref="TransportWrapper.Ingress"/> hands to
    /// <see cref="IWrapperSink.OnHostMessage"/> on the other end is exactly <paramref name="hostMessage"/>.
    /// </summary>
    public override void EgressHost(ReadOnlySpan<byte> hostMessage, IBufferWriter<byte> line)
    {
        if (hostMessage.Length == 0 || hostMessage[0] == NodeMarker)
            throw new ArgumentException($"An orw host message starts with a marker byte other than 0x{NodeMarker:X2} (which marks node messages).", nameof(hostMessage));
        int length = hostMessage.Length + HostOverhead;
        if (length > MaxWrappedLength)
            throw new ArgumentException($"The orw wrapper carries host messages of at most {MaxWrappedLength - HostOverhead} bytes; this one has {hostMessage.Length}.", nameof(hostMessage));
        var span = line.GetSpan(length);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)length);
        hostMessage.CopyTo(span[2..]);
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
    public override void Reset()
    {
        Consume(_count);
        _inStep = true;
    }

    private void Unwrap(IWrapperSink sink)
    {
        int at = 0;
        while (_count - at >= 3)
        {
            var verdict = Judge(at, out int length, out string? damage);
            if (verdict == Verdict.Wait) break;
            if (verdict == Verdict.Damaged)
            {
                // One report per run of damage: scanning on through it byte by byte is not news.
                if (_inStep && damage is not null) sink.OnDamaged(damage);
                _inStep = false;
                at++;
                continue;
            }
            var message = _buffer.AsSpan(at, length);
            if (verdict == Verdict.Node) sink.OnNodeBytes(message[3..^1]);
            else sink.OnHostMessage(message[2..^1]);
            _inStep = true;
            at += length;
        }
        Consume(at);
    }

    private enum Verdict { Wait, Damaged, Node, Host }

    /// <summary>What the bytes at <paramref name="at"/> are: an intact node or host message, damage, or not known until more arrive.</summary>
    private Verdict Judge(int at, out int length, out string? damage)
    {
        int available = _count - at;
        var bytes = _buffer.AsSpan(at, available);
        length = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        if (length < WrapperOverhead || length > MaxWrappedLength)
        {
            damage = $"orw length {length} is outside {WrapperOverhead}..{MaxWrappedLength}";
            return Verdict.Damaged;
        }
        if (bytes[2] == NodeMarker) return JudgeNode(at, out damage);
        damage = null;
        if (HostMessageCheck is { } check)
        {
            // The host protocol's own check vouches for a host message, in step or not, and rules a damaged one out from its
            // first bytes: a damaged orw length then never makes the decoder wait for bytes that will not come.
            bool? intact = check(bytes.Slice(2, Math.Min(available, length - 1) - 2), length - 3);
            if (intact == false)
            {
                damage = "orw host message fails the host protocol's check";
                return Verdict.Damaged;
            }
            if (available < length) return Verdict.Wait;
            if (intact != true) return Verdict.Damaged;
        }
        // Out of step, a host message cannot be told from noise by its 8-bit checksum alone: wait for a node message.
        else if (!_inStep) return Verdict.Damaged;
        else if (available < length) return Verdict.Wait;
        if (bytes[length - 1] != Checksum(bytes[..(length - 1)]))
        {
            damage = "orw checksum mismatch";
            return Verdict.Damaged;
        }
        // A dropped byte can make the start of a node message look like a host message whose checksum holds by chance
        // (1 in 256): it must not swallow an intact node message.
        for (int p = at + 1; p < at + length && _count - p >= 3; p++)
        {
            if (_buffer[p + 2] != NodeMarker) continue;
            var inside = JudgeNode(p, out _);
            if (inside == Verdict.Wait) return Verdict.Wait;
            if (inside == Verdict.Node)
            {
                damage = "orw host message would hide an intact node message";
                return Verdict.Damaged;
            }
        }
        return Verdict.Host;
    }

    /// <summary>
    /// A node message holds exactly one node frame: its header must agree with the orw length before the rest is awaited,
    /// so a damaged length is seen at once instead of after the bytes it announces; then checksum and CRC-32 must hold.
    /// </summary>
    private Verdict JudgeNode(int at, out string? damage)
    {
        int available = _count - at;
        var bytes = _buffer.AsSpan(at, available);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        int frameLength = length - WrapperOverhead;
        damage = null;
        if (length > MaxWrappedLength || frameLength < NodeFrame.Overhead || available > 3 && bytes[3] != NodeFrame.Sync)
        {
            damage = "orw message does not hold a node frame";
            return Verdict.Damaged;
        }
        if (available >= 3 + NodeFrame.HeaderLength && BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]) + NodeFrame.Overhead != frameLength)
        {
            damage = $"orw length {length} does not match the node frame inside";
            return Verdict.Damaged;
        }
        if (available < length) return Verdict.Wait;
        if (bytes[length - 1] != Checksum(bytes[..(length - 1)]))
        {
            damage = "orw checksum mismatch";
            return Verdict.Damaged;
        }
        if (!NodeFrame.IsIntact(bytes.Slice(3, frameLength)))
        {
            damage = "orw checksum holds but the node frame inside is damaged (CRC-32)";
            return Verdict.Damaged;
        }
        return Verdict.Node;
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
