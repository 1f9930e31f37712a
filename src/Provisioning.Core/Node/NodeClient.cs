using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Node;

/// <summary>Tuning for <see cref="NodeClient"/>.</summary>
public sealed record NodeClientOptions
{
    /// <summary>
    /// Time to wait for the first answer on a link before deciding no device is there. The first message is sent
    /// <see cref="Retries"/> + 1 times within it.
    /// </summary>
    public TimeSpan FirstContactTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Base wait for an answer, on top of the line time of the bytes still in flight.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many times a message is sent again after a timeout or a damaged answer.</summary>
    public int Retries { get; init; } = 3;

    /// <summary>
    /// Largest image chunk to send; the node's own limit and <see cref="MaxMessageSize"/> apply when smaller. On a noisy
    /// line the station sends smaller chunks while they keep being lost, and larger ones again as they pass.
    /// </summary>
    public int ChunkSize { get; init; } = 4096;

    /// <summary>
    /// Most chunks in flight at once; the node's own window applies when smaller. The station keeps only as many in flight
    /// as fill the line (about 50 ms of line time, at least two), so a lost chunk costs little sent again behind it.
    /// </summary>
    public int Window { get; init; } = 4;

    /// <summary>
    /// Largest message, wrapping included, to send: what the host platform's receive buffer takes. Null: the wrapper's own
    /// <see cref="TransportWrapper.MaxMessageSize"/> (512 for orw, the guide's host buffer; no limit of its own for none).
    /// </summary>
    public int? MaxMessageSize { get; init; }
}

/// <summary>
/// The station's side of the node protocol (docs/node-protocol.md) over one transport and wrapper.
/// Not thread-safe: one device, one caller.
/// </summary>
/// <remarks>
/// A background task reads the link and decodes frames; requests wait for the answer with their own sequence number,
/// so late answers to earlier attempts are recognised and dropped. Every request is safe to send twice.
/// </remarks>
public sealed class NodeClient : IAsyncDisposable
{
    /// <summary>Line rate assumed for timeouts on links without one (TCP to a device server).</summary>
    private const int AssumedBaudRate = NodeTransport.DefaultBaudRate;

    private readonly INodeTransport _transport;
    private readonly TransportWrapper _wrapper;
    private readonly NodeClientOptions _options;
    private readonly Channel<Arrival> _arrivals = Channel.CreateUnbounded<Arrival>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly NodeFrameDecoder _decoder = new();
    private readonly byte[] _payload = new byte[NodeFrame.MaxPayload];
    private readonly byte[] _frame = new byte[NodeFrame.MaxLength];
    private readonly ArrayBufferWriter<byte> _line = new(NodeFrame.MaxLength + 64);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _receiving;
    private TimeSpan _lineFreeAt;
    private NodeInfo? _info;
    private Exception? _linkError;
    private volatile bool _answered;
    private int _damaged, _resends, _chunksLost;
    private long _lineBytesReceived, _lastBytesAt;
    // The largest message sent that was answered, and the line bytes of the last one sent: a host that drops what does
    // not fit its buffer answers small messages only, which calls for a smaller -MaxMessageSize, not for a retry.
    private int _largestAnswered, _lastSentBytes;
    // Set when an answer is overdue: whatever partial message the wrapper or decoder holds will not complete (e.g. a
    // damaged orw length that announces more bytes than will ever come), so it is dropped before the next bytes.
    private volatile bool _resyncOnNextBytes;
    // A link session delivers the node's bytes in order and intact: a partly received frame there is late, never stale.
    private readonly bool _inOrder;
    private byte _seq;

