using System.Data.Common;
using System.Globalization;
using Provisioning.Server.Store;

namespace Provisioning.Bench;

/// <summary>
/// A database's size against the payload it holds. The payload is what the device records carry that is the device's
/// own: the encrypted root key and, per application, its name and the bytes of its ID, key and extra info (hex counted
/// as the bytes it spells, as a station's data would be in any compact form). Everything else (IDs, times, states,
/// indexes, free space in pages) is the store's overhead.
/// </summary>
internal static class DatabaseSize
{
    public static async Task<(long DatabaseBytes, long Records, long PayloadBytes)> MeasureAsync(BenchDatabase database)
    {
        await using var connection = await database.OpenAsync();
        if (!database.IsSqlite)
            await ExecuteAsync(connection, "ANALYZE TABLE device_records, nodes"); // table statistics are only estimates until refreshed
        long records = 0, payload = 0;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT encrypted_root_key, apps, app_data FROM device_records";
            command.CommandTimeout = 0;
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                records++;
                payload += reader.GetFieldValue<byte[]>(0).Length;
                var apps = DeviceAppsCodec.Decode(reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2), reader.IsDBNull(1) ? null : reader.GetString(1));
                foreach (var app in apps)
                    payload += Bytes(app.Name) + Bytes(app.Id) + Bytes(app.Key) + Bytes(app.Extra);
            }
        }
        await using var size = connection.CreateCommand();
        size.CommandText = database.IsSqlite
            ? "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            : "SELECT SUM(data_length + index_length) FROM information_schema.TABLES WHERE table_schema = DATABASE()";
        return (Convert.ToInt64(await size.ExecuteScalarAsync(), CultureInfo.InvariantCulture), records, payload);
    }

    /// <summary>Hex text as the bytes it spells; other text as UTF-8.</summary>
    private static long Bytes(string? text) =>
        text is null ? 0 : text.Length % 2 == 0 && text.All(char.IsAsciiHexDigit) ? text.Length / 2 : System.Text.Encoding.UTF8.GetByteCount(text);

    private static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }
}
