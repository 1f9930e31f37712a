namespace Provisioning.Server.Store;

/// <summary>
/// Every T-SQL statement the SQL Server store sends that is its own (the statements all engines share are composed
/// with these by the shared store). Kept in one place so that the tests can parse each of them with Microsoft's T-SQL
/// parser: a statement added anywhere else would escape that check.
/// </summary>
public static class SqlServerSql
{
    /// <summary>
    /// Creates the node's row when missing, else takes an update lock on it until commit (UPDLOCK: one writer per node;
    /// HOLDLOCK: also when the row does not exist yet, so two first records of one node take turns too). Readers are not blocked.
    /// </summary>
    public const string LockNode =
        "IF NOT EXISTS (SELECT 1 FROM nodes WITH (UPDLOCK, HOLDLOCK) WHERE node_id = @node) " +
        "INSERT INTO nodes (node_id, current_record_id) VALUES (@node, NULL)";

    /// <summary>1 when the schema_version table exists, else 0.</summary>
    public const string SchemaTableExists = "SELECT CASE WHEN OBJECT_ID(N'dbo.schema_version', N'U') IS NULL THEN 0 ELSE 1 END";

    /// <summary>Appended to an INSERT: the IDENTITY value it assigned (SCOPE_IDENTITY, which a trigger's inserts do not change).</summary>
    /// <remarks>Not OUTPUT INSERTED.id: SQL Server refuses OUTPUT without INTO on a table with triggers (the audit log).</remarks>
    public const string SelectInsertedId = ";\nSELECT CAST(SCOPE_IDENTITY() AS BIGINT)";

    /// <summary>The application lock schema migration holds; application locks are per database.</summary>
    public const string MigrationLockResource = "provisioning.migrate";

    /// <summary>Takes the migration lock for the transaction; returns sp_getapplock's result (0 or 1 granted, negative not).</summary>
    public const string TakeMigrationLock =
        "DECLARE @result INT;\n" +
        "EXEC @result = sp_getapplock @Resource = @resource, @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = @timeout;\n" +
        "SELECT @result";
}
