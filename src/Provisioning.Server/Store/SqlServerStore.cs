using System.Data;
using System.Data.Common;
using Dapper;
using Microsoft.Data.SqlClient;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

/// <summary>
/// The store on Microsoft SQL Server 2016 SP1 or newer (or Azure SQL Database), which several server instances may
/// share. Write transactions run at READ COMMITTED; what must be serialised (one node, one config) is serialised by
/// update locks and unique keys. A deadlock victim, a lock timeout or a transient Azure fault reruns the transaction.
/// Schema scripts run in one transaction each (SQL Server's DDL is transactional) under an application lock, so a
/// failed or concurrent start leaves no version half-applied.
/// </summary>
/// <remarks>
/// This class sends no SQL of its own making: the statements come from <see cref="StoreStatements"/> and
/// <see cref="SqlServerDialect"/>, and the schema batches from <c>Store/Schema/sqlserver/</c>, all of which the tests parse.
/// </remarks>
public sealed class SqlServerStore : SqlProvStore
{
    private const int Attempts = 5;
    private const int MigrationLockTimeoutMs = 120_000;
    private readonly string _connectionString;
    private readonly SqlServerDialect _dialect;
    private volatile bool _disposed;

    /// <summary>A store on the database <paramref name="connectionString"/> names (not opened until first use).</summary>
    public SqlServerStore(string connectionString) : this(connectionString, new SqlServerDialect())
    {
    }

    private SqlServerStore(string connectionString, SqlServerDialect dialect) : base(dialect)
    {
        _dialect = dialect;
        var builder = new SqlConnectionStringBuilder(connectionString);
        // A DBA looking at sys.dm_exec_sessions sees who is connected, unless the connection string names itself.
        if (!connectionString.Contains("Application Name", StringComparison.OrdinalIgnoreCase) &&
            !connectionString.Contains("App=", StringComparison.OrdinalIgnoreCase))
            builder.ApplicationName = "Provisioning server";
        _connectionString = builder.ConnectionString;
        Server = builder.DataSource;
        Database = builder.InitialCatalog;
    }

    /// <summary>The server (Data Source) the connection string names, for messages.</summary>
    public string Server { get; }

    /// <summary>The database (Initial Catalog) the connection string names, for messages.</summary>
    public string Database { get; }

    /// <inheritdoc/>
    protected override async ValueTask<DbConnection> OpenReadAsync(CancellationToken ct) => await OpenAsync(ct);

    private Task<SqlConnection> OpenAsync(CancellationToken ct) => OpenAsync(_connectionString, ct);

    private async Task<SqlConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        // Work begun before the store was closed finishes (its connection is open); nothing new starts after.
        ObjectDisposedException.ThrowIf(_disposed, this);
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
        catch (NotSupportedException e)
        {
            await connection.DisposeAsync();
            throw new NotSupportedException(
                "The SQL Server client needs the system's culture data (ICU: e.g. the libicu package on Linux), and this process runs without it " +
                "(DOTNET_SYSTEM_GLOBALIZATION_INVARIANT is set, or ICU is missing): " + e.Message, e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc/>
    protected override Task<T> WriteAsync<T>(Func<DbTransaction, Task<T>> work, CancellationToken ct) =>
        WriteRetryingAsync(async c => await OpenAsync(c), Attempts, work, ct);

    /// <inheritdoc/>
    public override async Task MigrateAsync(CancellationToken ct = default)
    {
        var scripts = SchemaScripts.For(Engine);
        // Its own connection, not pooled: the scripts' SET options stay with it instead of reaching the store's later work.
        await using var connection = await OpenAsync(new SqlConnectionStringBuilder(_connectionString) { Pooling = false }.ConnectionString, ct);
        foreach (var script in scripts.Scripts)
        {
            var batches = SqlServerScript.Batches(script.Sql);
            await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            // The lock belongs to the transaction: a second server starting at once waits here, then finds the version
            // applied; a server killed mid-script leaves nothing, as its transaction rolls back with its session.
            var got = await connection.ExecuteScalarAsync<int>(Command(_dialect.TakeMigrationLock,
                new { resource = SqlServerDialect.MigrationLockResource, timeout = MigrationLockTimeoutMs }, tx, ct, timeoutSeconds: 0));
            if (got < 0)
                throw new TimeoutException(
                    $"Another server held the schema migration lock of database '{Database}' on {Server} for {MigrationLockTimeoutMs / 1000} s " +
                    $"(sp_getapplock answered {got}); check that it is not stuck, then start again.");
            var current = await ReadSchemaVersionAsync(connection, tx, ct);
            if (current > scripts.Newest)
                throw new SchemaVersionTooNewException(current, scripts.Newest);
            if (current >= script.Version)
                continue; // disposing the transaction rolls it back, which releases the lock
            foreach (var batch in batches)
                await connection.ExecuteAsync(Command(batch, null, tx, ct, timeoutSeconds: 0));
            if (await ReadSchemaVersionAsync(connection, tx, ct) < script.Version)
                throw new InvalidOperationException(
                    $"Schema script {script.Name} ran but did not record version {script.Version} in schema_version; the script shipped with the server is faulty.");
            await tx.CommitAsync(ct);
        }
    }

    /// <inheritdoc/>
    public override ValueTask DisposeAsync()
    {
        _disposed = true;
        using var probe = new SqlConnection(_connectionString);
        SqlConnection.ClearPool(probe);
        return ValueTask.CompletedTask;
    }
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
