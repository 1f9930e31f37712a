using System.Data.Common;
using Microsoft.Data.SqlClient;

namespace Provisioning.Server.Store.Sql;

/// <summary>
/// Microsoft SQL Server 2016 SP1+ / Azure SQL Database: every piece of T-SQL the SQL Server store sends that is its own,
/// in this one file. The statements all engines share come from <see cref="StoreStatements"/> built on this dialect, and
/// the schema scripts from <c>Store/Schema/sqlserver/</c>; <see cref="SqlServerStore"/> itself holds no SQL. The tests
/// parse <see cref="StoreStatements.All"/> for this dialect, <see cref="OwnStatements"/> and every script batch with
/// Microsoft's T-SQL parser, which is what makes "every statement is checked" hold.
/// </summary>
/// <remarks>
/// SQL Server has no unsigned integers: config IDs are the same 64 bits in a BIGINT; node IDs and batches fit a BIGINT.
/// A statement takes at most 2,100 parameters, far above the largest IN list the store builds (a device page of 1,000).
/// </remarks>
public sealed class SqlServerDialect : SqlDialect
{
    /// <summary>Violation of a PRIMARY KEY or UNIQUE constraint.</summary>
    public const int UniqueConstraintError = 2627;

    /// <summary>Duplicate key row in a unique index.</summary>
    public const int UniqueIndexError = 2601;

    /// <summary>The transaction was chosen as a deadlock victim (and already rolled back by the server).</summary>
    public const int DeadlockError = 1205;

    /// <summary>Lock request time out period exceeded (with SET LOCK_TIMEOUT).</summary>
    public const int LockTimeoutError = 1222;

    /// <summary>Snapshot isolation update conflict (a database whose default isolation is snapshot).</summary>
    public const int SnapshotConflictError = 3960;

    /// <summary>Azure SQL Database: the database is moving or busy; the work may succeed when tried again on a new connection.</summary>
    public static readonly IReadOnlySet<int> AzureTransientErrors = new HashSet<int> { 40197, 40501, 40613, 49918, 49919, 49920 };

    /// <inheritdoc/>
    public override string Engine => "sqlserver";

    /// <inheritdoc/>
    public override object ConfigId(ulong configId) => unchecked((long)configId);

    /// <inheritdoc/>
    /// <remarks>
    /// UPDLOCK makes an existing row one writer's at a time until the transaction ends (readers are not blocked). No
    /// HOLDLOCK: that would lock the key range a new node falls in, and new nodes mostly come in ascending order, so every
    /// station's first record of a node would queue on one range. Two stations recording the same new node at once both
    /// insert; the second waits on the first's key and then fails with a duplicate key, which the store answers by trying
    /// again, this time finding the row and locking it.
    /// </remarks>
    public override string LockNode =>
        "IF NOT EXISTS (SELECT 1 FROM nodes WITH (UPDLOCK, ROWLOCK) WHERE node_id = @node) " +
        "INSERT INTO nodes (node_id, current_record_id) VALUES (@node, NULL)";

    /// <inheritdoc/>
    public override string SchemaTableExists => "SELECT CASE WHEN OBJECT_ID(N'dbo.schema_version', N'U') IS NULL THEN 0 ELSE 1 END";

    /// <inheritdoc/>
    /// <remarks>
    /// SCOPE_IDENTITY, not OUTPUT INSERTED.id: SQL Server refuses OUTPUT without INTO on a table with triggers (the audit
    /// log), and a trigger's own inserts do not change SCOPE_IDENTITY.
    /// </remarks>
    public override string InsertReturningId(string table, string columns, string values) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values});\nSELECT CAST(SCOPE_IDENTITY() AS BIGINT)";

    /// <inheritdoc/>
    public override string ListColumns => "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = N'dbo'";

    /// <inheritdoc/>
    // IDENTITY_INSERT holds for the session, so it is switched on and off within the one batch the INSERT is sent in.
    public override string InsertKeepingIds(string table, string insert) =>
        $"IF OBJECTPROPERTY(OBJECT_ID(N'dbo.{table}'), 'TableHasIdentity') = 1 SET IDENTITY_INSERT dbo.{table} ON; " + insert +
        $"; IF OBJECTPROPERTY(OBJECT_ID(N'dbo.{table}'), 'TableHasIdentity') = 1 SET IDENTITY_INSERT dbo.{table} OFF";

    /// <inheritdoc/>
    public override string Limit(string limitParameter) => $"OFFSET 0 ROWS FETCH NEXT {limitParameter} ROWS ONLY";

    /// <summary>The application lock schema migration holds (application locks belong to one database).</summary>
    public const string MigrationLockResource = "provisioning.migrate";

    /// <summary>
    /// Takes the migration lock for the current transaction, waiting up to <c>@timeout</c> ms, and answers sp_getapplock's
    /// result: 0 or 1 when granted, negative when not (-1 timeout, -2 cancelled, -3 deadlock victim). Parameters
    /// <c>@resource</c> (<see cref="MigrationLockResource"/>) and <c>@timeout</c>.
    /// </summary>
    public string TakeMigrationLock =>
        "DECLARE @result INT;\n" +
        "EXEC @result = sp_getapplock @Resource = @resource, @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = @timeout;\n" +
        "SELECT @result";

    /// <summary>The statements only the SQL Server store sends (beside <see cref="StoreStatements"/> and the schema scripts), by name.</summary>
    public IEnumerable<(string Name, string Sql)> OwnStatements()
    {
        yield return (nameof(TakeMigrationLock), TakeMigrationLock);
    }

    /// <inheritdoc/>
    public override bool IsUniqueViolation(DbException exception) =>
        exception is SqlException e && Numbers(e).Any(n => n is UniqueConstraintError or UniqueIndexError);

    /// <inheritdoc/>
    /// <remarks>A deadlock victim, a lock timeout, a snapshot conflict, or a transient Azure SQL fault.</remarks>
    public override bool IsTransient(DbException exception) =>
        exception is SqlException e &&
        Numbers(e).Any(n => n is DeadlockError or LockTimeoutError or SnapshotConflictError || AzureTransientErrors.Contains(n));

    private static IEnumerable<int> Numbers(SqlException e) => e.Errors.Cast<SqlError>().Select(x => x.Number).Append(e.Number);
}
