using System.Data.Common;

namespace Provisioning.Server.Store.Sql;

/// <summary>
/// What one database engine spells differently. Everything else the store sends is written once, in
/// <see cref="StoreStatements"/>, from these pieces; an engine adds a dialect, a <see cref="SqlProvStore"/> subclass (connections,
/// write transactions, migration) and its schema scripts under <c>Store/Schema/&lt;engine&gt;/</c>.
/// </summary>
/// <remarks>
/// Parameters are written <c>@name</c> on every engine. Values bound to them are engine-neutral .NET values (long, string,
/// byte[], bool, null) except config IDs, which go through <see cref="ConfigId"/>: an unsigned 64-bit number has no common
/// column type. Rows are read back by column name into the row types of <c>Rows.cs</c>, through the converters
/// <see cref="StoreTypeHandlers"/> registers, whatever integer type the driver hands over.
/// </remarks>
public abstract class SqlDialect
{
    /// <summary>The engine name: the <see cref="IProvStore.Engine"/> value and the schema script folder (<c>sqlite</c>, <c>mysql</c>).</summary>
    public abstract string Engine { get; }

    /// <summary>A config ID as this engine's parameter value (the same 64 bits in a signed integer where there is no unsigned one).</summary>
    public abstract object ConfigId(ulong configId);

    /// <summary>
    /// One statement that inserts the <c>nodes</c> row <c>@node</c> (current record NULL) when missing and otherwise leaves it
    /// unchanged but locked by this transaction until it ends, so writers of one node take turns.
    /// </summary>
    public abstract string LockNode { get; }

    /// <summary>A query answering 1 when the <c>schema_version</c> table exists, else 0.</summary>
    public abstract string SchemaTableExists { get; }

    /// <summary>
    /// An INSERT into <paramref name="table"/> (which has an <c>id</c> key the database assigns) that answers the new ID as
    /// its one scalar: <c>RETURNING id</c>, <c>; SELECT LAST_INSERT_ID()</c>, <c>OUTPUT INSERTED.id</c>, ….
    /// </summary>
    /// <param name="table">The table.</param>
    /// <param name="columns">Its column list, without parentheses.</param>
    /// <param name="values">The matching value list, without parentheses.</param>
    public abstract string InsertReturningId(string table, string columns, string values);

    /// <summary>
    /// The expression giving a new device record's <c>id</c> where the engine does not assign it (a clustered table without
    /// auto-increment, written by one writer at a time); null where it does, and then <c>id</c> is left out of the INSERT.
    /// </summary>
    public virtual string? NextDeviceRecordId => null;

    /// <summary>What follows an ORDER BY to keep the first <paramref name="limitParameter"/> rows (<c>LIMIT @n</c>, <c>OFFSET 0 ROWS FETCH NEXT @n ROWS ONLY</c>).</summary>
    public virtual string Limit(string limitParameter) => $"LIMIT {limitParameter}";

    /// <summary>A query answering 1 when <paramref name="fromWhere"/> (<c>FROM … WHERE …</c>) matches a row, else 0.</summary>
    public virtual string Exists(string fromWhere) => $"SELECT CASE WHEN EXISTS (SELECT 1 {fromWhere}) THEN 1 ELSE 0 END";

    /// <summary>A query listing every column of the database's tables as <c>table_name, column_name</c> (backup and restore check the schema).</summary>
    public virtual string ListColumns => "SELECT table_name, column_name FROM information_schema.columns";

    /// <summary>
    /// <paramref name="insert"/>, an INSERT into <paramref name="table"/> that gives every column including its <c>id</c> (a
    /// restore keeps the backup's IDs), as this engine runs it: SQL Server must be told to take explicit identity values.
    /// </summary>
    public virtual string InsertKeepingIds(string table, string insert) => insert;

    /// <summary>Whether the failure is a UNIQUE or PRIMARY KEY violation.</summary>
    public abstract bool IsUniqueViolation(DbException exception);

    /// <summary>Whether the failure ended the whole transaction and running it again may succeed (a deadlock victim, a lock wait timeout).</summary>
    public virtual bool IsTransient(DbException exception) => false;
}