    /// <summary>Speaks to a node over <paramref name="transport"/>, wrapping messages with <paramref name="wrapper"/>. Takes ownership of the transport.</summary>
    public NodeClient(INodeTransport transport, TransportWrapper wrapper, NodeClientOptions? options = null)
    {
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        _wrapper = wrapper ?? throw new ArgumentNullException(nameof(wrapper));
        _options = options ?? new NodeClientOptions();
        if (_options.Retries < 0) throw new ArgumentOutOfRangeException(nameof(options), "Retries cannot be negative.");
        if (_options.ChunkSize < 1 || _options.Window < 1) throw new ArgumentOutOfRangeException(nameof(options), "ChunkSize and Window must be at least 1.");
        if (_options.MaxMessageSize is < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxMessageSize must be at least 1.");
        _inOrder = LinkSession.IsSessionWrapper(wrapper);
        if (transport is LinkSession session) session.HostMessageReceived += (_, e) => RaiseHostMessage(e.Message.Span);
        _receiving = Task.Run(ReceiveAsync);
    }

    /// <summary>
    /// True when the line carries the host platform's own messages beside the node's: a passive wrapper with a host channel
    /// (orw), or a link session (reliable, opt_psem). The <c>none</c> wrapper has none: the node owns the line.
    /// </summary>
    public bool CarriesHostMessages => _transport is LinkSession || _wrapper.CarriesHostMessages;

    /// <summary>The largest host message <see cref="SendHostMessageAsync"/> takes on this line (0 when it carries none).</summary>
    public int MaxHostMessageSize => _transport is LinkSession session ? session.MaxHostMessageSize
        : _wrapper.CarriesHostMessages ? _wrapper.MaxHostMessageSize(MaxMessageSize) : 0;

    /// <summary>
    /// Raised, on the link's receiving thread, for each host-platform message that arrived intact (the node protocol never sees
    /// them). A handler must return quickly; the message is a copy it may keep.
    /// </summary>
    public event EventHandler<LinkHostMessageEventArgs>? HostMessageReceived;

    /// <summary>
    /// The host protocol's own integrity check, given to the wrapper so it can take host messages again right after damage
    /// (<see cref="TransportWrapper.HostMessageCheck"/>); null: the wrapper's own rules.
    /// </summary>
    public HostMessageCheck? HostMessageCheck
    {
        get => _wrapper.HostMessageCheck;
        set => _wrapper.HostMessageCheck = value;
    }

    /// <summary>The line's rate (or the rate assumed on a line without one, such as TCP), for protocols that share the line.</summary>
    public int LineBaudRate => BaudRate;

    /// <summary>What a link session adds to an answer's time on top of line time; zero for passive wrappers.</summary>
    public TimeSpan LinkLatency => _transport is LinkSession session ? session.ExtraLatency : TimeSpan.Zero;

    /// <summary>The base wait for an answer this client was given (<see cref="NodeClientOptions.ResponseTimeout"/>).</summary>
    public TimeSpan ResponseTimeout => _options.ResponseTimeout;

    /// <summary>The line's name (the port).</summary>
    public string PortName => _transport.Name;

    /// <summary>The transport wrapper on the line (a link session's own, for active wrappers).</summary>
    public string WrapperName => _wrapper.Name;

    /// <summary>
    /// Sends one message to the host platform itself (not to the node): through the link session, or wrapped by the wrapper's
    /// host egress. It never interleaves with a node message on the line. The caller owns (and zeroes) <paramref name="message"/>;
    /// the copies made here are zeroed once written. Throws <see cref="NotSupportedException"/> when the line carries no host
    /// messages, <see cref="NodeLinkException"/> when the line failed or stopped taking bytes.
    /// </summary>
    public async Task SendHostMessageAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        if (!CarriesHostMessages) _wrapper.EgressHost(message.Span, _hostLine); // throws the wrapper's own explanation
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_transport is LinkSession session)
            {
                await session.SendHostMessageAsync(message, cancellationToken).ConfigureAwait(false);
                return;
            }
            _hostLine.ResetWrittenCount();
            _wrapper.EgressHost(message.Span, _hostLine);
            var writeBy = _options.ResponseTimeout + LineTime(_hostLine.WrittenCount);
            var now = _clock.Elapsed;
            _lineFreeAt = (_lineFreeAt > now ? _lineFreeAt : now) + LineTime(_hostLine.WrittenCount);
            using var writeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            writeTimeout.CancelAfter(writeBy);
            try
            {
                await _transport.WriteAsync(_hostLine.WrittenMemory, writeTimeout.Token).AsTask().WaitAsync(writeBy + writeBy, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new NodeLinkException($"The device on {_transport.Name} stopped taking bytes: a host message could not be sent within {writeBy.TotalSeconds:0.#} s. " +
                    "Check that the device is still connected and powered.", !_answered);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException && e is not NodeLinkException and not LinkException)
        {
            throw Closed(e);
        }
        finally
        {
            _hostLine.Clear();
            _writeGate.Release();
        }
    }

    private readonly ArrayBufferWriter<byte> _hostLine = new(OrwWrapper.GuideHostBuffer);

    // Node and host messages are whole writes to the line: one at a time, so their bytes never interleave.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private void RaiseHostMessage(ReadOnlySpan<byte> message)
    {
        var handler = HostMessageReceived;
        if (handler is null) return;
        try { handler(this, new LinkHostMessageEventArgs(message.ToArray())); }
        catch (Exception e) when (e is not OutOfMemoryException) { /* a reader's failure must not take the link down */ }
    }

