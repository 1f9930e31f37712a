using System.Diagnostics;
using System.Threading.Channels;
using Provisioning.Core.Transport;

namespace Provisioning.Core.Wrappers.Psem;

/// <summary>The C12.18 data link gave up on a message: refused with NAK or unacknowledged on every try, or the line closed.</summary>
public sealed class PsemLinkException : IOException
{
    /// <summary>Creates the exception.</summary>
    public PsemLinkException(string message, bool heardAnything, bool refusedByNak, Exception? inner = null) : base(message, inner)
    {
        HeardAnything = heardAnything;
        RefusedByNak = refusedByNak;
    }

    /// <summary>True once the other side had sent anything at all on this link.</summary>
    public bool HeardAnything { get; }

    /// <summary>True when the last packet was refused with NAK (the other side is there but receives damage).</summary>
    public bool RefusedByNak { get; }
}

/// <summary>
/// Runs a <see cref="PsemDataLink"/> on a real line and clock: a reader feeds it what arrives, a timer runs its timeouts,
/// one writer puts its output on the line in order. Messages are sent one at a time (<see cref="SendAsync"/>) and
/// received in order (<see cref="ReceiveAsync"/>).
/// </summary>
public sealed class PsemLineDriver : IAsyncDisposable
{
    private readonly INodeTransport _line;
    private readonly PsemDataLink _link;
    private readonly object _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Channel<byte[]> _output = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<byte[]> _messages = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _reading, _writing, _ticking;
    private TaskCompletionSource? _sending;
    private Exception? _lineError;
    private readonly Action<byte[]>? _beforeReceive;

    /// <summary>Starts driving <paramref name="link"/> on <paramref name="line"/> (the caller keeps ownership of the line).</summary>
    /// <param name="line">The line.</param>
    /// <param name="link">The data link state.</param>
    /// <param name="filter">Optional fault hook run on every chunk read before the link sees it (simulated meters).</param>
    public PsemLineDriver(INodeTransport line, PsemDataLink link, Action<byte[]>? filter = null)
    {
        _line = line ?? throw new ArgumentNullException(nameof(line));
        _link = link ?? throw new ArgumentNullException(nameof(link));
        _beforeReceive = filter;
        _reading = Task.Run(ReadLoopAsync);
        _writing = Task.Run(WriteLoopAsync);
        _ticking = Task.Run(TickLoopAsync);
    }

    /// <summary>Milliseconds on this driver's clock.</summary>
    public long Now => _clock.ElapsedMilliseconds;

    /// <summary>The data link (read its statistics under no lock: they are counters).</summary>
    public PsemDataLink Link => _link;

    /// <summary>True once the line closed or failed.</summary>
    public bool LineClosed => Volatile.Read(ref _lineError) is not null;

    /// <summary>Runs <paramref name="action"/> on the link under the driver's lock (e.g. to apply negotiated sizes), then flushes its output.</summary>
    public void WithLink(Action<PsemDataLink> action)
    {
        lock (_gate)
        {
            action(_link);
            FlushLocked();
        }
        _wake.Release();
    }

