using System.Data.Common;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace Provisioning.Server.Store;

/// <summary>
/// Group commit for a store's writes: work from many callers (stations recording and confirming devices at once) is
/// queued and run in turn inside shared transactions, each item inside its own savepoint, and every caller hears its
/// result only after the transaction that holds its work has committed. One commit, and so one flush of the log to
/// disk, then carries a whole batch: durability is the same as a commit per call (nothing is answered before it is on
/// disk), at a fraction of the flushes. A failing item is rolled back to its savepoint and only its caller sees the
/// exception; a failed commit fails every item of the batch; a failure that ends the whole transaction (a deadlock)
/// runs the batch again.
/// </summary>
internal sealed class GroupCommit : IAsyncDisposable
{
    private const int Attempts = 5;
    private const string Savepoint = "prov_item";
    private readonly Func<CancellationToken, Task<(DbTransaction Tx, IAsyncDisposable? Lease)>> _begin;
    private readonly Func<DbException, bool> _endsTransaction;
    private readonly Channel<WriteItem> _queue = Channel.CreateUnbounded<WriteItem>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Task[] _workers;

    /// <param name="begin">Starts a write transaction; the lease (a connection, a lock) is disposed after the transaction.</param>
    /// <param name="endsTransaction">Whether a failure rolled back the whole transaction, so the batch must run again.</param>
    /// <param name="workers">Batches running at once (1 where the engine has one writer at a time).</param>
    /// <param name="maxBatch">Most items in one transaction.</param>
    public GroupCommit(Func<CancellationToken, Task<(DbTransaction Tx, IAsyncDisposable? Lease)>> begin, Func<DbException, bool> endsTransaction,
        int workers = 1, int maxBatch = 64)
    {
        _begin = begin;
        _endsTransaction = endsTransaction;
        MaxBatch = maxBatch;
        _workers = Enumerable.Range(0, workers).Select(_ => Task.Run(WorkAsync)).ToArray();
    }

    /// <summary>Most items in one transaction.</summary>
    public int MaxBatch { get; }

    /// <summary>Transactions committed so far, and the items they carried (how well writes are grouped).</summary>
    public (long Batches, long Items) Committed => (Interlocked.Read(ref _batches), Interlocked.Read(ref _items));

    private long _batches, _items;

    /// <summary>Queues <paramref name="work"/>; completes with its result once its transaction has committed.</summary>
    public Task<T> RunAsync<T>(Func<DbTransaction, Task<T>> work, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var item = new WriteItem<T>(work, ct);
        if (!_queue.Writer.TryWrite(item))
            throw new ObjectDisposedException(nameof(GroupCommit), "The store is closed; its writes are no longer taken.");
        return item.Task;
    }

    private async Task WorkAsync()
    {
        var batch = new List<WriteItem>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                // A caller that gave up before its work began gets its cancellation; work already begun is seen through.
                if (item.CancellationToken.IsCancellationRequested)
                    item.Cancel();
                else
                    batch.Add(item);
            }
            if (batch.Count > 0)
                await RunBatchAsync(batch);
        }
    }

    private async Task RunBatchAsync(List<WriteItem> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            DbTransaction? tx = null;
            IAsyncDisposable? lease = null;
            try
            {
                (tx, lease) = await _begin(CancellationToken.None);
                foreach (var item in batch)
                {
                    await tx.SaveAsync(Savepoint);
                    try
                    {
                        await item.RunAsync(tx);
                        await tx.ReleaseAsync(Savepoint);
                    }
                    catch (Exception e) when (e is not DbException db || !_endsTransaction(db))
                    {
                        // Some failures (a full disk, an I/O error) take the whole transaction with them: then the
                        // savepoint is gone too, and the item's own failure fails the batch.
                        try
                        {
                            await tx.RollbackAsync(Savepoint);
                            await tx.ReleaseAsync(Savepoint);
                        }
                        catch (Exception)
                        {
                            ExceptionDispatchInfo.Throw(e);
                        }
                        item.Failed(e);
                    }
                }
                await tx.CommitAsync();
                Interlocked.Increment(ref _batches);
                Interlocked.Add(ref _items, batch.Count);
                foreach (var item in batch)
                    item.Complete();
                return;
            }
            catch (Exception e)
            {
                if (tx is not null)
                {
                    try { await tx.RollbackAsync(); }
                    catch (DbException) { } // the transaction may be gone with its connection; nothing of it stays either way
                    catch (InvalidOperationException) { }
                }
                if (e is DbException db && _endsTransaction(db) && attempt < Attempts)
                {
                    foreach (var item in batch)
                        item.Reset();
                    continue;
                }
                foreach (var item in batch)
                    item.Abort(e);
                return;
            }
            finally
            {
                if (tx is not null)
                    await tx.DisposeAsync();
                if (lease is not null)
                    await lease.DisposeAsync();
            }
        }
    }

    /// <summary>Takes no more work and waits for what is queued to be written.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers);
    }

    private abstract class WriteItem(CancellationToken ct)
    {
        public CancellationToken CancellationToken { get; } = ct;
        protected Exception? Error { get; private set; }

        public abstract Task RunAsync(DbTransaction tx);

        /// <summary>Its own work failed (rolled back to its savepoint); reported once the batch ends.</summary>
        public void Failed(Exception e) => Error = e;

        /// <summary>The batch runs again: forget the last attempt's outcome.</summary>
        public virtual void Reset() => Error = null;

        /// <summary>The batch committed: its result, or its own failure.</summary>
        public abstract void Complete();

        /// <summary>The batch did not commit: its own failure if it had one, else the batch's.</summary>
        public abstract void Abort(Exception batchFailure);

        public abstract void Cancel();
    }

    private sealed class WriteItem<T>(Func<DbTransaction, Task<T>> work, CancellationToken ct) : WriteItem(ct)
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _done.Task;

        public override async Task RunAsync(DbTransaction tx) => _result = await work(tx);

        public override void Reset()
        {
            base.Reset();
            _result = default;
        }

        public override void Complete()
        {
            if (Error is not null)
                _done.TrySetException(Error);
            else
                _done.TrySetResult(_result!);
        }

        public override void Abort(Exception batchFailure) => _done.TrySetException(Error ?? batchFailure);

        public override void Cancel() => _done.TrySetCanceled(CancellationToken);
    }
}
