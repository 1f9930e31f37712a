using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Provisioning.Server.Store;

/// <summary>
/// The embedded default store: one SQLite file in WAL mode. Writers are serialised in this process on one
/// long-lived connection (each transaction BEGIN IMMEDIATE, so other processes wait on busy_timeout rather than
/// failing); readers use pooled connections and see the last committed state without blocking the writer.
/// </summary>
public sealed class SqliteStore : SqlProvStore
{
    private const int BusyTimeoutMs = 30_000;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private SqliteConnection? _writer;
    private bool _disposed;

    /// <summary>A store on <paramref name="path"/> (created, with its folder, on first write).</summary>
    public SqliteStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMs / 1000,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public override string Engine => "sqlite";

    /// <inheritdoc/>
    protected override string LockNodeSql => // writers are serialised already: nothing to lock
        "INSERT INTO nodes (node_id, current_record_id) VALUES (@node, NULL) ON CONFLICT (node_id) DO NOTHING";

    /// <inheritdoc/>
    protected override string NextDeviceRecordIdSql => "(SELECT COALESCE(MAX(id), 0) + 1 FROM device_records)"; // writers are serialised

    /// <inheritdoc/>
    protected override string SchemaTableExistsSql => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";

    /// <inheritdoc/>
    protected override ValueTask<DbConnection> OpenReadAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            return ValueTask.FromResult<DbConnection>(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    protected override async Task<T> WriteAsync<T>(Func<DbTransaction, Task<T>> work, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            var writer = OpenWriter();
            // Microsoft.Data.Sqlite starts a non-deferred transaction with BEGIN IMMEDIATE: the write lock is taken
            // up front, so a second process waits on busy_timeout instead of failing at its first write.
            await using var tx = writer.BeginTransaction(deferred: false);
            var result = await work(tx);
            tx.Commit();
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc/>
    public override async Task MigrateAsync(CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            var writer = OpenWriter();
            foreach (var script in SchemaScripts.For(Engine).Scripts)
            {
                // One IMMEDIATE transaction per script: a second server starting at the same time waits, then finds it applied.
                await using var tx = writer.BeginTransaction(deferred: false);
                if (await ApplyScriptAsync(writer, tx, script, ct))
                    tx.Commit();
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private SqliteConnection OpenWriter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_writer is not null)
            return _writer;
        Hosting.OwnerOnlyFolder.Create(System.IO.Path.GetDirectoryName(Path)!);
        // SQLite gives the -wal and -shm files the database file's mode, so a new database starts as an empty owner-only file.
        Hosting.OwnerOnlyFile.Touch(Path);
        var writer = new SqliteConnection(_connectionString);
        writer.Open();
        using (var pragmas = writer.CreateCommand())
        {
            pragmas.CommandText =
                $"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";
            pragmas.ExecuteNonQuery();
        }
        return _writer = writer;
    }

    /// <inheritdoc/>
    protected override object ConfigIdValue(ulong configId) => unchecked((long)configId);

    /// <inheritdoc/>
    protected override ulong GetConfigId(DbDataReader reader, int ordinal) => unchecked((ulong)reader.GetInt64(ordinal));

    /// <inheritdoc/>
    protected override uint GetUInt32(DbDataReader reader, int ordinal) => checked((uint)reader.GetInt64(ordinal));

    /// <inheritdoc/>
    protected override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 }; // SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY

    /// <inheritdoc/>
    protected override async Task<long> InsertReturningIdAsync(DbCommand insert, CancellationToken ct)
    {
        insert.CommandText += " RETURNING id";
        return (long)(await insert.ExecuteScalarAsync(ct))!;
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        await _writeLock.WaitAsync();
        try
        {
            _disposed = true;
            if (_writer is not null)
                await _writer.DisposeAsync();
            // Let go of pooled handles so the file can be moved or deleted once the store is gone.
            using var probe = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(probe);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
