using System.Buffers.Binary;
using System.Text;

namespace Provisioning.Core.Node;

/// <summary>Request types of the node protocol (docs/node-protocol.md); a response has the request's type with bit 7 set.</summary>
public enum NodeMessageType : byte
{
    /// <summary>What the node is and holds.</summary>
    GetInfo = 0x01,
    /// <summary>Starts (or resumes) an image transfer.</summary>
    ImageBegin = 0x02,
    /// <summary>One piece of an image.</summary>
    ImageChunk = 0x03,
    /// <summary>Checks and activates an image.</summary>
    ImageCommit = 0x04,
    /// <summary>Writes a key into a slot.</summary>
    KeyWrite = 0x05,
    /// <summary>Asks for the key check values.</summary>
    KeyCheck = 0x06,
    /// <summary>Secures interfaces.</summary>
    Lock = 0x07,
    /// <summary>Restarts the node.</summary>
    Reset = 0x08,
    /// <summary>The node's error answer.</summary>
    Error = 0xFF,
}

/// <summary>Writes a payload field by field (little-endian) into a span the caller owns, so key bytes can be zeroed after use.</summary>
internal ref struct PayloadWriter(Span<byte> destination)
{
    private readonly Span<byte> _destination = destination;

    public int Length { get; private set; }

    public void U8(byte value) => _destination[Length++] = value;

    public void U16(ushort value) { BinaryPrimitives.WriteUInt16LittleEndian(_destination[Length..], value); Length += 2; }

    public void U32(uint value) { BinaryPrimitives.WriteUInt32LittleEndian(_destination[Length..], value); Length += 4; }

    public void Bytes(ReadOnlySpan<byte> value) { value.CopyTo(_destination[Length..]); Length += value.Length; }

    /// <summary>A 32-byte digest; empty means none (all zero).</summary>
    public void Digest(ReadOnlySpan<byte> digest)
    {
        if (digest.Length is not (0 or NodeMessages.DigestLength))
            throw new ArgumentException($"A digest is {NodeMessages.DigestLength} bytes (SHA-256); got {digest.Length}.", nameof(digest));
        var field = _destination.Slice(Length, NodeMessages.DigestLength);
        if (digest.IsEmpty) field.Clear(); else digest.CopyTo(field);
        Length += NodeMessages.DigestLength;
    }

    /// <summary>u8 length + UTF-8.</summary>
    public void Str(string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        if (count > byte.MaxValue)
            throw new ArgumentException($"'{value[..Math.Min(value.Length, 40)]}…' is {count} bytes in UTF-8; node protocol strings hold at most 255.", nameof(value));
        U8((byte)count);
        Length += Encoding.UTF8.GetBytes(value, _destination[Length..]);
    }
}

/// <summary>Reads a payload field by field; a payload too short for its fields throws <see cref="FormatException"/>.</summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> payload)
{
    private readonly ReadOnlySpan<byte> _payload = payload;
    private int _at;

    public readonly ReadOnlySpan<byte> Rest => _payload[_at..];

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ReadOnlySpan<byte> Bytes(int count) => Take(count);

    public byte[] Digest() => Take(NodeMessages.DigestLength).ToArray();

    public string Str() => Encoding.UTF8.GetString(Take(U8()));

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_payload.Length - _at < count)
            throw new FormatException($"The payload ends after {_payload.Length} bytes, before a field that needs {count} more at offset {_at}.");
        var span = _payload.Slice(_at, count);
        _at += count;
        return span;
    }
}

/// <summary>Payloads of every node protocol message (docs/node-protocol.md), both directions.</summary>
internal static class NodeMessages
{
    public const byte ProtocolVersion = 1;
    public const int DigestLength = 32;
    public const int KeyLength = 16;
    public const int KcvLength = 3;
    private static readonly byte[] NoKcv = new byte[KcvLength];

    /// <summary>Bytes before the data in an ImageChunk payload: target and offset.</summary>
    public const int ChunkHeaderLength = 5;

    /// <summary>Largest GetInfo response payload (three strings at their longest).</summary>
    public const int MaxInfoLength = 1 + 4 + 3 * 256 + DigestLength + 1 + 2 + 4 + 2 * DigestLength + 1 + 1 + 2 + 1 + KcvLength;

