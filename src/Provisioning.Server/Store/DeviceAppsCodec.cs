using System.Buffers;
using System.Text;
using Provisioning.Core.Api;

namespace Provisioning.Server.Store;

/// <summary>
/// A device's per-application data in the compact binary form the <c>app_data</c> column holds (schema version 5):
/// app IDs and keys are hex text on the wire, so they are kept as the bytes they spell, half the size of the text
/// (an app key is most of a device record). The text comes back exactly as it was given.
/// </summary>
/// <remarks>
/// Layout: a format byte (1), the app count, then per app its name and three fields (id, key, extra). A name is a length
/// and UTF-8 bytes. A field is a tag — 0 absent, 1 lower-case hex, 2 upper-case hex, 3 text — and, unless absent, a
/// length and its bytes (the decoded bytes for hex, UTF-8 for text). Lengths and the count are unsigned LEB128.
/// No apps is NULL, as in the JSON form (<see cref="DeviceAppsJson"/>) that rows written before version 5 keep.
/// </remarks>
public static class DeviceAppsCodec
{
    private const byte Format = 1;
    private const byte Absent = 0, LowerHex = 1, UpperHex = 2, Text = 3;

    /// <summary>The column value for <paramref name="apps"/>; null when there are none.</summary>
    public static byte[]? Encode(IReadOnlyList<DeviceApp>? apps)
    {
        if (apps is null || apps.Count == 0)
            return null;
        var buffer = new ArrayBufferWriter<byte>(16 + 200 * apps.Count);
        buffer.GetSpan(1)[0] = Format;
        buffer.Advance(1);
        WriteLength(buffer, apps.Count);
        foreach (var app in apps)
        {
            WriteText(buffer, app.Name);
            WriteField(buffer, app.Id);
            WriteField(buffer, app.Key);
            WriteField(buffer, app.Extra);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The apps of a row: from <paramref name="data"/> when set, else from the older JSON column.</summary>
    public static IReadOnlyList<DeviceApp> Decode(byte[]? data, string? json) => data is null ? DeviceAppsJson.Decode(json) : Decode(data);

    /// <summary>The apps a column value holds.</summary>
    public static IReadOnlyList<DeviceApp> Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0 || data[0] != Format)
            throw new FormatException($"Stored device app data has an unknown format ({(data.Length == 0 ? "empty" : $"format byte {data[0]}")}).");
        int at = 1;
        int count = ReadLength(data, ref at);
        var apps = new List<DeviceApp>(count);
        for (var i = 0; i < count; i++)
        {
            string name = Encoding.UTF8.GetString(ReadBytes(data, ref at));
            apps.Add(new DeviceApp(name, ReadField(data, ref at), ReadField(data, ref at), ReadField(data, ref at)));
        }
        if (at != data.Length)
            throw new FormatException("Stored device app data has bytes after its last app.");
        return apps;
    }

    private static void WriteField(ArrayBufferWriter<byte> buffer, string? value)
    {
        byte tag = value is null ? Absent : HexCase(value);
        buffer.GetSpan(1)[0] = tag;
        buffer.Advance(1);
        if (tag is LowerHex or UpperHex)
        {
            WriteLength(buffer, value!.Length / 2);
            var span = buffer.GetSpan(value.Length / 2);
            Convert.FromHexString(value, span[..(value.Length / 2)], out _, out _);
            buffer.Advance(value.Length / 2);
        }
        else if (tag == Text)
            WriteText(buffer, value!);
    }

    /// <summary>Lower- or upper-case hex when the text is an even number of hex digits of one case; otherwise text.</summary>
    private static byte HexCase(string value)
    {
        if (value.Length == 0 || value.Length % 2 != 0)
            return Text;
        bool lower = false, upper = false;
        foreach (char c in value)
        {
            if (char.IsAsciiDigit(c)) continue;
            if (c is >= 'a' and <= 'f') lower = true;
            else if (c is >= 'A' and <= 'F') upper = true;
            else return Text;
        }
        return lower && upper ? Text : upper ? UpperHex : LowerHex;
    }

    private static void WriteText(ArrayBufferWriter<byte> buffer, string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        WriteLength(buffer, length);
        Encoding.UTF8.GetBytes(text, buffer.GetSpan(length));
        buffer.Advance(length);
    }

    private static void WriteLength(ArrayBufferWriter<byte> buffer, int value)
    {
        var span = buffer.GetSpan(5);
        int n = 0;
        uint v = (uint)value;
        while (v >= 0x80)
        {
            span[n++] = (byte)(v | 0x80);
            v >>= 7;
        }
        span[n++] = (byte)v;
        buffer.Advance(n);
    }

    private static string? ReadField(ReadOnlySpan<byte> data, ref int at)
    {
        byte tag = at < data.Length ? data[at++] : throw Truncated();
        return tag switch
        {
            Absent => null,
            LowerHex => Convert.ToHexStringLower(ReadBytes(data, ref at)),
            UpperHex => Convert.ToHexString(ReadBytes(data, ref at)),
            Text => Encoding.UTF8.GetString(ReadBytes(data, ref at)),
            _ => throw new FormatException($"Stored device app data has an unknown field tag {tag}."),
        };
    }

    private static ReadOnlySpan<byte> ReadBytes(ReadOnlySpan<byte> data, ref int at)
    {
        int length = ReadLength(data, ref at);
        if (length > data.Length - at)
            throw Truncated();
        var bytes = data.Slice(at, length);
        at += length;
        return bytes;
    }

    private static int ReadLength(ReadOnlySpan<byte> data, ref int at)
    {
        uint value = 0;
        for (int shift = 0; shift < 32; shift += 7)
        {
            if (at >= data.Length)
                throw Truncated();
            byte b = data[at++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
                return value <= int.MaxValue ? (int)value : throw Truncated();
        }
        throw new FormatException("Stored device app data has an overlong length.");
    }

    private static FormatException Truncated() => new("Stored device app data is cut short.");
}
