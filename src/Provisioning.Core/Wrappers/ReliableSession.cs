using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Provisioning.Core.Node;
using Provisioning.Core.Station;
using Provisioning.Core.Transport;

namespace Provisioning.Core.Wrappers;

/// <summary>
/// One end of a reliable session (docs/wrappers.md, "reliable"): selective-repeat ARQ over CRC-16 frames with 8-bit sequence
/// numbers. Node bytes travel as one ordered stream (a node message may span frames, frames may carry several); host messages
/// travel whole, in order with them. Both roles share the code; the station opens with a reset, the host answers it.
/// </summary>
/// <remarks>
/// All protocol state sits behind one lock. A receive task decodes frames and updates it; one pump task does every write to
/// the line, in this order: control frames, acknowledgements, resends, new frames. The pump models the line as a queue at the
/// baud rate and hands it no more than <see cref="AheadTime"/> beyond what has crossed, so a resend never waits behind a window
/// of new frames in an operating-system buffer, and each frame's timer starts when its last byte is due at the peer.
/// </remarks>
internal sealed class ReliableSession : LinkSession
{
    /// <summary>Largest frame this end takes by default (station and C# host): 1 KiB of data.</summary>
    public const int DefaultMaxFrame = 1024 + ReliableFrame.Overhead;

    /// <summary>Frames this end holds out of order by default.</summary>
    public const int DefaultWindow = 32;

    /// <summary>Resends of one frame before the session fails, by default.</summary>
    public const int DefaultResends = 12;

    /// <summary>Node bytes queued ahead of the window before <see cref="WriteAsync"/> waits.</summary>
    private const int MaxQueuedBytes = 64 * 1024;

    private static readonly TimeSpan MinGiveUp = TimeSpan.FromSeconds(2);

    private readonly object _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly Channel<byte[]> _delivered = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ReliableFrameDecoder _decoder;
    private readonly double _byteSeconds;
    private readonly int _myWindow, _myMaxFrame, _resends;
    private readonly Task _receiving, _pumping;
    private TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Session.
    private enum State { Idle, Opening, Open, Closing, Failed }
    private State _state = State.Idle;
    private uint _sessionId;
    private int _peerWindow = 1, _peerMaxFrame = ReliableFrame.MinFrame;
    private Exception? _failure;
    private byte[]? _control;           // a control frame to send (reset, its answer, close, its answer)
    private int _controlSent;           // times the current control frame went out
    private TimeSpan _controlDue;       // when it goes out (again)
    private bool _noSessionDue;         // host: tell the station it holds no session

    // Sender.
    private readonly Outgoing?[] _out = new Outgoing?[256];
    private byte _sendBase, _sendNext;
    private readonly LinkedList<(ReliableFrameType Type, byte[] Bytes, int At)> _queue = new();
    private int _queuedBytes;
    private long _txOrder;
    // A clean line until shown otherwise, weighed as 4 KiB: one loss in the first frames already shrinks them.
    private double _lossEvents, _lossBytes = 4 * 1024;
    private double _srtt, _rttvar;
    // Doubles with each resend by timer, back to 1 when a frame sent once is acknowledged: a stalled peer or a busy PC
    // costs one resend per timeout, not a window of them.
    private int _backoff = 1;
    private TimeSpan _lineFreeAt;
    private TimeSpan _lastProgress;

    // Receiver.
    private byte _rxNext;
    private readonly byte[]?[] _held = new byte[256][];
    private readonly ReliableFrameType[] _heldType = new ReliableFrameType[256];
    private int _highestSeen = -1; // frames after _rxNext seen, minus one; -1: none
    private bool _ackDue;

    // Counters.
    private int _resent, _naks, _resets, _framesSent, _timerResends;
    private long _frameBytes;
    private long _lineSent, _lineReceived;

