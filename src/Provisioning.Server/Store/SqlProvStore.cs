using System.Data.Common;
using Dapper;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

/// <summary>
/// The store logic every engine shares. Statements come from <see cref="StoreStatements"/> (written once from the engine's
/// <see cref="SqlDialect"/>); rows map to the small row types of <c>Store/Sql/Rows.cs</c> by column name (Dapper). What an engine
/// supplies besides its dialect: connections (<see cref="OpenReadAsync"/>), write transactions (<see cref="WriteAsync{T}"/>:
/// how writers are serialised or batched, which failures are retried), migration and disposal. Times are stored as UTC Unix
/// milliseconds so SQL can order and compare them.
/// </summary>
public abstract partial class SqlProvStore : IProvStore
{
    static SqlProvStore() => StoreTypeHandlers.Register();

    /// <summary>A store speaking <paramref name="dialect"/>.</summary>
    protected SqlProvStore(SqlDialect dialect)
    {
        Dialect = dialect;
        Sql = new StoreStatements(dialect);
    }

    /// <summary>The engine's SQL pieces.</summary>
    protected SqlDialect Dialect { get; }

    /// <summary>Every statement this store sends.</summary>
    public StoreStatements Sql { get; }

    /// <inheritdoc/>
    public string Engine => Dialect.Engine;

    /// <summary>Opens a connection for reading (pooled); the caller disposes it.</summary>
    protected abstract ValueTask<DbConnection> OpenReadAsync(CancellationToken ct);

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and returns its result once the transaction has committed (and is
    /// as durable as the engine makes a commit); when the work throws, nothing it wrote stays and the exception reaches the
    /// caller. The engine decides how writers are serialised, whether several callers' work shares one transaction (each
    /// then runs inside its own savepoint, in turn) and which transient failures are retried, so the work must not commit
    /// or roll back itself and must be safe to run again from the start.
    /// </summary>
    protected abstract Task<T> WriteAsync<T>(Func<DbTransaction, Task<T>> work, CancellationToken ct);

    /// <inheritdoc/>
    public abstract Task MigrateAsync(CancellationToken ct = default);

    /// <inheritdoc/>
    public abstract ValueTask DisposeAsync();

    /// <summary>Whether the failure is a UNIQUE or PRIMARY KEY violation.</summary>
    protected bool IsUniqueViolation(DbException exception) => Dialect.IsUniqueViolation(exception);

    /// <summary>A config ID as this engine's parameter value.</summary>
    protected object ConfigIdValue(ulong configId) => Dialect.ConfigId(configId);

    /// <inheritdoc/>
    public async Task<int> GetSchemaVersionAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenReadAsync(ct);
        return await ReadSchemaVersionAsync(connection, null, ct);
    }