    /// <summary>Damaged frames seen and messages sent again on this link so far (robustness counters).</summary>
    public (int DamagedFrames, int Resends) LinkStatistics => (Volatile.Read(ref _damaged), _resends);

    /// <summary>Image chunks judged lost on the way to the node so far (each made the station send smaller ones for a while).</summary>
    public int ChunksLost => _chunksLost;

    /// <summary>The largest message, wrapping included, this station sends: <see cref="NodeClientOptions.MaxMessageSize"/> or the wrapper's.</summary>
    public int MaxMessageSize => _options.MaxMessageSize ?? _wrapper.MaxMessageSize;

    /// <summary>True once the node has answered anything on this link.</summary>
    public bool HasAnswered => _answered;

    /// <summary>Reads the node's identity and state. Throws <see cref="NodeLinkException"/> (NeverAnswered when nothing answered).</summary>
    public async Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        byte[] payload = await RequestAsync(NodeMessageType.GetInfo, static _ => 0, NodeMessages.MaxInfoLength, secret: false, cancellationToken).ConfigureAwait(false);
        _info = Parse(NodeMessageType.GetInfo, payload, static p => NodeMessages.ReadInfo(p));
        return _info;
    }

    /// <summary>
    /// Sends an image (firmware or configuration) in offset-addressed chunks, resuming from what the node already holds
    /// for the same digest, then commits it; the node checks the whole-image SHA-256 before activating it.
    /// <paramref name="progress"/> gets the bytes the node has confirmed.
    /// </summary>
    public async Task WriteImageAsync(NodeImageTarget target, ReadOnlyMemory<byte> image, string version,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        if ((ulong)image.Length > uint.MaxValue) throw new ArgumentException("An image is at most 4 GiB.", nameof(image));
        // Every wrapped chunk message must fit the host's buffer.
        int fits = MaxMessageSize - ChunkOverhead;
        if (fits < 1)
            throw new ArgumentException($"A largest message of {MaxMessageSize} bytes leaves no room for image data: a chunk message adds {ChunkOverhead} bytes. Allow larger messages.");
        var info = _info ?? await GetInfoAsync(cancellationToken).ConfigureAwait(false);
        byte[] digest = SHA256.HashData(image.Span);
        uint size = (uint)image.Length;

        byte[] begun = await RequestAsync(NodeMessageType.ImageBegin,
            span => NodeMessages.WriteImageBegin(target, size, digest, version, span), 4, secret: false, cancellationToken).ConfigureAwait(false);
        uint resume = Parse(NodeMessageType.ImageBegin, begun, static p => NodeMessages.ReadU32(p));
        if (resume > size)
            throw new NodeLinkException($"The node on {_transport.Name} claims to hold {resume} bytes of a {size}-byte image; it is not speaking this protocol correctly.", false);

        int chunk = Math.Min(Math.Min(Math.Min(_options.ChunkSize, Math.Max(1, (int)info.MaxChunk)), NodeFrame.MaxPayload - NodeMessages.ChunkHeaderLength), fits);
        int window = Math.Min(_options.Window, Math.Max(1, (int)info.Window));
        progress?.Report(resume);
        await SendChunksAsync(target, image, resume, chunk, window, progress, cancellationToken).ConfigureAwait(false);

        await RequestAsync(NodeMessageType.ImageCommit, span => { span[0] = (byte)target; return 1; }, 0, secret: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes one key into a slot. The caller owns (and zeroes) <paramref name="key"/>.</summary>
    public Task WriteKeyAsync(NodeKeySlot slot, ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
        => RequestAsync(NodeMessageType.KeyWrite, span => NodeMessages.WriteKey(slot, key.Span, span), 0, secret: true, cancellationToken);

    /// <summary>Key check values (3 bytes: AES-ECB of a zero block under the key) of every slot holding a key. Never reads a key back.</summary>
    public async Task<IReadOnlyDictionary<NodeKeySlot, byte[]>> GetKeyCheckValuesAsync(CancellationToken cancellationToken)
    {
        byte[] payload = await RequestAsync(NodeMessageType.KeyCheck, static _ => 0, 1 + 3 * 4, secret: false, cancellationToken).ConfigureAwait(false);
        return Parse(NodeMessageType.KeyCheck, payload, static p => NodeMessages.ReadKeyCheckValues(p));
    }

    /// <summary>Secures the given interfaces.</summary>
    public Task LockAsync(NodeLockFlags interfaces, CancellationToken cancellationToken)
        => RequestAsync(NodeMessageType.Lock, span => { span[0] = (byte)interfaces; return 1; }, 0, secret: false, cancellationToken);

    /// <summary>Restarts the node; it answers before restarting.</summary>
    public Task ResetAsync(CancellationToken cancellationToken)
        => RequestAsync(NodeMessageType.Reset, static _ => 0, 0, secret: false, cancellationToken);

    /// <summary>Closes the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested) return;
        _closing.Cancel();
        await _transport.DisposeAsync().ConfigureAwait(false);
        try { await _receiving.ConfigureAwait(false); }
        catch (Exception) { /* the link is being closed; its last error no longer matters */ }
        _closing.Dispose();
        _hostLine.Clear();
    }

    /// <summary>One request, sent again on timeout or damage until answered, at most Retries more times.</summary>
    private async Task<byte[]> RequestAsync(NodeMessageType type, Func<Span<byte>, int> writePayload, int answerLength, bool secret, CancellationToken cancellationToken)
    {
        bool firstContact = !_answered;
        // Before the first answer the whole wait is FirstContactTimeout, so an empty port is reported quickly.
        var patience = firstContact ? _options.FirstContactTimeout / (_options.Retries + 1) : _options.ResponseTimeout;
        var ours = new bool[256];
        byte answerType = NodeFrame.ResponseType((byte)type);
        for (int attempt = 0; ; attempt++)
        {
            byte seq = NextSeq();
            ours[seq] = true;
            var deadline = await SendAsync(type, seq, writePayload, secret, answerLength, patience, cancellationToken).ConfigureAwait(false);
            int sent = _lastSentBytes;
            long bytesBefore = Interlocked.Read(ref _lineBytesReceived);
            // Once the node has answered something, an answer overdue while bytes did come was damaged where the frame
            // decoder cannot tell yet (a damaged length announcing more bytes than will come): send again at once. The
            // decoders find the next intact frame by themselves, and a late answer to this attempt still counts. The last
            // attempt waits its whole time.
            var overdue = _answered && attempt < _options.Retries ? deadline - patience + ProbeMargin() : deadline;
            bool early = false;
            while (await NextAsync(Min(deadline, overdue), cancellationToken).ConfigureAwait(false) is var arrival)
            {
                if (arrival is null)
                {
                    if (overdue >= deadline || _clock.Elapsed >= deadline) break;
                    // Bytes still coming may be the answer, late: wait while the line is busy.
                    var quietFor = _clock.Elapsed - TimeSpan.FromTicks(Interlocked.Read(ref _lastBytesAt));
                    if (quietFor < QuietLine)
                    {
                        overdue = _clock.Elapsed + QuietLine - quietFor;
                        continue;
                    }
                    overdue = deadline;
                    early = Interlocked.Read(ref _lineBytesReceived) > bytesBefore;
                    if (early) break;
                    continue;
                }
                if (arrival.Damaged)
                {
                    // One damaged answer can be reported more than once (each false start in it); one resend covers them all.
                    while (_arrivals.Reader.TryPeek(out var more) && more.Damaged) _arrivals.Reader.TryRead(out _);
                    break;
                }
                if (!ours[arrival.Seq]) continue;
                _largestAnswered = Math.Max(_largestAnswered, sent);
                // The request has crossed the line, and it was the last thing sent: the line model catches up.
                if (_lineFreeAt > _clock.Elapsed) _lineFreeAt = _clock.Elapsed;
                if (arrival.Type == (byte)NodeMessageType.Error) throw NodeError(arrival.Payload);
                if (arrival.Type == answerType) return arrival.Payload;
            }
            if (!early) _resyncOnNextBytes = true;
            if (attempt >= _options.Retries)
            {
                if (!_answered)
                    throw NoAnswer(firstContact ? _options.FirstContactTimeout : patience * (attempt + 1), attempt + 1);
                string what = $"The node on {_transport.Name} did not answer {type} after {attempt + 1} attempts ({_options.ResponseTimeout.TotalSeconds:0.#} s each, plus line time)";
                throw LooksTooLarge(sent) ? TooLarge(what, sent) : new NodeLinkException(what + ".", neverAnswered: false);
            }
            _resends++;
        }
    }

    /// <summary>
    /// True when messages of <paramref name="sent"/> bytes go unanswered while smaller ones were answered, and they are larger
    /// than any host buffer is likely to be small (a link that died is no reason to blame the message size).
    /// </summary>
    private bool LooksTooLarge(int sent) => _largestAnswered > 0 && sent > Math.Max(_largestAnswered, SmallestHostBuffer);

    /// <summary>Smaller host buffers than this are not suspected.</summary>
    private const int SmallestHostBuffer = 64;

    /// <summary>
    /// Messages of <paramref name="sent"/> bytes go unanswered while smaller ones were answered: the host's receive buffer
    /// is probably smaller than what the station sends, and sending the same again cannot help.
    /// </summary>
    private NodeLinkException TooLarge(string what, int sent) =>
        new($"{what}: messages of up to {_largestAnswered} bytes were answered, but none of {sent} bytes. The host probably takes smaller " +
            $"messages than this station sends (at most {MaxMessageSize} bytes, wrapping included)", neverAnswered: false)
        {
            Advice = $"Give -MaxMessageSize with the size of the host's receive buffer (at most {_largestAnswered} here), or check that -Wrapper matches the host.",
        };

    /// <summary>
    /// Keeps enough chunks in flight to fill the line; on loss goes back to the node's last confirmed offset. Chunk sizes
    /// follow the line (<see cref="ChunkSizer"/>): smaller while chunks are lost, larger as they pass.
    /// </summary>
    private async Task SendChunksAsync(NodeImageTarget target, ReadOnlyMemory<byte> image, uint confirmed, int chunk, int window,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        uint size = (uint)image.Length, start = confirmed;
        uint next = confirmed;
        var sizer = new ChunkSizer(chunk, ChunkOverhead, clean: _inOrder);
        var inFlight = new List<Chunk>(window + 1);
        int timeouts = 0, fruitless = 0, smallestTried = int.MaxValue;
        while (confirmed < size)
        {
            int queued = inFlight.Sum(c => c.Length + ChunkOverhead), chunks = inFlight.Count(c => !c.IsProbe);
            int fillBytes = (int)(BaudRate / 10.0 * FillTime.TotalSeconds * (sizer.LossChance < CleanLine ? 2 : 1));
            while (next < size && chunks < window && (chunks < 2 || queued < fillBytes))
            {
                int length = (int)Math.Min((uint)sizer.Size, size - next);
                inFlight.Add(await SendChunkAsync(target, image.Slice((int)next, length), next, cancellationToken).ConfigureAwait(false));
                smallestTried = Math.Min(smallestTried, length + ChunkOverhead);
                next += (uint)length;
                queued += length + ChunkOverhead;
                chunks++;
            }
            var oldest = inFlight[0];
            bool probing = inFlight.Any(c => c.IsProbe);
            // When the last chunk's answer is overdue, nothing more will come to show what was lost: ask at once instead of
            // waiting out the timeout.
            var waitUntil = probing ? oldest.Deadline : Min(oldest.Deadline, inFlight[^1].Expected + ProbeMargin());
            var arrival = await NextAsync(waitUntil, cancellationToken).ConfigureAwait(false);
            if (arrival is null && !probing && _clock.Elapsed < oldest.Deadline)
            {
                inFlight.Add(await SendChunkAsync(target, ReadOnlyMemory<byte>.Empty, confirmed, cancellationToken).ConfigureAwait(false));
                continue;
            }
            if (arrival is null)
            {
                _resyncOnNextBytes = true;
                if (inFlight.FirstOrDefault(c => !c.IsProbe) is { } lost) LoseChunk(sizer, lost);
                if (++timeouts > _options.Retries)
                    throw StoppedConfirming(target, confirmed, size, start, smallestTried, $"{timeouts} timeouts without progress");
                _resends += inFlight.Count(c => !c.IsProbe);
                inFlight.Clear();
                next = confirmed;
                continue;
            }
            if (arrival.Damaged)
            {
                // An answer was lost on the way; an empty chunk asks the node what it holds, so the last answer is not waited for in vain.
                if (!probing)
                    inFlight.Add(await SendChunkAsync(target, ReadOnlyMemory<byte>.Empty, confirmed, cancellationToken).ConfigureAwait(false));
                continue;
            }
            int index = inFlight.FindIndex(c => c.Seq == arrival.Seq);
            if (index < 0) continue;
            CatchUp(inFlight, index);
            var answered = inFlight.GetRange(0, index + 1);
            inFlight.RemoveRange(0, index + 1);
            if (arrival.Type == (byte)NodeMessageType.Error)
            {
                var error = NodeError(arrival.Payload);
                if (error.Code != NodeErrorCode.OutOfOrder) throw error;
                // Refused for its offset, but it did arrive intact.
                if (!answered[^1].IsProbe) PassChunk(sizer, answered[^1]);
            }
            else if (arrival.Type == NodeFrame.ResponseType((byte)NodeMessageType.ImageChunk))
            {
                uint held = Math.Min(size, Parse(NodeMessageType.ImageChunk, arrival.Payload, static p => NodeMessages.ReadU32(p)));
                foreach (var c in answered)
                    if (!c.IsProbe && c.End <= held && c.End > confirmed) PassChunk(sizer, c);
                if (held > confirmed)
                {
                    confirmed = held;
                    timeouts = fruitless = 0;
                    progress?.Report(confirmed);
                }
            }
            else continue;
            // A chunk the node answered past without holding it was lost on the way: send again from what it holds.
            if (answered.Any(c => !c.IsProbe && c.End > confirmed))
            {
                if (answered.FirstOrDefault(c => !c.IsProbe && c.Offset == confirmed) is { } lost) LoseChunk(sizer, lost);
                if (++fruitless > MaxFruitlessRounds)
                    throw StoppedConfirming(target, confirmed, size, start, smallestTried, $"{fruitless} chunks in a row lost");
                _resends += inFlight.Count(c => !c.IsProbe) + answered.Count(c => !c.IsProbe && c.End > confirmed);
                inFlight.Clear();
                next = confirmed;
            }
        }
    }

    /// <summary>How long the line must have been quiet before an overdue answer counts as damaged.</summary>
    private static readonly TimeSpan QuietLine = TimeSpan.FromMilliseconds(100);

    /// <summary>Below this chance that a chunk is lost, the line counts as clean.</summary>
    private const double CleanLine = 0.01;

    /// <summary>Rounds of chunks lost in a row, none confirmed, before a transfer gives up (each costs only its line time and a round trip).</summary>
    private const int MaxFruitlessRounds = 40;

    /// <summary>
    /// Line time kept in flight: long enough that the next chunk is queued before the node answers the last. Every chunk
    /// behind a lost one is sent again, so on a line that loses chunks no more is kept in flight than this; on a clean one
    /// twice as much, as a margin against a busy station PC.
    /// </summary>
    private static readonly TimeSpan FillTime = TimeSpan.FromMilliseconds(50);

    /// <summary>Bytes a chunk message adds to its data: chunk header, frame and wrapper.</summary>
    private int ChunkOverhead => NodeMessages.ChunkHeaderLength + NodeFrame.Overhead + _wrapper.Overhead;

    private int BaudRate => _transport.BaudRate ?? AssumedBaudRate;

    /// <summary>Slack after an answer is due before the station asks what the node holds: scheduling, and a device server's or USB adapter's buffering.</summary>
    private TimeSpan ProbeMargin() => TimeSpan.FromMilliseconds(40) + LineTime(128);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>
    /// The answer to chunk <paramref name="index"/> proves the line has carried it: when that came sooner than the line model
    /// says (a faster line than the baud rate, or a simulator without pacing), the answers to the chunks still in flight are
    /// expected sooner too, so a lost last chunk is asked about without waiting against the slower line. Deadlines and the
    /// model itself stay: a device that buffered ahead proves nothing about what follows.
    /// </summary>
    private void CatchUp(List<Chunk> inFlight, int index)
    {
        var ahead = inFlight[index].LineEnd - _clock.Elapsed;
        if (ahead <= TimeSpan.Zero) return;
        for (int i = 0; i < inFlight.Count; i++)
            inFlight[i] = inFlight[i] with { LineEnd = inFlight[i].LineEnd - ahead, Expected = inFlight[i].Expected - ahead };
    }

    private void PassChunk(ChunkSizer sizer, Chunk chunk)
    {
        sizer.Passed(chunk.Length);
        _largestAnswered = Math.Max(_largestAnswered, chunk.Length + ChunkOverhead);
    }

    private void LoseChunk(ChunkSizer sizer, Chunk chunk)
    {
        sizer.Lost(chunk.Length);
        _chunksLost++;
    }

    /// <summary>
    /// The transfer gives up. Provisioning again helps only when this transfer got somewhere (it resumes); when nothing got
    /// through, the same would happen again, and the message says what to change instead.
    /// </summary>
    private NodeLinkException StoppedConfirming(NodeImageTarget target, uint confirmed, uint size, uint start, int smallestTried, string why)
    {
        string what = $"The node on {_transport.Name} stopped confirming {target} data at byte {confirmed} of {size} ({why})";
        if (confirmed > start) return new NodeLinkException(what + ".", neverAnswered: !_answered);
        if (LooksTooLarge(smallestTried)) return TooLarge(what, smallestTried);
        return new NodeLinkException($"{what}: no chunk got through, down to {smallestTried} bytes a message, although the node answered other messages", neverAnswered: !_answered)
        {
            Advice = "The line damages nearly everything: check the cable, its shielding and ground, and that the baud rate is one the line carries; provisioning again over the same line will fail the same way.",
        };
    }

    private async Task<Chunk> SendChunkAsync(NodeImageTarget target, ReadOnlyMemory<byte> data, uint offset, CancellationToken cancellationToken)
    {
        byte seq = NextSeq();
        var deadline = await SendAsync(NodeMessageType.ImageChunk, seq, span =>
        {
            int header = NodeMessages.WriteChunkHeader(target, offset, span);
            data.Span.CopyTo(span[header..]);
            return header + data.Length;
        }, secret: false, answerLength: 4, _options.ResponseTimeout, cancellationToken).ConfigureAwait(false);
        return new Chunk(seq, offset, data.Length, deadline, deadline - _options.ResponseTimeout, _lineFreeAt);
    }

    /// <summary>Frames, wraps and writes one message; returns when its answer is due.</summary>
    private async Task<TimeSpan> SendAsync(NodeMessageType type, byte seq, Func<Span<byte>, int> writePayload, bool secret,
        int answerLength, TimeSpan patience, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        try
        {
            int payloadLength = writePayload(_payload);
            int frameLength = NodeFrame.Encode((byte)type, seq, _payload.AsSpan(0, payloadLength), _frame);
            _line.ResetWrittenCount();
            _wrapper.Egress(_frame.AsSpan(0, frameLength), _line);
            if (secret)
            {
                _payload.AsSpan(0, payloadLength).Clear();
                _frame.AsSpan(0, frameLength).Clear();
            }
            int lineBytes = _lastSentBytes = _line.WrittenCount;
            // The line is modelled as a queue: what was written before this message goes first.
            var now = _clock.Elapsed;
            _lineFreeAt = (_lineFreeAt > now ? _lineFreeAt : now) + LineTime(lineBytes);
            // A port whose far end stopped reading (a pseudo-terminal, a device server) blocks writes instead of dropping bytes.
            var writeBy = _lineFreeAt + patience - now;
            using var writeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            writeTimeout.CancelAfter(writeBy);
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _transport.WriteAsync(_line.WrittenMemory, writeTimeout.Token).AsTask().WaitAsync(writeBy + writeBy, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new NodeLinkException($"The node on {_transport.Name} stopped taking bytes: a {type} message could not be sent within {writeBy.TotalSeconds:0.#} s. " +
                    "Check that the device is still connected and powered.", !_answered);
            }
            finally { _writeGate.Release(); }
            return _lineFreeAt + LineTime(answerLength + NodeFrame.Overhead + _wrapper.Overhead) + patience;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException && e is not NodeLinkException)
        {
            throw Closed(e);
        }
        finally
        {
            // ArrayBufferWriter.Clear zeroes what was written; only needed when it held a key.
            if (secret) _line.Clear();
        }
    }

    /// <summary>The next frame or damage report, or null at the deadline.</summary>
    private async ValueTask<Arrival?> NextAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        var reader = _arrivals.Reader;
        if (reader.TryRead(out var ready)) return ready;
        var wait = deadline - _clock.Elapsed;
        if (wait <= TimeSpan.Zero) return null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            return await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            throw _linkError ?? new NodeLinkException($"The link to {_transport.Name} is closed.", !_answered);
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[4096];
        var sink = new Sink(this);
        try
        {
            while (true)
            {
                int n = await _transport.ReadAsync(buffer, _closing.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    _linkError = new NodeLinkException($"{_transport.Name} closed the connection" +
                        (_answered ? " while the node was being provisioned." : " before a device answered."), !_answered);
                    break;
                }
                Interlocked.Add(ref _lineBytesReceived, n);
                Interlocked.Exchange(ref _lastBytesAt, _clock.Elapsed.Ticks);
                if (_resyncOnNextBytes && !_inOrder)
                {
                    _resyncOnNextBytes = false;
                    _wrapper.Reset();
                    _decoder.Reset();
                }
                _wrapper.Ingress(buffer.AsSpan(0, n), sink);
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested) { }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or UnauthorizedAccessException)
        {
            _linkError = _closing.IsCancellationRequested ? null : Closed(e);
        }
        finally
        {
            _arrivals.Writer.TryComplete();
        }
    }

    private void OnNodeBytes(ReadOnlySpan<byte> bytes)
    {
        int damagedBefore = _decoder.DamagedFrames;
        _decoder.Append(bytes);
        while (_decoder.TryRead(out var frame))
        {
            // Only answers count as contact: an echo of our own request (a loopback cable) is not a device.
            if ((frame.Type & 0x80) == 0) continue;
            _answered = true;
            _arrivals.Writer.TryWrite(new Arrival(frame.Type, frame.Seq, frame.Payload.ToArray(), Damaged: false));
        }
        for (int i = damagedBefore; i < _decoder.DamagedFrames; i++) OnDamaged();
    }

    private void OnDamaged()
    {
        Interlocked.Increment(ref _damaged);
        _arrivals.Writer.TryWrite(new Arrival(0, 0, [], Damaged: true));
    }

    private byte NextSeq() => unchecked(_seq++);

    /// <summary>
    /// No valid answer at first contact. Bytes that arrived anyway mean something is on the port but the line does not
    /// carry frames intact (another baud rate or wrapper, or heavy noise), which calls for a different fix than silence.
    /// </summary>
    private NodeLinkException NoAnswer(TimeSpan waited, int attempts)
    {
        long bytes = Interlocked.Read(ref _lineBytesReceived);
        int damaged = Volatile.Read(ref _damaged);
        if (bytes == 0)
            return new NodeLinkException($"No device answered on {_transport.Name} within {waited.TotalSeconds:0.#} s ({attempts} attempts).", neverAnswered: true);
        return new NodeLinkException(
            $"Something on {_transport.Name} sent {bytes} bytes but no intact answer to {attempts} attempts" +
            (damaged > 0 ? $" ({damaged} damaged frames)" : "") +
            ": check that the baud rate and the transport wrapper match the device's, and that the line is not noisy.", neverAnswered: true);
    }

    private TimeSpan LineTime(int bytes) => TimeSpan.FromSeconds(bytes * 10.0 / BaudRate);

    private void ThrowIfClosed()
    {
        if (_linkError is not null) throw _linkError;
        ObjectDisposedException.ThrowIf(_closing.IsCancellationRequested, this);
    }

    private NodeLinkException Closed(Exception e) =>
        new($"The link to {_transport.Name} failed: {e.Message}" + (_answered ? "" : " No device had answered on it."), !_answered, e);

    private NodeErrorException NodeError(byte[] payload)
    {
        var (code, message) = Parse(NodeMessageType.Error, payload, static p => NodeMessages.ReadError(p));
        return new NodeErrorException(code, message);
    }

    private delegate T PayloadParser<out T>(ReadOnlySpan<byte> payload);

    private T Parse<T>(NodeMessageType type, byte[] payload, PayloadParser<T> parse)
    {
        try { return parse(payload); }
        catch (FormatException e)
        {
            throw new NodeLinkException($"The node on {_transport.Name} sent a malformed {type} answer ({e.Message}); it does not speak node protocol version {NodeMessages.ProtocolVersion} correctly.", false, e);
        }
    }

    private sealed record Arrival(byte Type, byte Seq, byte[] Payload, bool Damaged);

    /// <summary>
    /// A chunk in flight: on the line model its last byte crosses at <paramref name="LineEnd"/>, its answer is expected at
    /// <paramref name="Expected"/> and given up at <paramref name="Deadline"/>.
    /// </summary>
    private sealed record Chunk(byte Seq, uint Offset, int Length, TimeSpan Deadline, TimeSpan Expected, TimeSpan LineEnd)
    {
        public bool IsProbe => Length == 0;
        public uint End => Offset + (uint)Length;
    }

    private sealed class Sink(NodeClient client) : IWrapperSink
    {
        public void OnNodeBytes(ReadOnlySpan<byte> nodeBytes) => client.OnNodeBytes(nodeBytes);

        // The host platform's own traffic is not the node protocol's (guide B.2.1 ignores it): it goes to the host's reader.
        public void OnHostMessage(ReadOnlySpan<byte> message) => client.RaiseHostMessage(message);

        public void OnDamaged(string reason) => client.OnDamaged();
    }
}