    /// <summary>Sends one message; completes when every packet was acknowledged. Throws <see cref="PsemLinkException"/> when the link gives up.</summary>
    public async Task SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_lineError is { } error) throw Closed(error);
            if (_sending is not null) throw new InvalidOperationException("One C12.18 message at a time.");
            _link.Send(message, Now);
            _sending = done;
            FlushLocked();
        }
        _wake.Release();
        using (cancellationToken.Register(() => done.TrySetCanceled(cancellationToken)))
        {
            try { await done.Task.ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                lock (_gate)
                {
                    if (_sending == done)
                    {
                        _link.Abandon("cancelled");
                        _link.TakeOutcome();
                        _sending = null;
                    }
                }
                throw;
            }
        }
    }

    /// <summary>The next message received, or null when none arrives within <paramref name="timeout"/>.</summary>
    public async Task<byte[]?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_messages.Reader.TryRead(out var ready)) return ready;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(timeout);
        try
        {
            while (true)
            {
                if (_messages.Reader.TryRead(out var message)) return message;
                if (Volatile.Read(ref _lineError) is { } error) throw Closed(error);
                await _messages.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (Volatile.Read(ref _lineError) is { } error) throw Closed(error);
            return null;
        }
        catch (ChannelClosedException)
        {
            throw Closed(Volatile.Read(ref _lineError) ?? new IOException("the line closed"));
        }
    }

    /// <summary>Drops every message received and not taken (a new exchange starts clean).</summary>
    public void DiscardReceived()
    {
        while (_messages.Reader.TryRead(out var m)) Array.Clear(m);
    }

    /// <summary>Waits until what the link has put out so far has been handed to the line.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (_pendingWrites > 0 && deadline.ElapsedMilliseconds < 5000)
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
    }

    private int _pendingWrites;

    private void FlushLocked()
    {
        if (_link.PendingOutput.Length > 0)
        {
            Interlocked.Increment(ref _pendingWrites);
            _output.Writer.TryWrite(_link.TakeOutput());
        }
        while (_link.TryTakeMessage(out var message)) _messages.Writer.TryWrite(message);
        if (_sending is { } sending && _link.SendState is PsemSendState.Delivered or PsemSendState.Failed)
        {
            _sending = null;
            bool failed = _link.SendState == PsemSendState.Failed;
            string? reason = _link.FailureReason;
            _link.TakeOutcome();
            if (failed) sending.TrySetException(new PsemLinkException(reason ?? "the message was not delivered", _link.HeardAnything, _link.FailedByNak));
            else sending.TrySetResult();
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                int n = await _line.ReadAsync(buffer, _closing.Token).ConfigureAwait(false);
                if (n == 0) throw new IOException("the line closed");
                byte[]? chunk = null;
                if (_beforeReceive is not null)
                {
                    chunk = buffer.AsSpan(0, n).ToArray();
                    _beforeReceive(chunk);
                }
                lock (_gate)
                {
                    _link.Receive(chunk ?? buffer.AsSpan(0, n), Now);
                    FlushLocked();
                }
                buffer.AsSpan(0, n).Clear();
                _wake.Release();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Fail(e);
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var bytes in _output.Reader.ReadAllAsync(_closing.Token).ConfigureAwait(false))
            {
                try { await _line.WriteAsync(bytes, _closing.Token).ConfigureAwait(false); }
                finally
                {
                    Array.Clear(bytes);
                    Interlocked.Decrement(ref _pendingWrites);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Fail(e);
        }
    }

    private async Task TickLoopAsync()
    {
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                long? deadline;
                lock (_gate)
                {
                    _link.Tick(Now);
                    FlushLocked();
                    deadline = _link.NextDeadline;
                }
                long wait = deadline is { } d ? Math.Clamp(d - Now, 1, 1000) : 1000;
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(wait), _closing.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
    }

    private void Fail(Exception e)
    {
        if (Interlocked.CompareExchange(ref _lineError, e, null) is not null) return;
        _messages.Writer.TryComplete();
        lock (_gate)
        {
            if (_sending is { } sending)
            {
                _sending = null;
                _link.Abandon("the line closed");
                _link.TakeOutcome();
                sending.TrySetException(Closed(e));
            }
        }
    }

    private PsemLinkException Closed(Exception e) => new($"the line closed ({e.Message})", _link.HeardAnything, false, e);

    /// <summary>Stops the reader, timer and writer (the line itself stays open: its owner closes it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested) return;
        _closing.Cancel();
        _output.Writer.TryComplete();
        try { await Task.WhenAll(_writing, _ticking).ConfigureAwait(false); } catch (Exception) { }
        // The reader ends when the owner closes the line (a pending serial read does not always honour cancellation).
        _ = _reading;
        lock (_gate) _link.Reset();
    }
}
