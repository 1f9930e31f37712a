using System.Data.Common;
using Microsoft.Data.Sqlite;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

/// <summary>
/// The embedded default store: one SQLite file in WAL mode. Writes go through <see cref="GroupCommit"/> on one
/// long-lived connection: the work of every caller waiting at the time shares one transaction (BEGIN IMMEDIATE, so
/// other processes wait on busy_timeout rather than failing) and one sync of the log (synchronous = FULL), and no
/// caller hears of its write before that sync. Readers use pooled connections and see the last committed state
/// without blocking the writer.
/// </summary>
public sealed class SqliteStore : SqlProvStore
{
    private const int BusyTimeoutMs = 30_000;

    /// <summary>The page size of databases this store creates (bytes).</summary>
    public const int NewDatabasePageSize = 8192;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly GroupCommit _groupCommit;
    private SqliteConnection? _writer;
    private bool _disposed, _closing;

    /// <summary>A store on <paramref name="path"/> (created, with its folder, on first write).</summary>
    public SqliteStore(string path) : base(new SqliteDialect())
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
        // One writer: SQLite takes one write transaction at a time, so one batch at a time.
        _groupCommit = new GroupCommit(BeginWriteAsync, _ => false, workers: 1);
    }

    /// <summary>Write transactions committed so far and the writes they carried.</summary>
    internal (long Batches, long Items) Committed => _groupCommit.Committed;

    /// <summary>The database file.</summary>
    public string Path { get; }

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
    /// <remarks>Through <see cref="GroupCommit"/>: the writes of every caller waiting at the time share one transaction and one sync.</remarks>
    protected override Task<T> WriteAsync<T>(Func<DbTransaction, Task<T>> work, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_closing, this);
        return _groupCommit.RunAsync(work, ct);
    }

    private async Task<(DbTransaction, IAsyncDisposable?)> BeginWriteAsync(CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            var writer = OpenWriter();
            // Microsoft.Data.Sqlite starts a non-deferred transaction with BEGIN IMMEDIATE: the write lock is taken
            // up front, so a second process waits on busy_timeout instead of failing at its first write.
            return (writer.BeginTransaction(deferred: false), new Release(_writeLock));
        }
        catch
        {
            _writeLock.Release();
            throw;
        }
    }

    private sealed class Release(SemaphoreSlim semaphore) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            semaphore.Release();
            return ValueTask.CompletedTask;
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
        // A new database gets larger pages than SQLite's 4 KiB: a device record (about 900 bytes) then never spills to
        // an overflow page, and more records share a page. The page size is fixed once the first table is written.
        bool isNew = new FileInfo(Path).Length == 0;
        var writer = new SqliteConnection(_connectionString);
        writer.Open();
        using (var pragmas = writer.CreateCommand())
        {
            pragmas.CommandText = (isNew ? $"PRAGMA page_size = {NewDatabasePageSize}; " : "") +
                $"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
            pragmas.ExecuteNonQuery();
        }
        return _writer = writer;
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        if (_closing)
            return;
        _closing = true;
        await _groupCommit.DisposeAsync(); // what callers were told is being written is written first
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
