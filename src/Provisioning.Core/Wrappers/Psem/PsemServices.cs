using System.Buffers.Binary;

namespace Provisioning.Core.Wrappers.Psem;

/// <summary>C12.18 response codes: the first byte of every response.</summary>
public enum PsemResponseCode : byte
{
    /// <summary>ok: acknowledge, request accepted.</summary>
    Ok = 0x00,
    /// <summary>err: error, request rejected.</summary>
    Err = 0x01,
    /// <summary>sns: service not supported.</summary>
    Sns = 0x02,
    /// <summary>isc: insufficient security clearance.</summary>
    Isc = 0x03,
    /// <summary>onp: operation not possible.</summary>
    Onp = 0x04,
    /// <summary>iar: inappropriate action requested.</summary>
    Iar = 0x05,
    /// <summary>bsy: device busy.</summary>
    Bsy = 0x06,
    /// <summary>dnr: data not ready.</summary>
    Dnr = 0x07,
    /// <summary>dlk: data locked.</summary>
    Dlk = 0x08,
    /// <summary>rno: renegotiate request.</summary>
    Rno = 0x09,
    /// <summary>isss: invalid service sequence state.</summary>
    Isss = 0x0A,
}

/// <summary>C12.18 service (request) codes.</summary>
public static class PsemService
{
    /// <summary>Identification: starts a session from the base state.</summary>
    public const byte Identification = 0x20;
    /// <summary>Terminate: ends the session (back to the base state).</summary>
    public const byte Terminate = 0x21;
    /// <summary>Full table read.</summary>
    public const byte ReadFull = 0x30;
    /// <summary>Partial table read by offset.</summary>
    public const byte ReadOffset = 0x3F;
    /// <summary>Full table write.</summary>
    public const byte WriteFull = 0x40;
    /// <summary>Partial table write by offset.</summary>
    public const byte WriteOffset = 0x4F;
    /// <summary>Logon: user ID and name.</summary>
    public const byte Logon = 0x50;
    /// <summary>Security: the 20-byte password.</summary>
    public const byte Security = 0x51;
    /// <summary>Logoff.</summary>
    public const byte Logoff = 0x52;
    /// <summary>Negotiate with no baud rate (0x60); 0x61..0x6B carry 1..11 baud rate codes.</summary>
    public const byte Negotiate = 0x60;
    /// <summary>Negotiate with eleven baud rates, the most a request carries.</summary>
    public const byte NegotiateLast = 0x6B;
    /// <summary>Wait: keep the session open this many seconds without traffic.</summary>
    public const byte Wait = 0x70;

    /// <summary>The standard's name of a service code, for logs.</summary>
    public static string Name(byte code) => code switch
    {
        Identification => "Identification",
        Terminate => "Terminate",
        ReadFull => "Read",
        ReadOffset => "Read (offset)",
        WriteFull => "Write",
        WriteOffset => "Write (offset)",
        Logon => "Logon",
        Security => "Security",
        Logoff => "Logoff",
        >= Negotiate and <= NegotiateLast => "Negotiate",
        Wait => "Wait",
        _ => $"service 0x{code:X2}",
    };
}

/// <summary>
/// The C12.18 baud rate codes of Negotiate: 0x00 externally defined, 0x01..0x0A for 300, 600, 1200, 2400, 4800, 9600,
/// 14400, 19200, 28800 and 57600 baud. Codes above 0x0A are not offered and, in a response, are refused as unknown.
/// </summary>
public static class PsemBaudRates
{
    private static readonly int[] Rates = [0, 300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 28800, 57600];

    /// <summary>The code of <paramref name="baudRate"/>, or null when the standard has none for it.</summary>
    public static byte? Code(int baudRate)
    {
        int i = Array.IndexOf(Rates, baudRate);
        return i > 0 ? (byte)i : null;
    }

    /// <summary>The rate of <paramref name="code"/>; null for 0 (externally defined) and unknown codes.</summary>
    public static int? Rate(byte code) => code > 0 && code < Rates.Length ? Rates[code] : null;
}

/// <summary>The answer to Negotiate.</summary>
/// <param name="PacketSize">Packet size both sides use from now on.</param>
/// <param name="MaxPackets">Packets per message.</param>
/// <param name="BaudRateCode">The baud rate chosen (one of those offered), or null when the response carried none (no change).</param>
public sealed record PsemNegotiated(int PacketSize, int MaxPackets, byte? BaudRateCode);