    public static int WriteInfo(NodeInfo info, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8(info.ProtocolVersion);
        w.U32(info.NodeId);
        w.Str(info.NodeType);
        w.Str(info.HardwareType);
        w.Str(info.FirmwareVersion);
        w.Digest(info.FirmwareDigest);
        w.U8((byte)info.Calibration);
        w.U16(info.CalibrationVersion);
        w.U32(info.ConfigCapacity);
        w.Digest(info.FieldConfigDigest);
        w.Digest(info.FactoryConfigDigest);
        w.U8((byte)info.Locks);
        w.U8((byte)info.Keys);
        w.U16(info.MaxChunk);
        w.U8(info.Window);
        // The root key's check value; all zero (and keys bit 2 clear) when the node holds no root key.
        w.Bytes(info.RootKeyCheckValue is { } kcv ? kcv.AsSpan(0, KcvLength) : NoKcv);
        return w.Length;
    }

    public static NodeInfo ReadInfo(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload);
        var info = new NodeInfo(
            ProtocolVersion: r.U8(), NodeId: r.U32(), NodeType: r.Str(), HardwareType: r.Str(), FirmwareVersion: r.Str(),
            FirmwareDigest: r.Digest(), Calibration: (CalibrationStatus)r.U8(), CalibrationVersion: r.U16(), ConfigCapacity: r.U32(),
            FieldConfigDigest: r.Digest(), FactoryConfigDigest: r.Digest(), Locks: (NodeLockFlags)r.U8(), Keys: (NodeKeySlots)r.U8(),
            MaxChunk: r.U16(), Window: r.U8());
        // A node that leaves the field out (an older answer) reports no check value: the station then cannot resolve from it.
        byte[]? rootKcv = r.Rest.Length >= KcvLength ? r.Bytes(KcvLength).ToArray() : null;
        return (info.Keys & NodeKeySlots.Root) != 0 && rootKcv is not null ? info with { RootKeyCheckValue = rootKcv } : info;
    }

    public static int WriteImageBegin(NodeImageTarget target, uint size, ReadOnlySpan<byte> sha256, string version, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)target);
        w.U32(size);
        w.Digest(sha256);
        w.Str(version);
        return w.Length;
    }

    public static ImageBegin ReadImageBegin(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload);
        return new ImageBegin((NodeImageTarget)r.U8(), r.U32(), r.Digest(), r.Str());
    }

    public static int WriteChunkHeader(NodeImageTarget target, uint offset, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)target);
        w.U32(offset);
        return w.Length;
    }

    /// <summary>Target, offset and the data (the rest of the payload).</summary>
    public static (NodeImageTarget Target, uint Offset) ReadChunk(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> data)
    {
        var r = new PayloadReader(payload);
        var target = (NodeImageTarget)r.U8();
        uint offset = r.U32();
        data = r.Rest;
        return (target, offset);
    }

    public static int WriteKey(NodeKeySlot slot, ReadOnlySpan<byte> key, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)slot);
        w.U8((byte)key.Length);
        w.Bytes(key);
        return w.Length;
    }

    /// <summary>The slot and the key bytes (a slice of <paramref name="payload"/>; the caller zeroes what it copies).</summary>
    public static NodeKeySlot ReadKey(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> key)
    {
        var r = new PayloadReader(payload);
        var slot = (NodeKeySlot)r.U8();
        key = r.Bytes(r.U8());
        return slot;
    }

    public static int WriteKeyCheckValues(IReadOnlyList<(NodeKeySlot Slot, byte[] Kcv)> values, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)values.Count);
        foreach (var (slot, kcv) in values)
        {
            w.U8((byte)slot);
            w.Bytes(kcv.AsSpan(0, KcvLength));
        }
        return w.Length;
    }

    public static Dictionary<NodeKeySlot, byte[]> ReadKeyCheckValues(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload);
        int count = r.U8();
        var values = new Dictionary<NodeKeySlot, byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            var slot = (NodeKeySlot)r.U8();
            values[slot] = r.Bytes(KcvLength).ToArray();
        }
        return values;
    }

    public static int WriteU32(uint value, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, value);
        return 4;
    }

    public static uint ReadU32(ReadOnlySpan<byte> payload) => new PayloadReader(payload).U32();

    public static int WriteError(NodeErrorCode code, string message, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)code);
        // The node's text is advisory: cut it to fit a protocol string rather than fail the answer.
        while (Encoding.UTF8.GetByteCount(message) > byte.MaxValue) message = message[..^1];
        w.Str(message);
        return w.Length;
    }

    public static (NodeErrorCode Code, string Message) ReadError(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload);
        return ((NodeErrorCode)r.U8(), r.Str());
    }
}

/// <summary>An ImageBegin request as the node reads it.</summary>
internal sealed record ImageBegin(NodeImageTarget Target, uint Size, byte[] Sha256, string Version);