    private sealed class Outgoing(ReliableFrameType type, byte[] frame)
    {
        public ReliableFrameType Type { get; } = type;
        public byte[] Frame { get; } = frame;
        public int Transmissions { get; set; }
        public long TxOrder { get; set; }
        public long FirstTxOrder { get; set; }
        public TimeSpan LineEnd { get; set; }
        public TimeSpan Deadline { get; set; }
        public TimeSpan FirstSent { get; set; }
        public bool Held { get; set; }
        public bool ResendNow { get; set; }
    }

    public ReliableSession(ReliableWrapper wrapper, INodeTransport line, LinkRole role, LinkOptions options)
        : base(wrapper, line, role, options)
    {
        int baud = line.BaudRate ?? options.BaudRate;
        _byteSeconds = 10.0 / Math.Max(1, baud);
        _myMaxFrame = Math.Clamp(options.MaxMessageSize ?? DefaultMaxFrame, ReliableFrame.MinFrame, ReliableFrame.MaxFrame);
        _myWindow = DefaultWindow;
        _resends = Math.Max(1, options.Resends ?? DefaultResends);
        _decoder = new ReliableFrameDecoder(_myMaxFrame);
        _srtt = LineTime(AckLength + _myMaxFrame).TotalSeconds + 0.02;
        _rttvar = 0.01;
        _receiving = Task.Run(ReceiveAsync);
        _pumping = Task.Run(PumpAsync);
    }

    /// <summary>Longest acknowledgement: header, count, bitmap of a whole window.</summary>
    private const int AckLength = ReliableFrame.Overhead + 1 + ReliableFrame.MaxWindow / 8;

    /// <summary>Bytes handed to the line beyond what has crossed it: enough that scheduling never leaves it idle, no more.</summary>
    private TimeSpan AheadTime => TimeSpan.FromMilliseconds(15) + LineTime(Math.Min(_peerMaxFrame, 256));

    public override int MaxMessageSize => NodeFrame.MaxLength;

    public override int MaxHostMessageSize
    {
        get
        {
            lock (_gate) return _peerMaxFrame - ReliableFrame.Overhead;
        }
    }

    public override TimeSpan ExtraLatency
    {
        get
        {
            lock (_gate) return GiveUpAfter + LineTime(Math.Min(8192, _peerWindow * _peerMaxFrame));
        }
    }

    /// <summary>How long a frame may go unacknowledged before the session fails: its resends, and at least two seconds.</summary>
    private TimeSpan GiveUpAfter
    {
        get
        {
            var byResends = TimeSpan.FromSeconds((_resends + 1) * (LineTime(DefaultMaxFrame + AckLength).TotalSeconds + 0.1));
            return byResends > MinGiveUp ? byResends : MinGiveUp;
        }
    }

    public override LinkStatistics Statistics
    {
        get
        {
            lock (_gate) return new LinkStatistics(_resent, _decoder.Damaged, _naks, _resets, _lineSent, _lineReceived);
        }
    }

    /// <summary>The station's reset handshake: sent until answered, <see cref="LinkOptions.Resends"/> (default 3) more times.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        int attempts = (Options.Resends ?? 3) + 1;
        var each = Options.ResponseTimeout ?? TimeSpan.FromMilliseconds(300) + LineTime(2 * (ReliableFrame.Overhead + ReliableFrame.ResetLength));
        lock (_gate)
        {
            _sessionId = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
            _state = State.Opening;
            _control = ReliableFrame.Encode(ReliableFrameType.Reset, 0, ReliableFrame.ResetPayload(_myWindow, _myMaxFrame, _sessionId));
            _controlSent = 0;
            _controlDue = _clock.Elapsed;
        }
        Log($"reset sent (session {_sessionId:X8}, window {_myWindow}, frames up to {_myMaxFrame} bytes)");
        _wake.Release();
        try
        {
            await _opened.Task.WaitAsync(each * attempts, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            long received;
            int damaged;
            lock (_gate) (received, damaged) = (_lineReceived, _decoder.Damaged);
            string heard = received == 0 ? "nothing came back"
                : $"{received} bytes came back but no intact answer{(damaged > 0 ? $" ({damaged} damaged runs)" : "")}";
            throw new LinkException(ProvExitCode.NoDevice,
                $"No host answered the reliable reset on {Name} within {(each * attempts).TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s ({attempts} attempts): {heard}")
            {
                Advice = "Check that the host runs the reliable transport (src/host/reliable), that its baud rate matches, and that -Wrapper is the one the host speaks.",
            };
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.Length > MaxMessageSize)
            throw new ArgumentException($"The reliable session carries node messages of at most {MaxMessageSize} bytes; this one has {data.Length}.", nameof(data));
        await EnqueueAsync(ReliableFrameType.NodeData, data, cancellationToken).ConfigureAwait(false);
    }

