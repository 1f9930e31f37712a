using System.Data;
using System.Data.Common;
using Dapper;
using MySqlConnector;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

/// <summary>
/// The store on MySQL 8 or MariaDB 10.5+ (InnoDB), which several server instances may share. Write transactions run
/// at READ COMMITTED, so InnoDB takes no gap locks and stations recording different nodes do not block each other;
/// what must be serialised (one node, one config) is serialised by row locks and unique keys. A deadlock or lock
/// wait timeout reruns the transaction.
/// </summary>
public sealed class MySqlStore(string connectionString) : SqlProvStore(new MySqlDialect())
{
    private readonly string connectionString = WithoutReset(connectionString);
    // Galera refuses the loser of a commit conflict between two nodes (1213); under a burst on the same nodes a
    // transaction can lose several times in a row, so MariaDB gets more tries than a single server would need.
    private const int Attempts = 10;
    private const int MigrationLockTimeoutSeconds = 120;

    /// <inheritdoc/>
    protected override async ValueTask<DbConnection> OpenReadAsync(CancellationToken ct) => await OpenAsync(ct);

    private async Task<MySqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new MySqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
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
        // Scripts decide with user variables (@prov_ddl) whether a column or index is still missing, as a DBA's client would.
        await using var connection = new MySqlConnection(new MySqlConnectionStringBuilder(connectionString) { AllowUserVariables = true }.ConnectionString);
        await connection.OpenAsync(ct);
        // DDL commits implicitly in MySQL, so scripts cannot run in a transaction; a named lock keeps two servers
        // starting at once from running them side by side, and the scripts are written to be safe to rerun.
        const string lockName = "LEFT(CONCAT('provisioning.migrate.', DATABASE()), 64)";
        var got = await connection.ExecuteScalarAsync<long?>(Command($"SELECT GET_LOCK({lockName}, {MigrationLockTimeoutSeconds})", null, null, ct));
        if (got != 1)
            throw new TimeoutException(
                $"Another server held the schema migration lock of database '{connection.Database}' for {MigrationLockTimeoutSeconds} s; check that it is not stuck, then start again.");
        try
        {
            foreach (var script in SchemaScripts.For(Engine).Scripts)
                await ApplyScriptAsync(connection, null, script, ct);
        }
        finally
        {
            await connection.ExecuteScalarAsync(Command($"SELECT RELEASE_LOCK({lockName})", null, null, CancellationToken.None));
        }
    }

    /// <summary>
    /// The store keeps no session state between uses (every write sets its isolation level, migration releases its
    /// lock), so a pooled connection need not be reset on every open: that saves a round trip per call, which at a
    /// thousand device records a second is a good part of the server's and the database's work. An explicit
    /// <c>Connection Reset</c> in the connection string is kept.
    /// </summary>
    private static string WithoutReset(string text)
    {
        var builder = new MySqlConnectionStringBuilder(text);
        if (!text.Contains("ConnectionReset", StringComparison.OrdinalIgnoreCase) && !text.Contains("Connection Reset", StringComparison.OrdinalIgnoreCase))
            builder.ConnectionReset = false;
        return builder.ConnectionString;
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        await using var probe = new MySqlConnection(connectionString);
        await MySqlConnection.ClearPoolAsync(probe);
    }
}
