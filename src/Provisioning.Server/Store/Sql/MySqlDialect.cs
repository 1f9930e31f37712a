using System.Data.Common;
using MySqlConnector;

namespace Provisioning.Server.Store.Sql;

/// <summary>MySQL 8 / MariaDB 10.5+ (InnoDB): unsigned integer columns, <c>LAST_INSERT_ID()</c>, row locks by upsert.</summary>
public sealed class MySqlDialect : SqlDialect
{
    /// <inheritdoc/>
    public override string Engine => "mysql";

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