/// <summary>The answer to Identification.</summary>
/// <param name="Standard">Reference standard: 0 for C12.18.</param>
/// <param name="Version">Standard version.</param>
/// <param name="Revision">Standard revision.</param>
public sealed record PsemIdentity(byte Standard, byte Version, byte Revision);

/// <summary>Builds and reads the C12.18 requests and responses the opt_psem wrapper uses (docs/wrappers.md, "opt_psem").</summary>
public static class PsemCodec
{
    /// <summary>Length of the Logon user field.</summary>
    public const int UserLength = 10;

    /// <summary>Length of the Security password field.</summary>
    public const int PasswordLength = 20;

    /// <summary>Bytes a partial write adds to the data it carries: code, table, offset, count, checksum.</summary>
    public const int WriteOffsetOverhead = 1 + 2 + 3 + 2 + 1;

    /// <summary>Bytes a full write adds to the data it carries: code, table, count, checksum.</summary>
    public const int WriteFullOverhead = 1 + 2 + 2 + 1;

    /// <summary>Bytes a read response adds to the data it carries: ok, count, checksum.</summary>
    public const int ReadResponseOverhead = 1 + 2 + 1;

    /// <summary>The table data checksum: the two's complement of the sum of the bytes, so bytes and checksum sum to 0.</summary>
    public static byte Checksum(ReadOnlySpan<byte> data)
    {
        int sum = 0;
        foreach (byte b in data) sum += b;
        return (byte)-sum;
    }

    /// <summary><c>20</c>.</summary>
    public static byte[] Identification() => [PsemService.Identification];

    /// <summary><c>21</c>.</summary>
    public static byte[] Terminate() => [PsemService.Terminate];

    /// <summary><c>52</c>.</summary>
    public static byte[] Logoff() => [PsemService.Logoff];

    /// <summary><c>70 time</c>: keep the session open <paramref name="seconds"/> without traffic.</summary>
    public static byte[] Wait(byte seconds) => [PsemService.Wait, seconds];

