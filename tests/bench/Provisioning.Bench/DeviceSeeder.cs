using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Provisioning.Core.Api;
using Provisioning.Server.Store;

namespace Provisioning.Bench;

/// <summary>
/// Writes confirmed device records straight into a server database (schema of src/Provisioning.Server/Store/Schema),
/// many thousand per transaction, so a million can be seeded in about a minute. Each record is also its node's
/// current one, as the store would leave it. Rows are generated on another thread while the database writes.
/// </summary>
internal sealed class DeviceSeeder(BenchDatabase database, ulong configId, string kmsFingerprint)
{
    private const int RowsPerTransaction = 50_000;
    private const int RowsPerMySqlStatement = 500;
    private const string KeyAlgorithm = "RSA-OAEP-SHA256";
    private const string RecordColumns =
        "id, request_id, node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, kms_fingerprint, app_data, station, recorded_at, confirmed_at";

    private sealed record Row(long Id, byte[] RequestId, uint NodeId, uint Batch, long Timestamp, byte[] RootKey, byte[] Apps, string Station);

    /// <summary>
    /// Adds devices number <paramref name="first"/> .. first+count-1 (node IDs derive from the numbers); returns the
    /// database's size in bytes afterwards (what an export has to read through).
    /// </summary>
    public async Task<long> SeedAsync(long first, long count)
    {
        await using var connection = await database.OpenAsync();
        long nextId;
        await using (var max = connection.CreateCommand())
        {
            max.CommandText = "SELECT COALESCE(MAX(id), 0) + 1 FROM device_records";
            nextId = Convert.ToInt64(await max.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }
        var rows = Generate(nextId, first, count);
        if (database.IsSqlite)
            await SeedSqliteAsync((SqliteConnection)connection, rows);
        else
            await SeedMySqlAsync(connection, rows);

        // MySQL's sizes come from table statistics; after a bulk load they are refreshed first, as a DBA would.
        if (!database.IsSqlite)
            await ExecuteAsync(connection, "ANALYZE TABLE device_records, nodes");
        await using var size = connection.CreateCommand();
        size.CommandText = database.IsSqlite
            ? "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            : "SELECT SUM(data_length + index_length) FROM information_schema.TABLES WHERE table_schema = DATABASE()";
        return Convert.ToInt64(await size.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The rows in node order. device_records is clustered by config and node, so rows inserted in key order append
    /// to the table instead of touching a random page each (a million rows took five times as long in the order
    /// stations record them). The table ends up holding the same rows either way, only more tightly packed.
    /// </summary>
    private static ChannelReader<Row> Generate(long nextId, long first, long count)
    {
        var channel = Channel.CreateBounded<Row>(new BoundedChannelOptions(20_000) { SingleReader = true, SingleWriter = true });
        _ = Task.Run(async () =>
        {
            var random = new Random();
            try
            {
                var order = new long[count];
                var nodes = new uint[count];
                for (long i = 0; i < count; i++)
                {
                    order[i] = i;
                    nodes[i] = SeedDevice.NodeIdOf(first + i);
                }
                Array.Sort(nodes, order);
                foreach (long i in order)
                {
                    var device = new SeedDevice(first + i, random);
                    await channel.Writer.WriteAsync(new Row(nextId + i, SeedDevice.RequestId(), device.NodeId, device.Batch, device.TimestampMs,
                        device.EncryptedRootKey(), DeviceAppsCodec.Encode(device.Apps())!, device.Station));
                }
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }
        });
        return channel.Reader;
    }

    private async Task SeedSqliteAsync(SqliteConnection connection, ChannelReader<Row> rows)
    {
        // Seeding only: a crash here loses nothing the bench needs, so skip the syncs; a large page cache keeps the
        // random request_id and node_id inserts in memory.
        await ExecuteAsync(connection, "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;");
        // An index built once from all rows is much faster than a million random inserts into it. The definitions
        // are read back from the database, so the file ends up with exactly the schema the server made. The index on
        // id stays: nodes refers to it.
        var indexes = new List<(string Name, string Sql)>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name, sql FROM sqlite_master AS m WHERE type = 'index' AND tbl_name = 'device_records' AND sql IS NOT NULL " +
                "AND (SELECT name FROM pragma_index_info(m.name) WHERE seqno = 0) <> 'id'";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                indexes.Add((reader.GetString(0), reader.GetString(1)));
        }
        foreach (var (name, _) in indexes)
            await ExecuteAsync(connection, $"DROP INDEX \"{name}\"");

        while (await rows.WaitToReadAsync())
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync();
            await using var record = connection.CreateCommand();
            record.Transaction = tx;
            record.CommandText = $"INSERT INTO device_records ({RecordColumns}) " +
                "VALUES ($id, $request, $node, $config, $batch, $ts, $status, $key, $algorithm, $fingerprint, $apps, $station, $recorded, $confirmed)";
            var p = new[] { "$id", "$request", "$node", "$config", "$batch", "$ts", "$status", "$key", "$algorithm", "$fingerprint", "$apps", "$station", "$recorded", "$confirmed" }
                .Select(name => record.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
            await using var node = connection.CreateCommand();
            node.Transaction = tx;
            node.CommandText = "INSERT INTO nodes (node_id, current_record_id) VALUES ($node, $id)";
            var nodeId = node.Parameters.Add(new SqliteParameter { ParameterName = "$node" });
            var recordId = node.Parameters.Add(new SqliteParameter { ParameterName = "$id" });
            record.Prepare();
            node.Prepare();
            p[3].Value = unchecked((long)configId);
            p[6].Value = DeviceStatus.Confirmed;
            p[8].Value = KeyAlgorithm;
            p[9].Value = kmsFingerprint;

            for (int n = 0; n < RowsPerTransaction && await rows.WaitToReadAsync();)
            for (; n < RowsPerTransaction && rows.TryRead(out var row); n++)
            {
                p[0].Value = row.Id;
                p[1].Value = row.RequestId;
                p[2].Value = (long)row.NodeId;
                p[4].Value = (long)row.Batch;
                p[5].Value = row.Timestamp;
                p[7].Value = row.RootKey;
                p[10].Value = row.Apps;
                p[11].Value = row.Station;
                p[12].Value = row.Timestamp + 400;
                p[13].Value = row.Timestamp + 900;
                record.ExecuteNonQuery();
                nodeId.Value = (long)row.NodeId;
                recordId.Value = row.Id;
                node.ExecuteNonQuery();
            }
            await tx.CommitAsync();
        }
        foreach (var (_, sql) in indexes)
            await ExecuteAsync(connection, sql);
        // Leave the file as a stopped server would: everything in the main database, an empty WAL.
        await ExecuteAsync(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
    }

    private async Task SeedMySqlAsync(DbConnection connection, ChannelReader<Row> rows)
    {
        // The rows are consistent by construction; skipping per-row checks is what a DBA's bulk load does too. As on
        // SQLite, the secondary indexes are built once at the end (a million random inserts into them took twice as
        // long), from their definitions as the database reports them; the one on id stays (nodes refers to it, and
        // InnoDB needs it for AUTO_INCREMENT).
        await ExecuteAsync(connection, "SET SESSION unique_checks = 0, foreign_key_checks = 0");
        var indexes = new List<(string Name, string Definition)>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText =
                "SELECT INDEX_NAME, MAX(NON_UNIQUE), GROUP_CONCAT(CONCAT('`', COLUMN_NAME, '`', IF(SUB_PART IS NULL, '', CONCAT('(', SUB_PART, ')'))) " +
                "ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'device_records' " +
                "AND INDEX_NAME <> 'PRIMARY' GROUP BY INDEX_NAME HAVING MAX(IF(SEQ_IN_INDEX = 1, COLUMN_NAME, NULL)) <> 'id'";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                string name = reader.GetString(0), unique = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture) == 0 ? "UNIQUE " : "";
                indexes.Add((name, $"{unique}KEY `{name}` ({reader.GetString(2)})"));
            }
        }
        if (indexes.Count > 0)
            await ExecuteAsync(connection, "ALTER TABLE device_records " + string.Join(", ", indexes.Select(i => $"DROP KEY `{i.Name}`")));
        string constants = string.Create(CultureInfo.InvariantCulture, $"{configId},");
        string middle = $"'{DeviceStatus.Confirmed}',";
        string after = $",'{KeyAlgorithm}',{Quote(kmsFingerprint)},";
        var records = new StringBuilder(RowsPerMySqlStatement * 1_600);
        var nodes = new StringBuilder(RowsPerMySqlStatement * 24);
        while (await rows.WaitToReadAsync())
        {
            await using var tx = await connection.BeginTransactionAsync();
            for (int n = 0; n < RowsPerTransaction && await rows.WaitToReadAsync();)
            {
                records.Clear().Append($"INSERT INTO device_records ({RecordColumns}) VALUES ");
                nodes.Clear().Append("INSERT INTO nodes (node_id, current_record_id) VALUES ");
                for (int s = 0; s < RowsPerMySqlStatement && n < RowsPerTransaction && rows.TryRead(out var row); s++, n++)
                {
                    if (s > 0)
                    {
                        records.Append(',');
                        nodes.Append(',');
                    }
                    records.Append(CultureInfo.InvariantCulture, $"({row.Id},X'").Append(Convert.ToHexString(row.RequestId))
                        .Append(CultureInfo.InvariantCulture, $"',{row.NodeId},").Append(constants)
                        .Append(CultureInfo.InvariantCulture, $"{row.Batch},{row.Timestamp},").Append(middle)
                        .Append("X'").Append(Convert.ToHexString(row.RootKey)).Append('\'').Append(after)
                        .Append("X'").Append(Convert.ToHexString(row.Apps)).Append("',").Append(Quote(row.Station))
                        .Append(CultureInfo.InvariantCulture, $",{row.Timestamp + 400},{row.Timestamp + 900})");
                    nodes.Append(CultureInfo.InvariantCulture, $"({row.NodeId},{row.Id})");
                }
                await ExecuteAsync(connection, records.ToString(), tx);
                await ExecuteAsync(connection, nodes.ToString(), tx);
            }
            await tx.CommitAsync();
        }
        if (indexes.Count > 0)
            await ExecuteAsync(connection, "ALTER TABLE device_records " + string.Join(", ", indexes.Select(i => "ADD " + i.Definition)));
    }

    /// <summary>A MySQL string literal (the seeded text holds no quotes, but a fingerprint comes from outside).</summary>
    private static string Quote(string text) => "'" + text.Replace("\\", "\\\\").Replace("'", "''") + "'";

    private static async Task ExecuteAsync(DbConnection connection, string sql, DbTransaction? tx = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }
}
