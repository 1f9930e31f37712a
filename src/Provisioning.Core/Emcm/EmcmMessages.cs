using System.Text;
using Provisioning.Core.Node;

namespace Provisioning.Core.Emcm;

/// <summary>Payloads of every eMCM protocol message (docs/emcm-protocol.md, "Messages"), both directions.</summary>
internal static class EmcmMessages
{
    public const byte ProtocolVersion = EmcmFrame.Version;
    public const int IdLength = 8;
    public const int KeyLength = 16;
    public const int KcvLength = 3;
    public const int DigestLength = 32;

    /// <summary>Longest text fields: identities and versions, and the free text of details and errors.</summary>
    public const int MaxName = 32, MaxDetail = 64, MaxErrorText = 160;

    /// <summary>Bytes before the data in an ImageChunk request: target and offset.</summary>
    public const int ChunkHeaderLength = 5;

    /// <summary>Largest chunk data: a whole chunk request fits the longest frame.</summary>
    public const int MaxChunk = EmcmFrame.MaxPayload - ChunkHeaderLength;

    /// <summary>Largest GetInfo answer, status included.</summary>
    public const int MaxInfoLength = 1 + 1 + IdLength + 2 * (1 + MaxName) + 2 * DigestLength + 1 + 1 + KcvLength + 1 + 1 + MaxDetail + 2;

    private static readonly byte[] NoKcv = new byte[KcvLength];
    private const byte KeyPresent = 0x01, QuietFlag = 0x02, SelfTestPassedFlag = 0x04, LockedFlag = 0x08;

    public static int WriteInfo(EmcmInfo info, ushort maxChunk, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)EmcmStatus.Ok);
        w.U8(ProtocolVersion);
        w.Bytes(Convert.FromHexString(info.EmcmId));
        w.Str(Cut(info.HostType, MaxName));
        w.Str(Cut(info.FirmwareVersion, MaxName));
        w.Digest(info.FactoryConfigSha256);
        w.Digest(info.FieldConfigSha256);
        w.U8((byte)info.ActiveConfig);
        byte flags = (byte)((info.KeyCheckValue is null ? 0 : KeyPresent) | (info.Quiet ? QuietFlag : 0)
            | (info.SelfTestPassed ? SelfTestPassedFlag : 0) | (info.Locked ? LockedFlag : 0));
        w.U8(flags);
        w.Bytes(info.KeyCheckValue is { } kcv ? kcv.AsSpan(0, KcvLength) : NoKcv);
        w.U8((byte)info.Stage);
        w.Str(Cut(info.SelfTestDetail ?? "", MaxDetail));
        w.U16(maxChunk);
        return w.Length;
    }

    /// <summary>The info in an Ok GetInfo answer (status byte already read), and the chunk size the eMCM takes.</summary>
    public static (EmcmInfo Info, ushort MaxChunk) ReadInfo(ReadOnlySpan<byte> data)
    {
        var r = new PayloadReader(data);
        byte version = r.U8();
        if (version != ProtocolVersion) throw new FormatException($"the eMCM speaks protocol version {version}, not {ProtocolVersion}");
        string id = Convert.ToHexString(r.Bytes(IdLength));
        string hostType = r.Str();
        string firmware = r.Str();
        byte[] factory = NoneIfZero(r.Digest());
        byte[] field = NoneIfZero(r.Digest());
        var active = (EmcmConfigSlot)r.U8();
        byte flags = r.U8();
        byte[] kcv = r.Bytes(KcvLength).ToArray();
        var stage = (EmcmStagePassed)r.U8();
        string detail = r.Str();
        ushort maxChunk = r.U16();
        bool passed = (flags & SelfTestPassedFlag) != 0;
        var info = new EmcmInfo(id, hostType, firmware, factory, field, active, (flags & KeyPresent) != 0 ? kcv : null,
            (flags & QuietFlag) != 0, stage, passed, passed ? null : detail.Length > 0 ? detail : "no detail given", (flags & LockedFlag) != 0);
        return (info, maxChunk);
    }

    public static int WriteImageBegin(EmcmImageTarget target, uint size, ReadOnlySpan<byte> sha256, string version, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)target);
        w.U32(size);
        w.Digest(sha256);
        w.Str(version);
        return w.Length;
    }

    public static (EmcmImageTarget Target, uint Size, byte[] Sha256, string Version) ReadImageBegin(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload);
        return ((EmcmImageTarget)r.U8(), r.U32(), r.Digest(), r.Str());
    }

    public static int WriteChunk(EmcmImageTarget target, uint offset, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)target);
        w.U32(offset);
        w.Bytes(data);
        return w.Length;
    }

    public static (EmcmImageTarget Target, uint Offset) ReadChunk(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> data)
    {
        var r = new PayloadReader(payload);
        var target = (EmcmImageTarget)r.U8();
        uint offset = r.U32();
        data = r.Rest;
        return (target, offset);
    }

    public static int WriteKey(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)key.Length);
        w.Bytes(key);
        return w.Length;
    }

    /// <summary>The key bytes (a slice of <paramref name="payload"/>; the caller zeroes what it copies).</summary>
    public static ReadOnlySpan<byte> ReadKey(ReadOnlySpan<byte> payload)
    {
        var r = new PayloadReader(payload);
        var key = r.Bytes(r.U8());
        if (r.Rest.Length != 0) throw new FormatException("bytes after the key");
        return key;
    }

    /// <summary>An Ok answer with a key check value (or none): status, present, 3 bytes.</summary>
    public static int WriteKeyCheck(byte[]? kcv, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)EmcmStatus.Ok);
        w.U8(kcv is null ? (byte)0 : (byte)1);
        w.Bytes(kcv is null ? NoKcv : kcv.AsSpan(0, KcvLength));
        return w.Length;
    }

    public static byte[]? ReadKeyCheck(ReadOnlySpan<byte> data)
    {
        var r = new PayloadReader(data);
        bool present = r.U8() != 0;
        var kcv = r.Bytes(KcvLength).ToArray();
        return present ? kcv : null;
    }

    public static int WriteMeter(string meterId, string? detail, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)EmcmStatus.Ok);
        w.Str(Cut(meterId, MaxName));
        w.Str(Cut(detail ?? "", MaxDetail));
        return w.Length;
    }

    public static EmcmMeterLink ReadMeter(ReadOnlySpan<byte> data)
    {
        var r = new PayloadReader(data);
        string id = r.Str();
        string detail = r.Str();
        return new EmcmMeterLink(id, detail.Length == 0 ? null : detail);
    }

    /// <summary>An answer that is only a status (Ok, or an error with its text).</summary>
    public static int WriteStatus(EmcmStatus status, string? message, Span<byte> destination)
    {
        var w = new PayloadWriter(destination);
        w.U8((byte)status);
        if (status != EmcmStatus.Ok) w.Str(Cut(message ?? "", MaxErrorText));
        return w.Length;
    }

    public static string ReadErrorText(ReadOnlySpan<byte> data)
    {
        try { return new PayloadReader(data).Str(); }
        catch (FormatException) { return ""; }
    }

    /// <summary>Text cut to at most <paramref name="max"/> UTF-8 bytes, whole characters only.</summary>
    public static string Cut(string text, int max)
    {
        while (Encoding.UTF8.GetByteCount(text) > max) text = text[..^1];
        return text;
    }

    private static byte[] NoneIfZero(byte[] digest) => digest.AsSpan().IndexOfAnyExcept((byte)0) < 0 ? [] : digest;
}
