using System.Data.Common;

namespace Provisioning.Server.Store;

/// <summary>
/// The SQL both engines share. The SQL is plain enough to run unchanged on SQLite and MySQL/MariaDB; what differs
/// (connections, write serialisation, unsigned 64-bit IDs, unique-violation codes, inserted IDs, row locks) is
/// left to the engine subclasses. Times are stored as UTC Unix milliseconds so SQL can order and compare them.
/// </summary>
public abstract partial class SqlProvStore : IProvStore
{
    /// <inheritdoc/>
    public abstract string Engine { get; }

    /// <summary>Opens a connection for reading (pooled).</summary>
    protected abstract ValueTask<DbConnection> OpenReadAsync(CancellationToken ct);

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and commits it; rolls back when it throws. The engine
    /// decides how writers are serialised and which transient failures (deadlocks) are retried, so the work must be
    /// safe to run again from the start.
    /// </summary>
    protected abstract Task<T> WriteAsync<T>(Func<DbTransaction, Task<T>> work, CancellationToken ct);

    /// <summary>A config ID as the engine's parameter value.</summary>
    protected abstract object ConfigIdValue(ulong configId);

    /// <summary>Reads a config ID column.</summary>
    protected abstract ulong GetConfigId(DbDataReader reader, int ordinal);

    /// <summary>Reads an unsigned 32-bit column (node IDs, batches).</summary>
    protected abstract uint GetUInt32(DbDataReader reader, int ordinal);

    /// <summary>Whether the failure is a UNIQUE or PRIMARY KEY violation.</summary>
    protected abstract bool IsUniqueViolation(DbException exception);

    /// <summary>
    /// An upsert of <c>nodes</c> row <c>@node</c> (with a NULL current record when new) that leaves an existing row
    /// unchanged but locked until commit.
    /// </summary>
    protected abstract string LockNodeSql { get; }

    /// <summary>Runs an INSERT into a table with an <c>id</c> key and returns the new ID.</summary>
    protected abstract Task<long> InsertReturningIdAsync(DbCommand insert, CancellationToken ct);

    /// <summary>
    /// SQL giving the next device record ID where that table has no auto-increment (a clustered SQLite table);
    /// null where the engine assigns it.
    /// </summary>
    protected virtual string? NextDeviceRecordIdSql => null;

    /// <summary>SQL returning 1 when the schema_version table exists, else 0.</summary>
    protected abstract string SchemaTableExistsSql { get; }

    /// <inheritdoc/>
    public abstract Task MigrateAsync(CancellationToken ct = default);

    /// <inheritdoc/>
    public abstract ValueTask DisposeAsync();

    /// <inheritdoc/>
    public async Task<int> GetSchemaVersionAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenReadAsync(ct);
        return await ReadSchemaVersionAsync(connection, null, ct);
    }

    /// <summary>The stored schema version, 0 when the schema_version table does not exist yet.</summary>
    protected async Task<int> ReadSchemaVersionAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct)
    {
        if (Convert.ToInt64(await ScalarAsync(connection, tx, SchemaTableExistsSql, ct)) == 0)
            return 0;
        return Convert.ToInt32(await ScalarAsync(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version", ct));
    }

    /// <summary>
    /// Applies <paramref name="script"/> when the database is below its version; checks first that the database is
    /// not newer than this server knows. Returns whether it ran.
    /// </summary>
    protected async Task<bool> ApplyScriptAsync(DbConnection connection, DbTransaction? tx, SchemaScript script, CancellationToken ct)
    {
        var scripts = SchemaScripts.For(Engine);
        var current = await ReadSchemaVersionAsync(connection, tx, ct);
        if (current > scripts.Newest)
            throw new SchemaVersionTooNewException(current, scripts.Newest);
        if (current >= script.Version)
            return false;

        await using (var command = Command(connection, tx, script.Sql))
        {
            command.CommandTimeout = 0;
            await command.ExecuteNonQueryAsync(ct);
        }
        if (await ReadSchemaVersionAsync(connection, tx, ct) < script.Version)
            throw new InvalidOperationException(
                $"Schema script {script.Name} ran but did not record version {script.Version} in schema_version; the script shipped with the server is faulty.");
        return true;
    }

    /// <summary>A command with named parameters (<c>@name</c>); null values become SQL NULL.</summary>
    protected static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in args)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    /// <summary>Runs a command and returns the first column of the first row (null when no row).</summary>
    protected static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken ct,
        params (string Name, object? Value)[] args)
    {
        await using var command = Command(connection, tx, sql, args);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    /// <summary>Runs a statement and returns the number of rows it matched.</summary>
    protected static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken ct,
        params (string Name, object? Value)[] args)
    {
        await using var command = Command(connection, tx, sql, args);
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Reads all rows of a query on a pooled read connection.</summary>
    protected async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var connection = await OpenReadAsync(ct);
        await using var command = Command(connection, null, sql, args);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
            rows.Add(map(reader));
        return rows;
    }

    /// <summary>Runs an INSERT in the write transaction and returns the new row's ID.</summary>
    protected async Task<long> InsertAsync(DbTransaction tx, string sql, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var command = Command(tx.Connection!, tx, sql, args);
        return await InsertReturningIdAsync(command, ct);
    }

    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    /// <summary>A time as stored: UTC Unix milliseconds, rounded down.</summary>
    protected static long ToMs(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    /// <summary>Nullable <see cref="ToMs(DateTimeOffset)"/>.</summary>
    protected static long? ToMs(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    /// <summary>A stored time, in UTC.</summary>
    protected static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>A nullable stored time column.</summary>
    protected static DateTimeOffset? FromMs(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : FromMs(reader.GetInt64(ordinal));

    /// <summary>A lower bound in stored milliseconds, rounded up so no stored time before it passes.</summary>
    protected static long ToMsCeiling(DateTimeOffset time)
    {
        var ticks = (time - Epoch).Ticks;
        return ticks / TimeSpan.TicksPerMillisecond + (ticks % TimeSpan.TicksPerMillisecond > 0 ? 1 : 0);
    }

    /// <summary>A nullable text column.</summary>
    protected static string? GetNullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
