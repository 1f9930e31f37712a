using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Provisioning.Server.Store.Sql;

/// <summary>SQLite: one writer at a time (the store serialises them), 64-bit signed integers only, <c>RETURNING</c>.</summary>
public sealed class SqliteDialect : SqlDialect
{
    /// <inheritdoc/>
    public override string ListColumns =>
        "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p " +
        "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'";

    /// <inheritdoc/>
    public override string Engine => "sqlite";

    /// <inheritdoc/>
    public override object ConfigId(ulong configId) => unchecked((long)configId);

    /// <inheritdoc/>
    public override string LockNode => // writers are serialised already: nothing to lock
        "INSERT INTO nodes (node_id, current_record_id) VALUES (@node, NULL) ON CONFLICT (node_id) DO NOTHING";

    /// <inheritdoc/>
    public override string SchemaTableExists => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";

    /// <inheritdoc/>
    public override string InsertReturningId(string table, string columns, string values) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING id";

    /// <inheritdoc/>
    public override string NextDeviceRecordId => "(SELECT COALESCE(MAX(id), 0) + 1 FROM device_records)"; // writers are serialised

    /// <inheritdoc/>
    public override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 }; // SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY
}
