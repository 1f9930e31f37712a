using System.Data;
using System.Data.Common;
using Microsoft.Data.SqlClient;

namespace Provisioning.Server.Store;

/// <summary>
/// The store on Microsoft SQL Server 2016 SP1 or newer (or Azure SQL Database), which several server instances may
/// share. Write transactions run at READ COMMITTED; what must be serialised (one node, one config) is serialised by
/// update locks and unique keys. A deadlock victim or a lock timeout reruns the transaction. Schema scripts run in a
/// transaction each (SQL Server's DDL is transactional), under an application lock, so a failed or concurrent start
/// leaves no half-applied version.
/// </summary>
public sealed class SqlServerStore : SqlProvStore
{
    private const int Attempts = 5;
    private const int MigrationLockTimeoutMs = 120_000;
    private readonly string connectionString;

    /// <summary>A store on the database <paramref name="connectionString"/> names (not opened until first use).</summary>
    public SqlServerStore(string connectionString)
    {
        var builder = new SqlConnectionStringBuilder(connectionString);
        // A DBA looking at sys.dm_exec_sessions sees who is connected, unless the connection string names itself.
        if (!connectionString.Contains("Application Name", StringComparison.OrdinalIgnoreCase) &&
            !connectionString.Contains("App=", StringComparison.OrdinalIgnoreCase))
            builder.ApplicationName = "Provisioning server";
        this.connectionString = builder.ConnectionString;
        var described = new SqlConnectionStringBuilder(this.connectionString);
        Server = described.DataSource;
        Database = described.InitialCatalog;
    }

    /// <summary>The server (Data Source) the connection string names, for messages.</summary>
    public string Server { get; }

    /// <summary>The database (Initial Catalog) the connection string names, for messages.</summary>
    public string Database { get; }

    /// <inheritdoc/>
    public override string Engine => "sqlserver";

    /// <inheritdoc/>
    protected override string LockNodeSql => SqlServerSql.LockNode;

    /// <inheritdoc/>
    protected override string SchemaTableExistsSql => SqlServerSql.SchemaTableExists;

    /// <inheritdoc/>
    protected override async ValueTask<DbConnection> OpenReadAsync(CancellationToken ct) => await OpenAsync(ct);

    private async Task<SqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch (SqlException e)
        {
            await connection.DisposeAsync();
            throw new SqlServerUnavailableException(Server, Database, e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc/>
    protected override async Task<T> WriteAsync<T>(Func<DbTransaction, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await OpenAsync(ct);
            await using var tx = (SqlTransaction)await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            try
            {
                var result = await work(tx);
                await tx.CommitAsync(ct);
                return result;
            }
            catch (SqlException e) when (attempt < Attempts && SqlServerErrors.IsTransient(e))
            {
                // Chosen as a deadlock victim (the server has rolled the transaction back already), or a lock wait timed
                // out: run it again from the start on a fresh connection, a little later each time.
                await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt * attempt), ct);
            }
        }
    }

    /// <inheritdoc/>
    public override async Task MigrateAsync(CancellationToken ct = default)
    {
        var scripts = SchemaScripts.For(Engine);
        await using var connection = await OpenAsync(ct);
        foreach (var script in scripts.Scripts)
        {
            var batches = SqlServerScript.Batches(script.Sql);
            await using var tx = (SqlTransaction)await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            // The lock belongs to the transaction: a second server starting at once waits here, then finds the version
            // applied; a server killed mid-script leaves nothing, as the transaction rolls back with its session.
            var got = Convert.ToInt32(await ScalarAsync(connection, tx, SqlServerSql.TakeMigrationLock, ct,
                ("@resource", SqlServerSql.MigrationLockResource), ("@timeout", MigrationLockTimeoutMs)));
            if (got < 0)
                throw new TimeoutException(
                    $"Another server held the schema migration lock of database '{Database}' on {Server} for {MigrationLockTimeoutMs / 1000} s " +
                    $"(sp_getapplock returned {got}); check that it is not stuck, then start again.");
            var current = await ReadSchemaVersionAsync(connection, tx, ct);
            if (current > scripts.Newest)
                throw new SchemaVersionTooNewException(current, scripts.Newest);
            if (current >= script.Version)
                continue; // disposing the transaction rolls it back, which releases the lock
            foreach (var batch in batches)
            {
                await using var command = Command(connection, tx, batch);
                command.CommandTimeout = 0;
                await command.ExecuteNonQueryAsync(ct);
            }
            if (await ReadSchemaVersionAsync(connection, tx, ct) < script.Version)
                throw new InvalidOperationException(
                    $"Schema script {script.Name} ran but did not record version {script.Version} in schema_version; the script shipped with the server is faulty.");
            await tx.CommitAsync(ct);
        }
    }

    /// <inheritdoc/>
    protected override object ConfigIdValue(ulong configId) => unchecked((long)configId);

    /// <inheritdoc/>
    protected override ulong GetConfigId(DbDataReader reader, int ordinal) => unchecked((ulong)reader.GetInt64(ordinal));

    /// <inheritdoc/>
    protected override uint GetUInt32(DbDataReader reader, int ordinal) => checked((uint)reader.GetInt64(ordinal));

    /// <inheritdoc/>
    protected override bool IsUniqueViolation(DbException exception) => exception is SqlException e && SqlServerErrors.IsUniqueViolation(e);

    /// <inheritdoc/>
    protected override async Task<long> InsertReturningIdAsync(DbCommand insert, CancellationToken ct)
    {
        insert.CommandText += SqlServerSql.SelectInsertedId;
        return Convert.ToInt64(await insert.ExecuteScalarAsync(ct));
    }

    /// <inheritdoc/>
    public override ValueTask DisposeAsync()
    {
        using var probe = new SqlConnection(connectionString);
        SqlConnection.ClearPool(probe);
        return ValueTask.CompletedTask;
    }
}

