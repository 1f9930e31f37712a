using System.Buffers.Binary;
using System.IO.Hashing;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Emcm;

/// <summary>Requests of the eMCM protocol (docs/emcm-protocol.md); an answer has the request's type with bit 7 set.</summary>
public enum EmcmMessageType : byte
{
    /// <summary>Identity and state.</summary>
    GetInfo = 0x01,
    /// <summary>Announces an image: target, size, SHA-256, version; answered with the bytes already held for it.</summary>
    ImageBegin = 0x02,
    /// <summary>Image bytes at an offset; answered with the bytes held.</summary>
    ImageChunk = 0x03,
    /// <summary>Checks the whole image against its SHA-256 and activates it.</summary>
    ImageCommit = 0x04,
    /// <summary>Makes a configuration slot already written the active one.</summary>
    ActivateConfig = 0x05,
    /// <summary>Writes the MCM key (16 bytes).</summary>
    WriteKey = 0x06,
    /// <summary>The MCM key's check value.</summary>
    KeyCheck = 0x07,
    /// <summary>Sets or clears quiet mode.</summary>
    SetQuiet = 0x08,
    /// <summary>Records the multi-stage operation passed.</summary>
    SetStage = 0x09,
    /// <summary>Talks to the meter and reports what it answered.</summary>
    CheckMeter = 0x0A,
    /// <summary>Secures the debug and flash interfaces.</summary>
    Lock = 0x0B,
}

/// <summary>The status byte that starts every eMCM answer: 0 for success, otherwise why the request failed.</summary>
public enum EmcmStatus : byte
{
    /// <summary>Done.</summary>
    Ok = 0x00,
    /// <summary>The request's payload is malformed.</summary>
    BadRequest = 0x01,
    /// <summary>The eMCM does not know the request type.</summary>
    UnknownRequest = 0x02,
    /// <summary>The request does not fit the eMCM's state (a chunk without ImageBegin, an empty slot activated).</summary>
    BadState = 0x03,
    /// <summary>The image held does not hash to the announced SHA-256: nothing activated.</summary>
    DigestMismatch = 0x04,
    /// <summary>The image is too large for its slot, or refused.</summary>
    ImageRejected = 0x05,
    /// <summary>The meter behind the eMCM does not answer (station code 164).</summary>
    MeterNotAnswering = 0x06,
    /// <summary>The eMCM's hardware failed the operation (station code 72).</summary>
    HardwareFailure = 0x07,
    /// <summary>Any other failure inside the eMCM.</summary>
    Internal = 0x08,
}

/// <summary>
/// One eMCM protocol frame, carried whole as one host message (docs/emcm-protocol.md, "Framing"):
/// <c>'E' 'M' version type seq length(u16 LE) payload CRC-32(LE)</c>. Its first byte (0x45) is also orw's host marker (anything
/// but 0x47), so the same bytes travel behind every wrapper. The CRC-32 is the IEEE one (as node frames use), over every byte
/// before it: orw's 8-bit checksum alone lets too much damage through.
/// </summary>
public static class EmcmFrame
{
    /// <summary>First magic byte, 'E'.</summary>
    public const byte Magic0 = 0x45;

    /// <summary>Second magic byte, 'M'.</summary>
    public const byte Magic1 = 0x4D;

    /// <summary>The protocol version this module speaks.</summary>
    public const byte Version = 1;

    /// <summary>Magic, version, type, seq, length.</summary>
    public const int HeaderLength = 7;

    /// <summary>CRC-32 at the end.</summary>
    public const int CrcLength = 4;

    /// <summary>Header and CRC.</summary>
    public const int Overhead = HeaderLength + CrcLength;

    /// <summary>The longest frame: what fits the guide's 512-byte host buffer behind orw (length and checksum take 3 bytes).</summary>
    public const int MaxLength = OrwWrapper.GuideHostBuffer - OrwWrapper.HostOverhead;

    /// <summary>The longest payload.</summary>
    public const int MaxPayload = MaxLength - Overhead;

    /// <summary>The shortest host channel the protocol runs on: the longest answer other than image data (GetInfo) fits.</summary>
    public const int MinChannel = 240;

    /// <summary>The answer type to <paramref name="request"/>.</summary>
    public static byte AnswerType(EmcmMessageType request) => (byte)((byte)request | 0x80);

    /// <summary>Writes a frame into <paramref name="destination"/> (at least <see cref="Overhead"/> + payload bytes); returns its length.</summary>
    public static int Encode(byte type, byte seq, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (payload.Length > MaxPayload)
            throw new ArgumentException($"An eMCM frame carries at most {MaxPayload} payload bytes; this one has {payload.Length}.", nameof(payload));
        destination[0] = Magic0;
        destination[1] = Magic1;
        destination[2] = Version;
        destination[3] = type;
        destination[4] = seq;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[5..], (ushort)payload.Length);
        payload.CopyTo(destination[HeaderLength..]);
        int crcAt = HeaderLength + payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[crcAt..], Crc32.HashToUInt32(destination[..crcAt]));
        return crcAt + CrcLength;
    }

    /// <summary>A new array holding the frame.</summary>
    public static byte[] Encode(byte type, byte seq, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[Overhead + payload.Length];
        Encode(type, seq, payload, frame);
        return frame;
    }

    /// <summary>
    /// Reads one whole frame. False (with <paramref name="damage"/> saying why) when the bytes are not exactly one intact frame
    /// of this version: wrong magic, a length that does not account for every byte, a CRC that does not hold.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> message, out byte type, out byte seq, out ReadOnlySpan<byte> payload, out string? damage)
    {
        type = seq = 0;
        payload = default;
        damage = Check(message, message.Length) switch
        {
            true => null,
            _ when message.Length >= 3 && message[0] == Magic0 && message[1] == Magic1 && message[2] != Version
                => $"eMCM protocol version {message[2]}, not {Version}",
            _ => message.Length < Overhead ? $"{message.Length} bytes are too short for an eMCM frame"
                : message[0] != Magic0 || message[1] != Magic1 ? "no eMCM magic"
                : BinaryPrimitives.ReadUInt16LittleEndian(message[5..]) + Overhead != message.Length ? "eMCM length does not match the message"
                : "eMCM CRC-32 mismatch",
        };
        if (damage is not null) return false;
        type = message[3];
        seq = message[4];
        payload = message.Slice(HeaderLength, message.Length - Overhead);
        return true;
    }

    /// <summary>
    /// The <see cref="HostMessageCheck"/> for wrappers: from the first bytes of a message of <paramref name="length"/> bytes, false
    /// as soon as the magic, version or length field rule it out, null while more are needed, and once whole, whether the CRC holds.
    /// </summary>
    public static bool? Check(ReadOnlySpan<byte> received, int length)
    {
        if (length < Overhead || length > MaxLength) return false;
        if (received.Length >= 1 && received[0] != Magic0) return false;
        if (received.Length >= 2 && received[1] != Magic1) return false;
        if (received.Length >= 3 && received[2] != Version) return false;
        if (received.Length >= HeaderLength && BinaryPrimitives.ReadUInt16LittleEndian(received[5..]) + Overhead != length) return false;
        if (received.Length < length) return null;
        var frame = received[..length];
        return BinaryPrimitives.ReadUInt32LittleEndian(frame[^CrcLength..]) == Crc32.HashToUInt32(frame[..^CrcLength]);
    }
}
