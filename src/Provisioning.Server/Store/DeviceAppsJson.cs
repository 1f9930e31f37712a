using System.Buffers;
using System.Text;
using System.Text.Json;
using Provisioning.Core.Api;

namespace Provisioning.Server.Store;

/// <summary>
/// A device's per-application data as stored in one text column: compact JSON,
/// <c>[{"name":"a","id":"01","key":"…","extra":"…"}]</c>, absent members for nulls; no apps is NULL.
/// Hand-written reader and writer because the export decodes it once per row, a million rows at a time.
/// </summary>
internal static class DeviceAppsJson
{
    private static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText Key = JsonEncodedText.Encode("key");
    private static readonly JsonEncodedText Extra = JsonEncodedText.Encode("extra");

    /// <summary>The column value for <paramref name="apps"/>; null when there are none.</summary>
    public static string? Encode(IReadOnlyList<DeviceApp>? apps)
    {
        if (apps is null || apps.Count == 0)
            return null;
        var buffer = new ArrayBufferWriter<byte>(64 * apps.Count);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var app in apps)
            {
                writer.WriteStartObject();
                writer.WriteString(Name, app.Name);
                if (app.Id is not null) writer.WriteString(Id, app.Id);
                if (app.Key is not null) writer.WriteString(Key, app.Key);
                if (app.Extra is not null) writer.WriteString(Extra, app.Extra);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The apps a column value holds; empty for NULL.</summary>
    public static IReadOnlyList<DeviceApp> Decode(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return [];
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(json, rented);
            return Read(new Utf8JsonReader(rented.AsSpan(0, length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static List<DeviceApp> Read(Utf8JsonReader reader)
    {
        var apps = new List<DeviceApp>(2);
        Expect(ref reader, JsonTokenType.StartArray);
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string? name = null, id = null, key = null, extra = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = reader.ValueTextEquals(Name.EncodedUtf8Bytes) ? 0 : reader.ValueTextEquals(Id.EncodedUtf8Bytes) ? 1
                    : reader.ValueTextEquals(Key.EncodedUtf8Bytes) ? 2 : reader.ValueTextEquals(Extra.EncodedUtf8Bytes) ? 3 : -1;
                reader.Read();
                var value = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
                switch (field)
                {
                    case 0: name = value; break;
                    case 1: id = value; break;
                    case 2: key = value; break;
                    case 3: extra = value; break;
                }
            }
            apps.Add(new DeviceApp(name ?? throw new JsonException("A stored device app has no name."), id, key, extra));
        }
        return apps;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read() || reader.TokenType != type)
            throw new JsonException($"Stored device apps are not a JSON array of objects (found {reader.TokenType}).");
    }
}