/// <summary>The SQL Server error numbers the store acts on (sys.messages).</summary>
public static class SqlServerErrors
{
    /// <summary>Violation of a PRIMARY KEY or UNIQUE constraint.</summary>
    public const int UniqueConstraint = 2627;

    /// <summary>Duplicate key row in a unique index.</summary>
    public const int UniqueIndex = 2601;

    /// <summary>The transaction was chosen as a deadlock victim (and rolled back).</summary>
    public const int Deadlock = 1205;

    /// <summary>Lock request time out period exceeded (SET LOCK_TIMEOUT).</summary>
    public const int LockTimeout = 1222;

    /// <summary>Snapshot isolation update conflict (a database with snapshot isolation as its default).</summary>
    public const int SnapshotConflict = 3960;

    /// <summary>
    /// Azure SQL Database: the database is moving or busy (40197, 40501, 40613, 49918–49920); the operation may succeed
    /// when tried again on a new connection.
    /// </summary>
    public static readonly IReadOnlySet<int> AzureTransient = new HashSet<int> { 40197, 40501, 40613, 49918, 49919, 49920 };

    /// <summary>Whether the failure is a UNIQUE or PRIMARY KEY violation.</summary>
    public static bool IsUniqueViolation(SqlException e) => Numbers(e).Any(n => n is UniqueConstraint or UniqueIndex);

    /// <summary>Whether the whole transaction may be run again: a deadlock, a lock or snapshot conflict, or a transient Azure fault.</summary>
    public static bool IsTransient(SqlException e) =>
        Numbers(e).Any(n => n is Deadlock or LockTimeout or SnapshotConflict || AzureTransient.Contains(n));

    private static IEnumerable<int> Numbers(SqlException e) => e.Errors.Cast<SqlError>().Select(x => x.Number).Append(e.Number);
}

/// <summary>The SQL Server could not be reached or refused the login; the message names the server and the database.</summary>
public sealed class SqlServerUnavailableException(string server, string database, SqlException inner)
    : DbException($"SQL Server '{server}' (database '{database}') cannot be reached or refused the connection: {inner.Message}", inner)
{
    /// <summary>The server the connection string names.</summary>
    public string Server { get; } = server;

    /// <summary>The database the connection string names.</summary>
    public string Database { get; } = database;

    /// <summary>The SQL Server error number (0 when the network failed before the server answered).</summary>
    public int Number { get; } = inner.Number;
}
