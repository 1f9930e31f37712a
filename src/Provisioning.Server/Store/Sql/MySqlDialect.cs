using System.Data.Common;
using MySqlConnector;

namespace Provisioning.Server.Store.Sql;

/// <summary>MySQL 8 / MariaDB 10.5+ (InnoDB): unsigned integer columns, <c>LAST_INSERT_ID()</c>, row locks by upsert.</summary>
public sealed class MySqlDialect : SqlDialect
{
    /// <inheritdoc/>
    public override string Engine => "mysql";

    /// <summary>MariaDB only: whether the server is a Galera node (wsrep on). Fails on a server built without wsrep.</summary>
    public const string GaleraOn = "SELECT @@GLOBAL.wsrep_on";

    /// <summary>
    /// MariaDB only: <paramref name="select"/> as a causal read on a Galera node: it waits until the node has applied
    /// every transaction committed anywhere in the cluster before it.
    /// </summary>
    public static string CausalRead(string select) => "SET STATEMENT wsrep_sync_wait = 1 FOR " + select;

    /// <inheritdoc/>
    public override string ListColumns => "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = DATABASE()";

    /// <inheritdoc/>
    public override object ConfigId(ulong configId) => configId;

    /// <inheritdoc/>
    public override string LockNode => // unlike INSERT IGNORE, this takes an exclusive lock on an existing row
        "INSERT INTO nodes (node_id, current_record_id) VALUES (@node, NULL) ON DUPLICATE KEY UPDATE node_id = node_id";

    /// <inheritdoc/>
    public override string SchemaTableExists =>
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_version'";

    /// <inheritdoc/>
    public override string InsertReturningId(string table, string columns, string values) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}); SELECT LAST_INSERT_ID()";

    /// <inheritdoc/>
    public override bool IsUniqueViolation(DbException exception) =>
        exception is MySqlException { ErrorCode: MySqlErrorCode.DuplicateKeyEntry };

    /// <inheritdoc/>
    public override bool IsTransient(DbException exception) =>
        exception is MySqlException { ErrorCode: MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout };
}