    public override Task SendHostMessageAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        int room;
        lock (_gate) room = _peerMaxFrame - ReliableFrame.Overhead;
        if (message.Length > room)
            throw new ArgumentException($"A host message travels in one frame: at most {room} bytes on this session, not {message.Length}.", nameof(message));
        return EnqueueAsync(ReliableFrameType.HostMessage, message, cancellationToken).AsTask();
    }

    private async ValueTask EnqueueAsync(ReliableFrameType type, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task room;
            lock (_gate)
            {
                if (_failure is not null) throw _failure;
                ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
                if (_state != State.Open)
                {
                    // A host without a session has no one to answer: what the node says now is lost, as on a real host.
                    if (Role == LinkRole.Host) return;
                    throw new InvalidOperationException("The reliable session is not open.");
                }
                if (_queuedBytes < MaxQueuedBytes || _queue.Count == 0)
                {
                    if (data.Length == 0) return;
                    _queue.AddLast((type, data.ToArray(), 0));
                    _queuedBytes += data.Length;
                    break;
                }
                if (_room.Task.IsCompleted) _room = new(TaskCreationOptions.RunContinuationsAsynchronously);
                room = _room.Task;
            }
            await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        _wake.Release();
    }

    private byte[] _pending = [];
    private int _pendingAt;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (_pendingAt >= _pending.Length)
        {
            if (!await _delivered.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return 0;
            if (_delivered.Reader.TryRead(out var next)) (_pending, _pendingAt) = (next, 0);
        }
        int n = Math.Min(buffer.Length, _pending.Length - _pendingAt);
        _pending.AsMemory(_pendingAt, n).CopyTo(buffer);
        _pending.AsSpan(_pendingAt, n).Clear();
        _pendingAt += n;
        return n;
    }

    /// <summary>Waits until what was written is acknowledged, then sends a close until answered. A close the host never answers is logged, not thrown: the node's work is done.</summary>
    public override async Task CloseAsync(CancellationToken cancellationToken)
    {
        var drainBy = _clock.Elapsed + GiveUpAfter + LineTime(MaxQueuedBytes);
        while (true)
        {
            lock (_gate)
            {
                if (_failure is not null) throw _failure;
                if (_state != State.Open || _queue.Count == 0 && _sendBase == _sendNext) break;
            }
            if (_clock.Elapsed > drainBy) break;
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
        if (Role == LinkRole.Host) return;
        lock (_gate)
        {
            Log($"{_framesSent} frames sent, {_frameBytes / Math.Max(1, _framesSent)} bytes on average; {_resent} resends, {_timerResends} by timer; loss per byte {_lossEvents / _lossBytes:0.00e0}; rtt {_srtt * 1000:0.0} ms ± {_rttvar * 1000:0.0}");
            if (_state != State.Open) return;
            _state = State.Closing;
            _control = ReliableFrame.Encode(ReliableFrameType.Close, 0, []);
            _controlSent = 0;
            _controlDue = _clock.Elapsed;
        }
        _wake.Release();
        var wait = TimeSpan.FromMilliseconds(300) * (_resends + 1);
        try { await _closed.Task.WaitAsync(wait, cancellationToken).ConfigureAwait(false); }
        catch (TimeoutException) { Log($"the host did not answer the close within {wait.TotalSeconds:0.#} s; the line is released anyway"); }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _wake.Release();
        await Line.DisposeAsync().ConfigureAwait(false);
        try { await Task.WhenAll(_receiving, _pumping).ConfigureAwait(false); }
        catch (Exception) { /* closing: the tasks' last errors no longer matter */ }
        lock (_gate) Fail(new ObjectDisposedException(nameof(ReliableSession)), quietly: true);
    }

    // ---- receiving ----

    private async Task ReceiveAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await Line.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    lock (_gate) Fail(new LinkException(Role == LinkRole.Station ? ProvExitCode.NodeMessageFailed : ProvExitCode.NoDeviceHost,
                        $"{Name} closed the connection during the reliable session"));
                    return;
                }
                byte[][] hostMessages = [];
                lock (_gate)
                {
                    _lineReceived += n;
                    _decoder.Append(buffer.AsSpan(0, n), OnFrame);
                    if (_hostMessages.Count > 0)
                    {
                        hostMessages = _hostMessages.ToArray();
                        _hostMessages.Clear();
                    }
                }
                _wake.Release();
                foreach (var message in hostMessages)
                {
                    try { OnHostMessage(message); }
                    catch (Exception e) when (e is not OutOfMemoryException) { Log($"a host message handler failed: {e.Message}"); }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            lock (_gate) Fail(new LinkException(ProvExitCode.NodeMessageFailed, $"The line {Name} failed during the reliable session: {e.Message}", e));
        }
    }

    /// <summary>One intact frame; runs under the lock.</summary>
    private void OnFrame(ReliableFrame frame)
    {
        switch (frame.Type)
        {
            case ReliableFrameType.Reset when Role == LinkRole.Host:
                if (!ReliableFrame.TryReadReset(frame.Payload.Span, out int window, out int maxFrame, out uint id)) return;
                if (_state == State.Open) _resets++;
                ResetState();
                (_peerWindow, _peerMaxFrame, _sessionId, _state) = (window, maxFrame, id, State.Open);
                _control = ReliableFrame.Encode(ReliableFrameType.ResetAck, 0, ReliableFrame.ResetPayload(_myWindow, _myMaxFrame, id));
                _controlSent = 0;
                _controlDue = _clock.Elapsed;
                Log($"session {id:X8} opened by the station (window {window}, frames up to {maxFrame} bytes)");
                return;
            case ReliableFrameType.Reset:
                // The host holds no session: it restarted (or never saw ours). While opening, the answer to our reset follows.
                if (_state is State.Open or State.Closing)
                    Fail(new LinkException(ProvExitCode.NodeMessageFailed, $"The host on {Name} restarted during the reliable session: it answered with a reset, so messages in flight were lost")
                    {
                        Advice = "Check the host's power supply, watchdog and reset line; then provision the device again (a firmware transfer resumes where it stopped).",
                    });
                return;
            case ReliableFrameType.ResetAck when Role == LinkRole.Station:
                if (_state != State.Opening || !ReliableFrame.TryReadReset(frame.Payload.Span, out window, out maxFrame, out id) || id != _sessionId) return;
                (_peerWindow, _peerMaxFrame, _state, _control) = (window, Math.Min(maxFrame, _myMaxFrame), State.Open, null);
                _lastProgress = _clock.Elapsed;
                Log($"session {id:X8} open: the host holds {window} frames of up to {maxFrame} bytes");
                _opened.TrySetResult();
                return;
            case ReliableFrameType.Close when Role == LinkRole.Host:
                _control = ReliableFrame.Encode(ReliableFrameType.CloseAck, 0, []);
                _controlSent = 0;
                _controlDue = _clock.Elapsed;
                if (_state == State.Open) Log($"session {_sessionId:X8} closed by the station");
                _state = State.Idle;
                return;
            case ReliableFrameType.CloseAck when Role == LinkRole.Station:
                if (_state == State.Closing)
                {
                    _state = State.Idle;
                    _control = null;
                    _closed.TrySetResult();
                }
                return;
            case ReliableFrameType.Ack:
                if (_state is State.Open or State.Closing) OnAck(frame);
                else if (Role == LinkRole.Host) _noSessionDue = true;
                return;
            case ReliableFrameType.NodeData or ReliableFrameType.HostMessage:
                if (_state is State.Open) OnData(frame);
                else if (Role == LinkRole.Host) _noSessionDue = true;
                return;
        }
    }

    private void OnData(ReliableFrame frame)
    {
        _ackDue = true;
        int d = (byte)(frame.Seq - _rxNext);
        if (d >= _myWindow) return; // behind (a duplicate) or beyond the window: acknowledged again, not kept
        if (d > _highestSeen) _highestSeen = d;
        if (d > 0)
        {
            _held[frame.Seq] ??= frame.Payload.ToArray();
            _heldType[frame.Seq] = frame.Type;
            return;
        }
        Deliver(frame.Type, frame.Payload.ToArray());
        _rxNext++;
        _highestSeen--;
        while (_held[_rxNext] is { } next)
        {
            _held[_rxNext] = null;
            Deliver(_heldType[_rxNext], next);
            _rxNext++;
            _highestSeen--;
        }
        if (_highestSeen < -1) _highestSeen = -1;
    }

    private void Deliver(ReliableFrameType type, byte[] payload)
    {
        if (type == ReliableFrameType.NodeData) _delivered.Writer.TryWrite(payload);
        else _hostMessages.Add(payload);
    }

    // Host messages received, raised once the lock is released (handlers may send).
    private readonly List<byte[]> _hostMessages = new();

    /// <summary>Acknowledgement: SEQ is the next frame expected; payload [L][bitmap]: the peer saw up to SEQ+L, bit i of the bitmap is SEQ+1+i held.</summary>
    private void OnAck(ReliableFrame frame)
    {
        var now = _clock.Elapsed;
        var payload = frame.Payload.Span;
        int inFlight = (byte)(_sendNext - _sendBase);
        int acked = (byte)(frame.Seq - _sendBase);
        if (acked > inFlight) return; // stale
        for (int i = 0; i < acked; i++)
        {
            var done = _out[_sendBase]!;
            _out[_sendBase] = null;
            _sendBase++;
            Acknowledged(done, now);
        }
        if (acked > 0)
        {
            _lastProgress = now;
            if (_room.Task.IsCompleted is false && _queuedBytes < MaxQueuedBytes) _room.TrySetResult();
        }
        int seen = payload.Length < 1 ? 0 : Math.Min((int)payload[0], (byte)(_sendNext - _sendBase) - 1);
        if (seen <= 0) return;
        var bitmap = payload[1..];
        // Frames sent before the last one the peer saw, and neither delivered nor held, were lost on the way. Which copy of
        // that one the peer saw is not known: only frames last sent before its first copy are surely lost.
        var last = _out[(byte)(_sendBase + seen)];
        bool hole = false;
        for (int i = 0; i < seen; i++)
        {
            var f = _out[(byte)(_sendBase + i)];
            if (f is null) continue;
            bool held = i > 0 && (i - 1) / 8 < bitmap.Length && (bitmap[(i - 1) / 8] & (1 << ((i - 1) % 8))) != 0;
            if (held) f.Held = true;
            else if (last is not null && f.TxOrder < last.FirstTxOrder && !f.ResendNow)
            {
                f.ResendNow = true;
                hole = true;
            }
        }
        bool lastHeld = seen - 1 < 8 * bitmap.Length && (bitmap[(seen - 1) / 8] & (1 << ((seen - 1) % 8))) != 0;
        if (last is not null) last.Held = last.Held || lastHeld;
        if (hole && !lastHeld)
        {
            // A peer that keeps only what arrives in order dropped the last frame it saw, and will drop every frame now in
            // flight that arrives before the resend fills the gap: they all go again, behind it, in order.
            for (int i = seen; i < (byte)(_sendNext - _sendBase); i++)
                if (_out[(byte)(_sendBase + i)] is { Held: false } f) f.ResendNow = true;
        }
        if (hole) _naks++;
    }

    private void Acknowledged(Outgoing done, TimeSpan now)
    {
        int bytes = done.Frame.Length;
        // Frames carry node messages, key writes among them: nothing stays behind once delivered.
        done.Frame.AsSpan().Clear();
        // Frame loss per byte sent, decaying so the estimate follows the line.
        _lossEvents = _lossEvents * 0.98 + (done.Transmissions - 1);
        _lossBytes = _lossBytes * 0.98 + bytes * done.Transmissions;
        if (done.Transmissions == 1)
        {
            _backoff = 1;
            // Karn: only frames sent once give a clean round-trip sample.
            double sample = Math.Max(0, (now - done.LineEnd).TotalSeconds);
            _rttvar = 0.75 * _rttvar + 0.25 * Math.Abs(_srtt - sample);
            _srtt = 0.875 * _srtt + 0.125 * sample;
        }
    }

    // ---- sending ----

    private async Task PumpAsync()
    {
        var writes = new List<byte[]>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                TimeSpan wakeAt;
                lock (_gate)
                {
                    if (_failure is not null) return;
                    wakeAt = Schedule(writes);
                }
                foreach (var bytes in writes)
                    await Line.WriteAsync(bytes, _stop.Token).ConfigureAwait(false);
                writes.Clear();
                var wait = wakeAt - _clock.Elapsed;
                if (wait > TimeSpan.Zero)
                    await _wake.WaitAsync(wait > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait, _stop.Token).ConfigureAwait(false);
                while (_wake.CurrentCount > 0) _wake.Wait(0);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            lock (_gate) Fail(new LinkException(ProvExitCode.NodeMessageFailed, $"Writing to {Name} failed during the reliable session: {e.Message}", e));
        }
    }

    /// <summary>What to write now (under the lock), in priority order; returns when to look again.</summary>
    private TimeSpan Schedule(List<byte[]> writes)
    {
        var now = _clock.Elapsed;
        var wakeAt = now + TimeSpan.FromSeconds(1);
        if (_lineFreeAt < now) _lineFreeAt = now;

        if (_control is not null && now >= _controlDue)
        {
            Put(writes, _control);
            _controlSent++;
            // The station resends its reset or close until answered; an answer goes once (the station asks again if it was lost).
            if (Role == LinkRole.Station) _controlDue = _lineFreeAt + (Options.ResponseTimeout ?? TimeSpan.FromMilliseconds(300));
            else _control = null;
        }
        if (_control is not null) wakeAt = Min(wakeAt, _controlDue);
        if (_noSessionDue)
        {
            _noSessionDue = false;
            Put(writes, ReliableFrame.Encode(ReliableFrameType.Reset, 0, ReliableFrame.ResetPayload(_myWindow, _myMaxFrame, 0)));
        }
        if (_state is not (State.Open or State.Closing)) return wakeAt;
        if (_ackDue)
        {
            _ackDue = false;
            Put(writes, AckFrame());
        }

        // Resends: frames shown lost by an acknowledgement, then frames whose timer ran out.
        int inFlight = (byte)(_sendNext - _sendBase);
        for (int i = 0; i < inFlight; i++)
        {
            var f = _out[(byte)(_sendBase + i)]!;
            if (f.Held && !f.ResendNow) continue;
            bool due = f.ResendNow || now >= f.Deadline;
            if (!due)
            {
                wakeAt = Min(wakeAt, f.Deadline);
                continue;
            }
            if (f.Transmissions > _resends && now - f.FirstSent >= GiveUpAfter && Role == LinkRole.Station)
            {
                FailUnacknowledged(f, inFlight, now);
                return wakeAt;
            }
            if (Role == LinkRole.Host && f.Transmissions > _resends && now - f.FirstSent >= GiveUpAfter)
            {
                // The station went away: forget the session; it opens a new one when it comes back.
                Log($"session {_sessionId:X8} dropped: the station acknowledged nothing for {(now - f.FirstSent).TotalSeconds:0.#} s");
                ResetState();
                _state = State.Idle;
                return wakeAt;
            }
            if (_lineFreeAt - now > AheadTime) return Min(wakeAt, _lineFreeAt - AheadTime);
            _resent++;
            bool byTimer = !f.ResendNow;
            Transmit(writes, f);
            if (byTimer)
            {
                // A timeout says little about the frames behind this one: their timers start again, backed off.
                _timerResends++;
                _backoff = Math.Min(_backoff * 2, 8);
                for (int j = i + 1; j < inFlight; j++)
                    if (_out[(byte)(_sendBase + j)] is { ResendNow: false } later && later.Deadline < f.Deadline) later.Deadline = f.Deadline;
            }
        }

        // New frames, while the peer's window and the line allow.
        while (_queue.Count > 0 && inFlight < _peerWindow && _state == State.Open)
        {
            if (_lineFreeAt - now > AheadTime) return Min(wakeAt, _lineFreeAt - AheadTime);
            var f = NextFrame();
            _out[_sendNext] = f;
            _sendNext++;
            inFlight++;
            f.FirstSent = now;
            _framesSent++;
            _frameBytes += f.Frame.Length;
            Transmit(writes, f);
            wakeAt = Min(wakeAt, f.Deadline);
        }
        if (_queuedBytes < MaxQueuedBytes) _room.TrySetResult();
        return wakeAt;
    }

    private void FailUnacknowledged(Outgoing f, int inFlight, TimeSpan now)
    {
        var silentFor = now - _lastProgress;
        Fail(new LinkException(ProvExitCode.NodeMessageFailed,
            $"The host on {Name} acknowledged none of {inFlight} frames in flight for {silentFor.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s, " +
            $"each sent {f.Transmissions} times (reliable session {_sessionId:X8}; {_resent} resends, {_decoder.Damaged} damaged runs received in all)")
        {
            Advice = "Every frame of a window was lost: check the cable, its shielding and ground, the device's power, and that the host still runs; then provision the device again (a firmware transfer resumes where it stopped).",
        });
    }

    private void Transmit(List<byte[]> writes, Outgoing f)
    {
        f.ResendNow = false;
        f.Held = false;
        f.Transmissions++;
        f.TxOrder = ++_txOrder;
        if (f.Transmissions == 1) f.FirstTxOrder = f.TxOrder;
        Put(writes, f.Frame);
        f.LineEnd = _lineFreeAt;
        f.Deadline = _lineFreeAt + RetransmitTimeout();
    }

    /// <summary>Time after a frame has crossed the line to wait for its acknowledgement: the smoothed round trip and four deviations, at least the acknowledgement's own line time.</summary>
    private TimeSpan RetransmitTimeout()
    {
        if (Options.ResponseTimeout is { } given) return given;
        double rto = _srtt + 4 * _rttvar;
        // The acknowledgement may wait behind a frame of the peer's own, and the peer's scheduling.
        double min = LineTime(AckLength + Math.Min(_peerMaxFrame, 256)).TotalSeconds + 0.02;
        return TimeSpan.FromSeconds(Math.Min(Math.Max(rto, min) * _backoff, 2.0));
    }

    private void Put(List<byte[]> writes, byte[] bytes)
    {
        writes.Add(bytes);
        _lineSent += bytes.Length;
        _lineFreeAt += LineTime(bytes.Length);
    }

    /// <summary>The next data frame from the queue: a host message whole, or node bytes up to the frame size the line's loss rate favours.</summary>
    private Outgoing NextFrame()
    {
        var first = _queue.First!.Value;
        if (first.Type == ReliableFrameType.HostMessage)
        {
            _queue.RemoveFirst();
            _queuedBytes -= first.Bytes.Length;
            var frame = new Outgoing(first.Type, ReliableFrame.Encode(first.Type, _sendNext, first.Bytes));
            // Host messages can carry keys (the eMCM's): the queued copy goes as node bytes do.
            first.Bytes.AsSpan().Clear();
            return frame;
        }
        int room = FramePayload();
        var payload = new byte[Math.Min(room, NodeBytesQueued())];
        int filled = 0;
        while (filled < payload.Length)
        {
            var node = _queue.First!;
            var (type, bytes, at) = node.Value;
            int n = Math.Min(payload.Length - filled, bytes.Length - at);
            bytes.AsSpan(at, n).CopyTo(payload.AsSpan(filled));
            filled += n;
            _queuedBytes -= n;
            if (at + n == bytes.Length)
            {
                _queue.RemoveFirst();
                bytes.AsSpan().Clear();
            }
            else node.Value = (type, bytes, at + n);
        }
        return new Outgoing(ReliableFrameType.NodeData, ReliableFrame.Encode(ReliableFrameType.NodeData, _sendNext, payload));
    }

    private int NodeBytesQueued()
    {
        int n = 0;
        foreach (var (type, bytes, at) in _queue)
        {
            if (type != ReliableFrameType.NodeData) break;
            n += bytes.Length - at;
        }
        return n;
    }

    /// <summary>
    /// Data bytes per frame: the frame length N that maximises delivered data per line byte, e^(-λN)·(N - h)/N for a loss
    /// rate λ per byte and overhead h, is N = (λh + √(λ²h² + 4λh)) / 2λ; within 32 bytes and the peer's buffer.
    /// </summary>
    private int FramePayload()
    {
        int max = _peerMaxFrame - ReliableFrame.Overhead;
        double lambda = _lossEvents / _lossBytes;
        if (lambda <= 1e-9) return max;
        double h = ReliableFrame.Overhead;
        double n = (lambda * h + Math.Sqrt(lambda * lambda * h * h + 4 * lambda * h)) / (2 * lambda);
        return (int)Math.Clamp(n - h, 32, max);
    }

    private byte[] AckFrame()
    {
        int seen = _highestSeen; // frames after _rxNext up to the highest seen
        if (seen <= 0) return ReliableFrame.Encode(ReliableFrameType.Ack, _rxNext, []);
        var payload = new byte[1 + (seen + 7) / 8];
        payload[0] = (byte)seen;
        for (int i = 0; i < seen; i++)
            if (_held[(byte)(_rxNext + 1 + i)] is not null) payload[1 + i / 8] |= (byte)(1 << (i % 8));
        return ReliableFrame.Encode(ReliableFrameType.Ack, _rxNext, payload);
    }

    private void ResetState()
    {
        for (int i = 0; i < 256; i++)
        {
            _out[i]?.Frame.AsSpan().Clear();
            _held[i]?.AsSpan().Clear();
            (_out[i], _held[i]) = (null, null);
        }
        foreach (var (_, bytes, _) in _queue) bytes.AsSpan().Clear();
        _sendBase = _sendNext = _rxNext = 0;
        _highestSeen = -1;
        _queue.Clear();
        _queuedBytes = 0;
        _ackDue = false;
        _room.TrySetResult();
    }

    /// <summary>Ends the session with <paramref name="failure"/>: readers and writers get it. Runs under the lock.</summary>
    private void Fail(Exception failure, bool quietly = false)
    {
        if (_failure is not null) return;
        _failure = failure;
        _state = State.Failed;
        if (!quietly) Log(failure.Message);
        _delivered.Writer.TryComplete(failure is ObjectDisposedException ? null : failure);
        _opened.TrySetException(failure);
        _closed.TrySetResult();
        _room.TrySetResult();
        _wake.Release();
    }

    /// <summary>A debug line for the caller's log. A log that fails must not take the session with it (it runs under the lock).</summary>
    private void Log(string line)
    {
        try { Options.Log?.Invoke($"reliable {Role.ToString().ToLowerInvariant()} {Name}: {line}"); }
        catch (Exception e) when (e is not OutOfMemoryException) { }
    }

    private TimeSpan LineTime(int bytes) => TimeSpan.FromSeconds(bytes * _byteSeconds);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