    /// <summary>The stored schema version, 0 when the schema_version table does not exist yet.</summary>
    protected async Task<int> ReadSchemaVersionAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct)
    {
        if (await connection.ExecuteScalarAsync<long>(Command(Sql.SchemaTableExists, null, tx, ct)) == 0)
            return 0;
        return await connection.ExecuteScalarAsync<int>(Command(Sql.SchemaVersion, null, tx, ct));
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

        await connection.ExecuteAsync(Command(script.Sql, null, tx, ct, timeoutSeconds: 0));
        if (await ReadSchemaVersionAsync(connection, tx, ct) < script.Version)
            throw new InvalidOperationException(
                $"Schema script {script.Name} ran but did not record version {script.Version} in schema_version; the script shipped with the server is faulty.");
        return true;
    }

    /// <summary>A Dapper command: <paramref name="parameters"/> is an object whose members (or a DynamicParameters) name the <c>@</c> parameters.</summary>
    protected static CommandDefinition Command(string sql, object? parameters, DbTransaction? tx, CancellationToken ct, int? timeoutSeconds = null) =>
        new(sql, parameters, tx, timeoutSeconds, cancellationToken: ct);

    /// <summary>
    /// Runs <paramref name="work"/> in a READ COMMITTED transaction on a new connection from <paramref name="open"/> and
    /// commits it; when the engine ended the transaction as a deadlock victim, a lock wait timeout or a Galera
    /// certification failure (<see cref="SqlDialect.IsTransient"/>), runs it again from the start, a little later (and at a random point) each
    /// time so the two sides do not meet again at once, at most <paramref name="attempts"/> times in all.
    /// </summary>
    protected async Task<T> WriteRetryingAsync<T>(Func<CancellationToken, Task<DbConnection>> open, int attempts,
        Func<DbTransaction, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await open(ct);
            await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
            try
            {
                var result = await work(tx);
                await tx.CommitAsync(ct);
                return result;
            }
            catch (DbException e) when (attempt < attempts && Dialect.IsTransient(e))
            {
                // Jittered, so transactions refused together (a Galera certification conflict between two nodes) do not
                // come back in step and meet again.
                await Task.Delay(TimeSpan.FromMilliseconds(5 + Random.Shared.Next(10 * attempt * attempt)), ct);
            }
        }
    }

    /// <summary>All rows of a query, on a pooled read connection.</summary>
    protected async Task<List<T>> QueryAsync<T>(string sql, object? parameters, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        return (await connection.QueryAsync<T>(Command(sql, parameters, null, ct))).AsList();
    }

    /// <summary>All rows of a query inside the write transaction.</summary>
    protected static async Task<List<T>> QueryAsync<T>(DbTransaction tx, string sql, object? parameters, CancellationToken ct) =>
        (await tx.Connection!.QueryAsync<T>(Command(sql, parameters, tx, ct))).AsList();

    /// <summary>The first column of the first row of a query on a pooled read connection (default when no row).</summary>
    protected async Task<T?> ScalarAsync<T>(string sql, object? parameters, CancellationToken ct)
    {
        await using var connection = await OpenReadAsync(ct);
        return await connection.ExecuteScalarAsync<T>(Command(sql, parameters, null, ct));
    }

    /// <summary>The first column of the first row of a query inside the write transaction.</summary>
    protected static Task<T?> ScalarAsync<T>(DbTransaction tx, string sql, object? parameters, CancellationToken ct) =>
        tx.Connection!.ExecuteScalarAsync<T>(Command(sql, parameters, tx, ct));

    /// <summary>Runs a statement in the write transaction and returns the number of rows it matched.</summary>
    protected static Task<int> ExecuteAsync(DbTransaction tx, string sql, object? parameters, CancellationToken ct) =>
        tx.Connection!.ExecuteAsync(Command(sql, parameters, tx, ct));

    /// <summary>Runs an INSERT made by <see cref="SqlDialect.InsertReturningId"/> and returns the new row's ID.</summary>
    protected static async Task<long> InsertAsync(DbTransaction tx, string sql, object parameters, CancellationToken ct) =>
        await tx.Connection!.ExecuteScalarAsync<long>(Command(sql, parameters, tx, ct));

    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    /// <summary>A time as stored: UTC Unix milliseconds, rounded down.</summary>
    protected static long ToMs(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    /// <summary>Nullable <see cref="ToMs(DateTimeOffset)"/>.</summary>
    protected static long? ToMs(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    /// <summary>A stored time, in UTC.</summary>
    protected static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>A nullable stored time.</summary>
    protected static DateTimeOffset? FromMs(long? ms) => ms is { } value ? FromMs(value) : null;

    /// <summary>A lower bound in stored milliseconds, rounded up so no stored time before it passes.</summary>
    protected static long ToMsCeiling(DateTimeOffset time)
    {
        var ticks = (time - Epoch).Ticks;
        return ticks / TimeSpan.TicksPerMillisecond + (ticks % TimeSpan.TicksPerMillisecond > 0 ? 1 : 0);
    }
}