    /// <summary><c>6n size(2) packets baud*n</c>: 0x60 without baud rates (no change), 0x61..0x6B with 1..11 codes.</summary>
    public static byte[] Negotiate(int packetSize, int maxPackets, ReadOnlySpan<byte> baudRateCodes)
    {
        if (baudRateCodes.Length > 11) throw new ArgumentException("Negotiate carries at most 11 baud rates.", nameof(baudRateCodes));
        var request = new byte[4 + baudRateCodes.Length];
        request[0] = (byte)(PsemService.Negotiate + baudRateCodes.Length);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(1), (ushort)packetSize);
        request[3] = (byte)maxPackets;
        baudRateCodes.CopyTo(request.AsSpan(4));
        return request;
    }

    /// <summary><c>50 user-id(2) user(10)</c>: the user name in ASCII, padded with spaces.</summary>
    public static byte[] Logon(ushort userId, string user)
    {
        var request = new byte[3 + UserLength];
        request[0] = PsemService.Logon;
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(1), userId);
        request.AsSpan(3).Fill((byte)' ');
        System.Text.Encoding.ASCII.GetBytes(user.Length > UserLength ? user[..UserLength] : user, request.AsSpan(3));
        return request;
    }

    /// <summary>
    /// <c>51 password(20)</c>: <paramref name="password"/> bytes padded with spaces. The caller zeroes the result after sending.
    /// </summary>
    public static byte[] Security(ReadOnlySpan<byte> password)
    {
        if (password.Length > PasswordLength)
            throw new ArgumentException($"A C12.18 password is at most {PasswordLength} bytes; this one has {password.Length}.", nameof(password));
        var request = new byte[1 + PasswordLength];
        request[0] = PsemService.Security;
        request.AsSpan(1).Fill((byte)' ');
        password.CopyTo(request.AsSpan(1));
        return request;
    }

    /// <summary><c>30 table(2)</c>.</summary>
    public static byte[] ReadFull(ushort table)
    {
        var request = new byte[3];
        request[0] = PsemService.ReadFull;
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(1), table);
        return request;
    }

    /// <summary><c>3F table(2) offset(3) count(2)</c>.</summary>
    public static byte[] ReadOffset(ushort table, int offset, int count)
    {
        var request = new byte[8];
        request[0] = PsemService.ReadOffset;
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(1), table);
        WriteOffset24(request.AsSpan(3), offset);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), (ushort)count);
        return request;
    }

    /// <summary><c>40 table(2) count(2) data checksum</c>.</summary>
    public static byte[] WriteFull(ushort table, ReadOnlySpan<byte> data)
    {
        var request = new byte[WriteFullOverhead + data.Length];
        request[0] = PsemService.WriteFull;
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(1), table);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(3), (ushort)data.Length);
        data.CopyTo(request.AsSpan(5));
        request[^1] = Checksum(data);
        return request;
    }

    /// <summary><c>4F table(2) offset(3) count(2) data checksum</c>.</summary>
    public static byte[] WriteOffset(ushort table, int offset, ReadOnlySpan<byte> data)
    {
        var request = new byte[WriteOffsetOverhead + data.Length];
        request[0] = PsemService.WriteOffset;
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(1), table);
        WriteOffset24(request.AsSpan(3), offset);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), (ushort)data.Length);
        data.CopyTo(request.AsSpan(8));
        request[^1] = Checksum(data);
        return request;
    }

    /// <summary>A read response: <c>00 count(2) data checksum</c>.</summary>
    public static byte[] ReadResponse(ReadOnlySpan<byte> data)
    {
        var response = new byte[ReadResponseOverhead + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(1), (ushort)data.Length);
        data.CopyTo(response.AsSpan(3));
        response[^1] = Checksum(data);
        return response;
    }

    /// <summary>The identification response this module's meter side sends: ok, C12.18 (0), version 2, revision 0, no features (end of list 0).</summary>
    public static byte[] IdentificationResponse() => [0x00, 0x00, 0x02, 0x00, 0x00];

    /// <summary>A negotiate response: <c>00 size(2) packets baud</c>.</summary>
    public static byte[] NegotiateResponse(int packetSize, int maxPackets, byte baudRateCode)
    {
        var response = new byte[5];
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(1), (ushort)packetSize);
        response[3] = (byte)maxPackets;
        response[4] = baudRateCode;
        return response;
    }

    /// <summary>Reads an identification response's fixed part; null when it is not one.</summary>
    public static PsemIdentity? ReadIdentification(ReadOnlySpan<byte> response)
        => response.Length >= 4 && response[0] == (byte)PsemResponseCode.Ok ? new(response[1], response[2], response[3]) : null;

    /// <summary>Reads a negotiate response (with or without its baud rate byte); null when it is malformed.</summary>
    public static PsemNegotiated? ReadNegotiate(ReadOnlySpan<byte> response)
    {
        if (response.Length < 4 || response[0] != (byte)PsemResponseCode.Ok) return null;
        return new(BinaryPrimitives.ReadUInt16BigEndian(response[1..]), response[3], response.Length >= 5 ? response[4] : null);
    }

    /// <summary>Reads a read response's table data, checking count and checksum; null when it is malformed.</summary>
    public static byte[]? ReadTableData(ReadOnlySpan<byte> response)
    {
        if (response.Length < ReadResponseOverhead || response[0] != (byte)PsemResponseCode.Ok) return null;
        int count = BinaryPrimitives.ReadUInt16BigEndian(response[1..]);
        if (response.Length != ReadResponseOverhead + count) return null;
        var data = response.Slice(3, count);
        return Checksum(data) == response[^1] ? data.ToArray() : null;
    }

    /// <summary>A 24-bit big-endian offset.</summary>
    public static void WriteOffset24(Span<byte> destination, int offset)
    {
        destination[0] = (byte)(offset >> 16);
        destination[1] = (byte)(offset >> 8);
        destination[2] = (byte)offset;
    }

    /// <summary>Reads a 24-bit big-endian offset.</summary>
    public static int ReadOffset24(ReadOnlySpan<byte> source) => source[0] << 16 | source[1] << 8 | source[2];

    /// <summary>The standard's name of a response code, for messages: e.g. "isc (insufficient security clearance)".</summary>
    public static string Describe(byte code) => (PsemResponseCode)code switch
    {
        PsemResponseCode.Ok => "ok",
        PsemResponseCode.Err => "err (error)",
        PsemResponseCode.Sns => "sns (service not supported)",
        PsemResponseCode.Isc => "isc (insufficient security clearance)",
        PsemResponseCode.Onp => "onp (operation not possible)",
        PsemResponseCode.Iar => "iar (inappropriate action requested)",
        PsemResponseCode.Bsy => "bsy (device busy)",
        PsemResponseCode.Dnr => "dnr (data not ready)",
        PsemResponseCode.Dlk => "dlk (data locked)",
        PsemResponseCode.Rno => "rno (renegotiate request)",
        PsemResponseCode.Isss => "isss (invalid service sequence state)",
        _ => $"code 0x{code:X2}",
    };
}
