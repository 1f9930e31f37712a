using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Provisioning.Server.Store.Sql;
using Provisioning.Server.Backup;

namespace Provisioning.Server.Store;

// Backup and restore (docs/backup.md): plain SELECTs and multi-row INSERTs over the columns BackupTables names, so the
// same code serves every engine; only how a snapshot starts differs (BeginSnapshotAsync).
public abstract partial class SqlProvStore : IBackupStore
{
    // SQL Server takes at most 2,100 parameters per statement, SQLite 32,766, MySQL 65,535: batches stay under the smallest.
    private const int MaxParametersPerInsert = 2000, MaxRowsPerInsert = 200;

    /// <summary>
    /// Starts a read transaction that sees one point in time for all its statements: SQLite in WAL mode keeps the
    /// snapshot of the first read of a deferred transaction; InnoDB's REPEATABLE READ WITH CONSISTENT SNAPSHOT; other
    /// engines the standard SNAPSHOT level.
    /// </summary>
    protected virtual async Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct) => connection switch
    {
        SqliteConnection sqlite => sqlite.BeginTransaction(deferred: true),
        _ => await connection.BeginTransactionAsync(IsolationLevel.Snapshot, ct),
    };

    /// <inheritdoc/>
    public async Task ReadSnapshotAsync(Func<IBackupSnapshot, Task> work, CancellationToken ct = default)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var tx = await BeginSnapshotAsync(connection, ct);
        await work(new Snapshot(this, tx));
        await tx.RollbackAsync(CancellationToken.None); // it only read
    }

    /// <inheritdoc/>
    public async Task<long> CountRowsAsync(BackupTable table, CancellationToken ct = default)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = NewCommand(connection, null, StoreStatements.BackupCount(table.Name));
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public Task RestoreAsync(Func<IBackupRowSink, Task> work, CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            await using var sink = new RowSink(this, tx);
            await work(sink);
            await sink.FlushAsync(ct);
            return true;
        }, ct);

    /// <inheritdoc/>
    public Task DropTablesAsync(IEnumerable<BackupTable> tablesChildrenFirst, IEnumerable<string> alsoDrop, CancellationToken ct = default) =>
        WriteAsync(async tx =>
        {
            foreach (string name in tablesChildrenFirst.Select(t => t.Name).Concat(alsoDrop).Append("schema_version"))
            {
                await using var drop = NewCommand(tx.Connection!, tx, StoreStatements.DropTable(name));
                await drop.ExecuteNonQueryAsync(ct);
            }
            return true;
        }, ct);

    /// <inheritdoc/>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> DescribeTablesAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenReadAsync(ct);
        var columns = new List<(string Table, string Column)>();
        await using (var command = NewCommand(connection, null, Sql.ListColumns))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) columns.Add((reader.GetString(0), reader.GetString(1)));
        return columns.GroupBy(c => c.Table.ToLowerInvariant())
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(c => c.Column.ToLowerInvariant()).ToList());
    }

    // Commands of its own rather than the store's helpers: this file only needs plain ADO.NET, whatever the store maps rows with.
    private static DbCommand NewCommand(DbConnection connection, DbTransaction? tx, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        return command;
    }

    /// <summary>A column's value as the backup carries it.</summary>
    private object? ReadBackupValue(DbDataReader reader, int ordinal, string type)
    {
        if (reader.IsDBNull(ordinal)) return null;
        return type switch
        {
            "uint64" => reader.GetValue(ordinal) switch
            {
                long signed => unchecked((ulong)signed), // SQLite keeps the same 64 bits in a signed INTEGER
                ulong unsigned => unsigned,
                var other => Convert.ToUInt64(other, System.Globalization.CultureInfo.InvariantCulture),
            },
            "int" => Convert.ToInt64(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture),
            "text" => reader.GetString(ordinal),
            "blob" => reader.GetValue(ordinal) switch
            {
                byte[] bytes => bytes,
                Guid guid => guid.ToByteArray(bigEndian: true),
                var other => throw new InvalidDataException($"Column {reader.GetName(ordinal)} holds a {other.GetType().Name}, not bytes."),
            },
            _ => throw new InvalidDataException($"Unknown backup column type '{type}'."),
        };
    }

    /// <summary>A backup value as the engine's parameter value.</summary>
    private object? WriteBackupValue(object? value, string type) => value is null ? null : type switch
    {
        "uint64" => ConfigIdValue((ulong)value),
        _ => value,
    };

    private sealed class Snapshot(SqlProvStore store, DbTransaction tx) : IBackupSnapshot
    {
        public async IAsyncEnumerable<object?[]> ReadTableAsync(BackupTable table, [EnumeratorCancellation] CancellationToken ct = default)
        {
            await using var command = NewCommand(tx.Connection!, tx, StoreStatements.BackupRead(table));
            command.CommandTimeout = 0;
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
            while (await reader.ReadAsync(ct))
            {
                var values = new object?[table.Columns.Count];
                for (int i = 0; i < values.Length; i++)
                    values[i] = store.ReadBackupValue(reader, i, table.Columns[i].Type);
                yield return values;
            }
        }
    }

    private sealed class RowSink(SqlProvStore store, DbTransaction tx) : IBackupRowSink, IAsyncDisposable
    {
        public ValueTask DisposeAsync() => _command?.DisposeAsync() ?? ValueTask.CompletedTask;

        private BackupTable? _table;
        private readonly List<object?[]> _rows = [];
        // A full batch's statement is kept and run again with new values: the engine prepares it once per table.
        private DbCommand? _command;
        private (BackupTable Table, int Rows) _shape;

        public async Task AddAsync(BackupTable table, object?[] values, CancellationToken ct = default)
        {
            if (_table != table) await FlushAsync(ct);
            _table = table;
            _rows.Add(values);
            if (_rows.Count >= Math.Min(MaxRowsPerInsert, MaxParametersPerInsert / table.Columns.Count))
                await FlushAsync(ct);
        }

        public async Task FlushAsync(CancellationToken ct = default)
        {
            if (_table is null || _rows.Count == 0) return;
            if (_command is null || _shape != (_table, _rows.Count))
            {
                if (_command is not null) await _command.DisposeAsync();
                _command = NewInsert(_table, _rows.Count);
                _shape = (_table, _rows.Count);
            }
            int i = 0;
            foreach (var row in _rows)
                for (int c = 0; c < _table.Columns.Count; c++)
                    _command.Parameters[i++].Value = store.WriteBackupValue(row[c], _table.Columns[c].Type) ?? DBNull.Value;
            await _command.ExecuteNonQueryAsync(ct);
            _rows.Clear();
        }

        private DbCommand NewInsert(BackupTable table, int rows)
        {
            var command = tx.Connection!.CreateCommand();
            command.Transaction = tx;
            command.CommandTimeout = 0;
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < table.Columns.Count; c++)
                {
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = $"@p{r}_{c}";
                    command.Parameters.Add(parameter);
                }
            command.CommandText = store.Sql.RestoreInsert(table, rows);
            return command;
        }
    }
}
