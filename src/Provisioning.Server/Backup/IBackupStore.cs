namespace Provisioning.Server.Backup;

/// <summary>
/// What backup and restore need from a store beyond <see cref="Store.IProvStore"/>: a consistent read of every table in
/// one snapshot, and bulk inserts of rows as they were, in one transaction. Values are engine-neutral: <c>long</c>,
/// <c>ulong</c> (uint64 columns), <c>string</c>, <c>byte[]</c> or null.
/// </summary>
public interface IBackupStore
{
    /// <summary>Runs <paramref name="work"/> inside one read transaction that sees a single point in time while writers go on.</summary>
    Task ReadSnapshotAsync(Func<IBackupSnapshot, Task> work, CancellationToken ct = default);

    /// <summary>How many rows a table holds now.</summary>
    Task<long> CountRowsAsync(BackupTable table, CancellationToken ct = default);

    /// <summary>Runs <paramref name="work"/> in one write transaction; it commits only when the work returns (and rolls back when it throws).</summary>
    Task RestoreAsync(Func<IBackupRowSink, Task> work, CancellationToken ct = default);

    /// <summary>Drops the tables (children first) and the schema version, so that the next migration starts from nothing.</summary>
    Task DropTablesAsync(IEnumerable<BackupTable> tablesChildrenFirst, IEnumerable<string> alsoDrop, CancellationToken ct = default);

    /// <summary>Table and column names of the database as it is (lower case), for checks that the backup covers all of them.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> DescribeTablesAsync(CancellationToken ct = default);
}

/// <summary>Reads inside the snapshot.</summary>
public interface IBackupSnapshot
{
    /// <summary>Every row of the table in its order, one value per column.</summary>
    IAsyncEnumerable<object?[]> ReadTableAsync(BackupTable table, CancellationToken ct = default);
}

/// <summary>Inserts rows inside the restore transaction (batched; <see cref="FlushAsync"/> before the work returns).</summary>
public interface IBackupRowSink
{
    /// <summary>Adds one row of the table (values in the table's column order).</summary>
    Task AddAsync(BackupTable table, object?[] values, CancellationToken ct = default);

    /// <summary>Writes rows still batched.</summary>
    Task FlushAsync(CancellationToken ct = default);
}
