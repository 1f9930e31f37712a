using System.Diagnostics;
using System.Threading.Channels;
using Provisioning.Core.Station;
using Provisioning.Core.Transport;

namespace Provisioning.Core.Wrappers.Psem;

/// <summary>How the station side of opt_psem opens and runs a C12.18 session.</summary>
public sealed record PsemStationOptions
{
    /// <summary>The line's rate (the optical port's 9600 unless told otherwise).</summary>
    public int BaudRate { get; init; } = 9600;

    /// <summary>Packet size asked for in Negotiate (the meter answers what it takes, at most this).</summary>
    public int RequestedPacketSize { get; init; } = 4096;

    /// <summary>Packets per message asked for in Negotiate.</summary>
    public int RequestedPackets { get; init; } = 8;

    /// <summary>Send Negotiate at all; false keeps the default 64-byte single packet.</summary>
    public bool Negotiate { get; init; } = true;

    /// <summary>A rate to switch the line to through Negotiate (serial ports only); null: Negotiate asks for no change (0x60).</summary>
    public int? SessionBaudRate { get; init; }

    /// <summary>Called to switch the station's own port to the negotiated rate; null: the line cannot switch (its rate is not offered).</summary>
    public Func<int, Task>? SwitchBaudRate { get; init; }

    /// <summary>The 20-byte Security field (password padded with spaces), or null for none. The session zeroes it once sent.</summary>
    public byte[]? Password { get; init; }

    /// <summary>Times a request is sent again, as a new message, when the data link gives up on it or its answer does not come.</summary>
    public int Resends { get; init; } = 3;

    /// <summary>Data link timing (response 2 s, inter-character 500 ms, channel traffic 6 s, 3 retries).</summary>
    public PsemLinkTiming Timing { get; init; } = new();

    /// <summary>Seconds a Wait asks the meter to keep the session open while the station has nothing to send.</summary>
    public byte WaitSeconds { get; init; } = 60;

    /// <summary>Where to write what the session does (never a password or node bytes); null: nowhere.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>Counters of a station's C12.18 session.</summary>
/// <param name="Requests">Requests made.</param>
/// <param name="RequestResends">Requests sent again as new messages (the data link gave up, or the response did not come).</param>
/// <param name="PacketResends">Packets sent again after NAK or a missing ACK.</param>
/// <param name="NaksSent">NAKs sent for damaged or stalled packets from the meter.</param>
/// <param name="Duplicates">Duplicate packets from the meter acknowledged and dropped.</param>
/// <param name="NodeWrites">Writes of node bytes.</param>
/// <param name="NodeReads">Reads of the node's bytes.</param>
/// <param name="EmptyReads">Reads that found nothing yet (polls).</param>
public readonly record struct PsemStationStatistics(int Requests, int RequestResends, int PacketResends, int NaksSent, int Duplicates,
    int NodeWrites, int NodeReads, int EmptyReads);

/// <summary>
/// The station side of opt_psem: the C12.18 client. It opens a session (Identification, Negotiate, Logon, Security),
/// then carries the node's byte streams through the node mailbox table with Write (offset) and Read (offset), polls for
/// the node's answers, keeps a quiet session open with Wait, and closes with Logoff and Terminate.
/// </summary>
public sealed class PsemStation : IAsyncDisposable
{
    private static readonly int[] PollBackoffMs = [0, 5, 10, 20, 50, 100, 200, 500, 1000];
    private const long QuietBeforeWaitMs = 3000, PollingStopsAfterMs = 30000, HostPollMs = 2000;

    private readonly INodeTransport _line;
    private readonly PsemStationOptions _options;
    private readonly PsemDataLink _link;
    private readonly PsemLineDriver _driver;
    private readonly Channel<byte[]> _nodeIn = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Channel<byte[]> _hostIn = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly object _gate = new();
    private readonly LinkedList<PendingWrite> _writes = new();
    private readonly Queue<(byte[] Message, TaskCompletionSource Done)> _hostOut = new();
    private readonly SemaphoreSlim _work = new(0);
    private readonly CancellationTokenSource _closing = new();
    private Task _pump = Task.CompletedTask;
    private Exception? _fault;
    private int _outPosition, _inPosition;
    // The longest node-byte Write for now (null: as long as the negotiated packets allow) and the clean writes since it
    // was last shortened.
    private int? _writeLimit;
    private int _cleanWrites, _writeErrors;
    private const int MinWriteLength = 64, CleanWritesToGrow = 8;
    private long _lastActivity, _lastWait = long.MinValue / 2, _lastHostPoll;
    private int _backoff;
    private bool _wroteSinceRead;
    private int _requests, _requestResends;

    private sealed class PendingWrite(byte[] data, TaskCompletionSource done)
    {
        public byte[] Data { get; } = data;
        public int Sent { get; set; }
        public TaskCompletionSource Done { get; } = done;
    }

    private PsemStation(INodeTransport line, PsemStationOptions options)
    {
        _line = line;
        _options = options;
        _link = new PsemDataLink(options.Timing with { BaudRate = options.BaudRate });
        _driver = new PsemLineDriver(line, _link);
    }

    /// <summary>
    /// Opens a session on <paramref name="line"/>. Throws <see cref="LinkException"/> with the station's code and what to
    /// check: <see cref="ProvExitCode.NoDevice"/> when nothing answered, <see cref="ProvExitCode.NoDeviceHost"/> when the
    /// meter answered but refused the session, <see cref="ProvExitCode.InvalidArguments"/> for a refused password.
    /// </summary>
    public static async Task<PsemStation> OpenAsync(INodeTransport line, PsemStationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(options);
        var station = new PsemStation(line, options);
        try
        {
            await station.StartSessionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (options.Password is { } p) Array.Clear(p);
            await station._driver.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        station._pump = Task.Run(station.PumpAsync);
        return station;
    }

    /// <summary>The negotiated packet size.</summary>
    public int PacketSize => _link.PacketSize;

    /// <summary>The negotiated packets per message.</summary>
    public int MaxPackets => _link.MaxPackets;

    /// <summary>The line rate in use now.</summary>
    public int BaudRate { get; private set; }

    /// <summary>The meter's identification (standard, version, revision).</summary>
    public PsemIdentity? Identity { get; private set; }

    /// <summary>Counters of the session so far.</summary>
    public PsemStationStatistics Statistics => new(_requests, _requestResends, _link.Resends, _link.NaksSent, _link.Duplicates, _writesDone, _reads, _emptyReads);
    private int _writesDone, _reads, _emptyReads;

    /// <summary>Bytes on the line each way.</summary>
    public (long Sent, long Received) LineBytes => _link.LineBytes;

    /// <summary>Queues node bytes for the node; completes when the meter has taken all of them.</summary>
    public Task WriteNodeAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (bytes.Length == 0) return Task.CompletedTask;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_fault is { } fault) throw Rethrowable(fault);
            _writes.AddLast(new PendingWrite(bytes.ToArray(), done));
        }
        _work.Release();
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>The next node bytes that arrived (any split); throws when the session failed.</summary>
    public async ValueTask<byte[]> ReadNodeAsync(CancellationToken cancellationToken)
    {
        try { return await _nodeIn.Reader.ReadAsync(cancellationToken).ConfigureAwait(false); }
        catch (ChannelClosedException) when (_fault is { } fault) { throw Rethrowable(fault); }
    }

    /// <summary>Sends a message to the host platform itself (host mailbox); completes when the meter took it.</summary>
    public Task WriteHostAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_fault is { } fault) throw Rethrowable(fault);
            _hostOut.Enqueue((message.ToArray(), done));
        }
        _work.Release();
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Host platform messages the meter sent (read from the host mailbox).</summary>
    public ChannelReader<byte[]> HostMessages => _hostIn.Reader;

    /// <summary>The longest host message one Full Write carries and one Full Read brings back with the negotiated packets.</summary>
    public int MaxHostMessageSize => Math.Min(ushort.MaxValue, _link.MaxMessageLength - Math.Max(PsemCodec.WriteFullOverhead, PsemCodec.ReadResponseOverhead));

    /// <summary>Ends the session politely (Logoff, Terminate) and stops; the line stays open for its owner.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (_closing.IsCancellationRequested) return;
        _closing.Cancel();
        _work.Release();
        try { await _pump.ConfigureAwait(false); } catch (Exception) { }
        if (_fault is null && !_driver.LineClosed)
        {
            try
            {
                using var quick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                quick.CancelAfter(TimeSpan.FromSeconds(5));
                await TryAsync(PsemCodec.Logoff(), quick.Token).ConfigureAwait(false);
                await TryAsync(PsemCodec.Terminate(), quick.Token).ConfigureAwait(false);
                Log("session closed (Logoff, Terminate)");
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                Log($"closing the session: {e.Message}");
            }
        }
        await _driver.DisposeAsync().ConfigureAwait(false);
        Fault(new ObjectDisposedException(nameof(PsemStation), "The C12.18 session is closed."));
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => new(CloseAsync(CancellationToken.None));

    private async Task StartSessionAsync(CancellationToken ct)
    {
        BaudRate = _options.BaudRate;
        // Identification; a meter still in an earlier session answers isss: end that one first.
        byte[] ident = await OpeningAsync(PsemCodec.Identification(), "Identification", ct).ConfigureAwait(false);
        for (int stale = 0; stale < _options.Timing.Retries && ident.Length < 4 && ident[0] == (byte)PsemResponseCode.Ok; stale++)
        {
            // A bare ok is no identification: on a line that stayed open (a serial port) it is the meter still sending its
            // answer to the previous session's Terminate, whose ACK it never got. Our ACK has just settled that; the
            // answer to our Identification comes next.
            Log("an answer left from the previous session came first (ok, no identification): waiting for the identification");
            ident = await _driver.ReceiveAsync(TimeSpan.FromMilliseconds(_options.Timing.ChannelTrafficTimeoutMs), ct).ConfigureAwait(false)
                ?? await OpeningAsync(PsemCodec.Identification(), "Identification", ct).ConfigureAwait(false);
        }
        if (ident[0] == (byte)PsemResponseCode.Isss)
        {
            Log("the meter was still in a session (Identification answered isss): Terminate, then Identification again");
            await OpeningAsync(PsemCodec.Terminate(), "Terminate", ct).ConfigureAwait(false);
            ident = await OpeningAsync(PsemCodec.Identification(), "Identification", ct).ConfigureAwait(false);
        }
        Identity = PsemCodec.ReadIdentification(ident) ?? throw Refused("Identification", ident,
            "check that the probe is on the meter's optical port and the meter speaks ANSI C12.18");
        Log($"identified: standard {Identity.Standard}, version {Identity.Version}.{Identity.Revision}");

        if (_options.Negotiate) await NegotiateAsync(ct).ConfigureAwait(false);

        byte[] logon = await OpeningAsync(PsemCodec.Logon(PsemMailbox.StationUserId, PsemMailbox.StationUser), "Logon", ct).ConfigureAwait(false);
        if (logon[0] != (byte)PsemResponseCode.Ok) throw Refused("Logon", logon, "check that no other tool holds a session with the meter");

        if (_options.Password is { } password)
        {
            byte[] security;
            try
            {
                security = await OpeningAsync(PsemCodec.Security(password), "Security", ct, secret: true).ConfigureAwait(false);
            }
            finally
            {
                Array.Clear(password);
            }
            if (security[0] != (byte)PsemResponseCode.Ok)
                throw new LinkException(ProvExitCode.InvalidArguments,
                    $"The meter on {_line.Name} refused the optical port password (Security answered {PsemCodec.Describe(security[0])})")
                {
                    Advice = "Check -OpticalPassword against the meter's C12.18 password (at most 20 characters); nothing was written to the node.",
                };
            Log("security accepted");
        }
        _lastActivity = _driver.Now;
    }

    private async Task NegotiateAsync(CancellationToken ct)
    {
        byte[] offered = _options.SessionBaudRate is { } rate && _options.SwitchBaudRate is not null && rate != BaudRate
            ? PsemBaudRates.Code(rate) is { } code ? [code] : throw new LinkException(ProvExitCode.InvalidArguments,
                $"C12.18 has no baud rate code for {rate}") { Advice = "Choose 300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 28800 or 57600." }
            : [];
        int size = Math.Clamp(_options.RequestedPacketSize, PsemPacket.DefaultPacketSize, PsemPacket.MaxPacketSize);
        int packets = Math.Clamp(_options.RequestedPackets, 1, 255);
        byte[] answer = await OpeningAsync(PsemCodec.Negotiate(size, packets, offered), "Negotiate", ct).ConfigureAwait(false);
        if (answer[0] == (byte)PsemResponseCode.Sns)
        {
            // The standard's defaults hold for a meter without the service: slower, but it works.
            Log($"the meter does not support Negotiate (sns): staying at {PsemPacket.DefaultPacketSize}-byte packets, one per message");
            return;
        }
        var negotiated = PsemCodec.ReadNegotiate(answer);
        if (negotiated is null)
            throw Refused("Negotiate", answer, $"the meter refused packets of up to {size} bytes, {packets} per message; check that it supports C12.18 Negotiate, or that no other tool holds a session with it");
        if (negotiated.PacketSize < PsemPacket.DefaultPacketSize || negotiated.PacketSize > size || negotiated.MaxPackets < 1 || negotiated.MaxPackets > packets)
            throw new LinkException(ProvExitCode.NoDeviceHost,
                $"The meter on {_line.Name} answered Negotiate with {negotiated.PacketSize}-byte packets, {negotiated.MaxPackets} per message, outside what was asked ({PsemPacket.DefaultPacketSize}..{size} bytes, 1..{packets})")
            {
                Advice = "The meter does not follow ANSI C12.18 Negotiate; keep the station log and report the meter to the line's engineer.",
            };
        _driver.WithLink(l =>
        {
            l.PacketSize = negotiated.PacketSize;
            l.MaxPackets = negotiated.MaxPackets;
        });
        Log($"negotiated {negotiated.PacketSize}-byte packets, {negotiated.MaxPackets} per message");
        if (negotiated.BaudRateCode is { } chosen && offered.Length > 0 && chosen == offered[0] && PsemBaudRates.Rate(chosen) is { } newRate)
        {
            // Our ACK of the answer must leave at the old rate before the port switches.
            await _driver.DrainAsync(ct).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(PsemPacket.LineMilliseconds(2, BaudRate)) + 5), ct).ConfigureAwait(false);
            await _options.SwitchBaudRate!(newRate).ConfigureAwait(false);
            Log($"line switched from {BaudRate} to {newRate} baud");
            BaudRate = newRate;
        }
    }

    /// <summary>A request while opening: a link that never hears anything means no device; NAKs mean a meter that cannot hear us.</summary>
    private async Task<byte[]> OpeningAsync(byte[] request, string what, CancellationToken ct, bool secret = false)
    {
        try
        {
            return await ExchangeAsync(request, ct).ConfigureAwait(false);
        }
        catch (PsemLinkException e)
        {
            if (!e.HeardAnything)
                throw new LinkException(ProvExitCode.NoDevice, $"Nothing answered the C12.18 {what} request on {_line.Name} ({e.Message})", e)
                {
                    Advice = "Check that the optical probe is on the meter's port, its cable is plugged in, the port is the right one and the meter is powered.",
                };
            if (e.RefusedByNak)
                throw new LinkException(ProvExitCode.NoDeviceHost, $"The meter on {_line.Name} answers but refused the C12.18 {what} request with NAK on every try ({e.Message})", e)
                {
                    Advice = $"Check that the optical probe sits square and clean on the meter's port and that the line runs at the meter's rate ({BaudRate} baud, 8N1).",
                };
            throw new LinkException(ProvExitCode.NoDeviceHost, $"The meter on {_line.Name} stopped answering during the C12.18 {what} request ({e.Message})", e)
            {
                Advice = "Check the optical probe and the meter's power.",
            };
        }
        finally
        {
            if (secret) Array.Clear(request);
        }
    }

    private LinkException Refused(string what, byte[] answer, string check)
        => new(ProvExitCode.NoDeviceHost, $"The meter on {_line.Name} refused the C12.18 {what} request (answered {PsemCodec.Describe(answer[0])})")
        {
            Advice = char.ToUpperInvariant(check[0]) + check[1..] + ".",
        };

    /// <summary>
    /// One request and its response, sent again as a new message (a new toggle) when the data link gives up or the response
    /// does not come within the channel traffic timeout; busy answers are waited out.
    /// </summary>
    private async Task<byte[]> ExchangeAsync(byte[] request, CancellationToken ct, int? tries = null)
    {
        PsemLinkException? last = null;
        Interlocked.Increment(ref _requests);
        int resends = tries is { } t ? t - 1 : _options.Resends;
        for (int attempt = 0; attempt <= resends; attempt++)
        {
            if (attempt > 0) Interlocked.Increment(ref _requestResends);
            _driver.DiscardReceived();
            try
            {
                await _driver.SendAsync(request, ct).ConfigureAwait(false);
            }
            catch (PsemLinkException e)
            {
                // A line on which nothing has ever answered stays silent however often the request is made new.
                if (!e.HeardAnything) throw;
                last = e;
                Log($"{PsemService.Name(request[0])}: {e.Message}; sending it again");
                continue;
            }
            var response = await _driver.ReceiveAsync(TimeSpan.FromMilliseconds(_options.Timing.ChannelTrafficTimeoutMs), ct).ConfigureAwait(false);
            if (response is null)
            {
                last = new PsemLinkException($"no response within {_options.Timing.ChannelTrafficTimeoutMs / 1000.0:0.#} s after the request was acknowledged", true, false);
                Log($"{PsemService.Name(request[0])}: {last.Message}; sending it again");
                continue;
            }
            if (response.Length == 0) continue;
            if (response[0] is (byte)PsemResponseCode.Bsy or (byte)PsemResponseCode.Dnr && attempt < _options.Resends)
            {
                Log($"{PsemService.Name(request[0])}: the meter answered {PsemCodec.Describe(response[0])}; asking again");
                await Task.Delay(100 * (attempt + 1), ct).ConfigureAwait(false);
                continue;
            }
            return response;
        }
        throw last ?? new PsemLinkException("the meter stayed busy", true, false);
    }

    private async Task TryAsync(byte[] request, CancellationToken ct)
    {
        _driver.DiscardReceived();
        await _driver.SendAsync(request, ct).ConfigureAwait(false);
        await _driver.ReceiveAsync(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
    }

    /// <summary>Moves node bytes both ways until closed: writes first, a read after every write, polls when quiet.</summary>
    private async Task PumpAsync()
    {
        var ct = _closing.Token;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                long now = _driver.Now;
                if (_wroteSinceRead) await ReadNodeBytesAsync(ct).ConfigureAwait(false);
                else if (HasNodeBytesToWrite()) await WriteNodeBytesAsync(ct).ConfigureAwait(false);
                else if (HostMessageToWrite() is { } host) await WriteHostMessageAsync(host, ct).ConfigureAwait(false);
                else if (now - _lastHostPoll >= HostPollInterval(now) && now - _lastActivity < PollingStopsAfterMs) await ReadHostMessageAsync(ct).ConfigureAwait(false);
                else
                {
                    long quiet = now - _lastActivity;
                    if (quiet >= QuietBeforeWaitMs && now - _lastWait >= _options.WaitSeconds * 500L)
                    {
                        // A long step on the station (server, keys): tell the meter to keep the session open meanwhile.
                        await ExchangeAsync(PsemCodec.Wait(_options.WaitSeconds), ct).ConfigureAwait(false);
                        _lastWait = _driver.Now;
                        Log($"quiet for {quiet / 1000.0:0.#} s: Wait {_options.WaitSeconds} s");
                        continue;
                    }
                    long delay = quiet >= PollingStopsAfterMs ? 1000 : PollBackoffMs[_backoff];
                    // An answer from the host platform is due: the next host poll comes first.
                    if (now < _hostAnswerDueUntil) delay = Math.Min(delay, Math.Max(0, _lastHostPoll + HostPollInterval(now) - now));
                    if (delay > 0 && await _work.WaitAsync(TimeSpan.FromMilliseconds(delay), ct).ConfigureAwait(false)) continue;
                    if (quiet < PollingStopsAfterMs) await ReadNodeBytesAsync(ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (PsemLinkException e)
        {
            Fault(LinkFailure(e));
        }
        catch (IOException e)
        {
            Fault(e);
        }
    }

    private Exception LinkFailure(PsemLinkException e)
    {
        var stats = Statistics;
        string counts = $"{stats.Requests} requests, {stats.RequestResends} sent again, {stats.PacketResends} packets sent again";
        if (e.RefusedByNak)
            return new LinkException(ProvExitCode.NodeMessageFailed, $"The meter on {_line.Name} refused a C12.18 request with NAK on every try ({e.Message}; {counts})", e)
            {
                Advice = "Check that the optical probe sits square and clean on the meter's port, then provision the device again: the firmware transfer resumes where it stopped.",
            };
        return new LinkException(ProvExitCode.NodeMessageFailed, $"The meter on {_line.Name} stopped answering C12.18 requests ({e.Message}; {counts})", e)
        {
            Advice = "Check the optical probe and the meter's power, then provision the device again: the firmware transfer resumes where it stopped.",
        };
    }

    private bool HasNodeBytesToWrite()
    {
        lock (_gate) return _writes.Count > 0;
    }

    private (byte[] Message, TaskCompletionSource Done)? HostMessageToWrite()
    {
        lock (_gate) return _hostOut.Count > 0 ? _hostOut.Peek() : null;
    }

    private async Task WriteNodeBytesAsync(CancellationToken ct)
    {
        // On a line that damages long messages, writes get shorter (the stream is addressed by position, so a shorter
        // write of the same bytes is safe even when the meter had the longer one), and longer again as they pass.
        int limit = _writeLimit is { } shorter ? Math.Min(shorter, _link.MaxMessageLength) : _link.MaxMessageLength;
        int room = limit - PsemCodec.WriteOffsetOverhead;
        var chunk = new byte[room];
        int n = 0;
        lock (_gate)
        {
            foreach (var w in _writes)
            {
                int take = Math.Min(room - n, w.Data.Length - w.Sent);
                w.Data.AsSpan(w.Sent, take).CopyTo(chunk.AsSpan(n));
                n += take;
                if (n == room) break;
            }
        }
        byte[] request = PsemCodec.WriteOffset(PsemMailbox.NodeTable, _outPosition, chunk.AsSpan(0, n));
        Array.Clear(chunk);
        byte[] answer;
        bool canShorten = limit / 2 >= MinWriteLength;
        try { answer = await ExchangeAsync(request, ct, canShorten ? 1 : null).ConfigureAwait(false); }
        catch (PsemLinkException e) when (canShorten && e.HeardAnything)
        {
            _writeLimit = limit / 2;
            _cleanWrites = 0;
            Log($"Write of {n} node bytes failed ({e.Message}); writing at most {_writeLimit - PsemCodec.WriteOffsetOverhead} bytes per request for now");
            return;
        }
        finally { Array.Clear(request); }
        if (answer[0] == (byte)PsemResponseCode.Isc)
            throw new LinkException(ProvExitCode.InvalidArguments,
                $"The meter on {_line.Name} refused to pass node messages without a security password (Write answered {PsemCodec.Describe(answer[0])})")
            {
                Advice = "Give the meter's C12.18 password with -OpticalPassword; nothing was written to the node.",
            };
        if (answer[0] == (byte)PsemResponseCode.Err && _writeErrors < _options.Resends)
        {
            // The station's request is well formed, so err means the meter assembled a damaged one (packets of two tries
            // mixed on a noisy line): the same bytes again, shorter where possible, are safe at the same position.
            _writeErrors++;
            if (limit / 2 >= MinWriteLength) _writeLimit = limit / 2;
            Log($"the meter answered err to a Write of {n} node bytes at position {_outPosition}; writing it again");
            return;
        }
        if (answer[0] != (byte)PsemResponseCode.Ok)
            throw new PsemLinkException($"the meter refused a Write of table {PsemMailbox.NodeTable} at position {_outPosition} (answered {PsemCodec.Describe(answer[0])})", true, false);
        _writeErrors = 0;
        _outPosition = PsemMailbox.Advance(_outPosition, n);
        bool completed = false;
        lock (_gate)
        {
            int left = n;
            while (left > 0 && _writes.First is { } first)
            {
                var w = first.Value;
                int take = Math.Min(left, w.Data.Length - w.Sent);
                w.Sent += take;
                left -= take;
                if (w.Sent == w.Data.Length)
                {
                    Array.Clear(w.Data);
                    _writes.RemoveFirst();
                    w.Done.TrySetResult();
                    completed = true;
                }
            }
        }
        _writesDone++;
        if (_writeLimit is { } current && ++_cleanWrites >= CleanWritesToGrow)
        {
            _writeLimit = current * 2 >= _link.MaxMessageLength ? null : current * 2;
            _cleanWrites = 0;
        }
        // Only a whole node message can have an answer: after part of one, the next part goes first.
        if (completed) _wroteSinceRead = true;
        _backoff = 0;
        _lastActivity = _driver.Now;
    }

    private async Task ReadNodeBytesAsync(CancellationToken ct)
    {
        _wroteSinceRead = false;
        int room = Math.Min(ushort.MaxValue, _link.MaxMessageLength - PsemCodec.ReadResponseOverhead);
        byte[] answer = await ExchangeAsync(PsemCodec.ReadOffset(PsemMailbox.NodeTable, _inPosition, room), ct).ConfigureAwait(false);
        var data = PsemCodec.ReadTableData(answer)
            ?? throw new PsemLinkException($"the meter refused a Read of table {PsemMailbox.NodeTable} at position {_inPosition} (answered {PsemCodec.Describe(answer[0])})", true, false);
        Array.Clear(answer);
        _reads++;
        if (data.Length == 0)
        {
            _emptyReads++;
            _backoff = Math.Min(_backoff + 1, PollBackoffMs.Length - 1);
            return;
        }
        _inPosition = PsemMailbox.Advance(_inPosition, data.Length);
        _backoff = 0;
        _lastActivity = _driver.Now;
        _nodeIn.Writer.TryWrite(data);
    }

    /// <summary>
    /// How long after the last host poll the next one is due: soon after a host message was written (its answer is expected,
    /// polled with the node's backoff), every <see cref="HostPollMs"/> otherwise.
    /// </summary>
    private long HostPollInterval(long now) => now < _hostAnswerDueUntil ? PollBackoffMs[_hostBackoff] : HostPollMs;

    /// <summary>Until when host polls run fast after a host message was written; and their backoff step.</summary>
    private long _hostAnswerDueUntil;
    private int _hostBackoff;
    private const long HostAnswerWindowMs = 10_000;

    private async Task WriteHostMessageAsync((byte[] Message, TaskCompletionSource Done) host, CancellationToken ct)
    {
        byte[] request = PsemCodec.WriteFull(PsemMailbox.HostTable, host.Message);
        byte[] answer;
        // Host messages can carry keys (the eMCM's): no copy outlives the write.
        try { answer = await ExchangeAsync(request, ct).ConfigureAwait(false); }
        finally { Array.Clear(request); }
        lock (_gate) Array.Clear(_hostOut.Dequeue().Message);
        _hostAnswerDueUntil = _driver.Now + HostAnswerWindowMs;
        _hostBackoff = 0;
        _lastActivity = _driver.Now;
        if (answer[0] == (byte)PsemResponseCode.Ok) host.Done.TrySetResult();
        else host.Done.TrySetException(new IOException($"The meter refused the host message (answered {PsemCodec.Describe(answer[0])})."));
    }

    private async Task ReadHostMessageAsync(CancellationToken ct)
    {
        _lastHostPoll = _driver.Now;
        byte[] answer = await ExchangeAsync(PsemCodec.ReadFull(PsemMailbox.HostTable), ct).ConfigureAwait(false);
        if (PsemCodec.ReadTableData(answer) is { Length: > 0 } message)
        {
            _hostIn.Writer.TryWrite(message);
            _hostAnswerDueUntil = 0;
            _lastActivity = _driver.Now;
        }
        else _hostBackoff = Math.Min(_hostBackoff + 1, PollBackoffMs.Length - 1);
    }

    private void Fault(Exception e)
    {
        List<PendingWrite> writes;
        lock (_gate)
        {
            if (_fault is not null) return;
            _fault = e;
            writes = [.. _writes];
            _writes.Clear();
            while (_hostOut.TryDequeue(out var h))
            {
                Array.Clear(h.Message);
                h.Done.TrySetException(Rethrowable(e));
            }
        }
        foreach (var w in writes)
        {
            Array.Clear(w.Data);
            w.Done.TrySetException(Rethrowable(e));
        }
        _nodeIn.Writer.TryComplete(e is ObjectDisposedException ? null : e);
        _hostIn.Writer.TryComplete();
        if (e is not ObjectDisposedException) Log($"session failed: {e.Message}");
    }

    private static Exception Rethrowable(Exception e) => e switch
    {
        LinkException link => new LinkException(link.Code, link.Message, link) { Advice = link.Advice },
        ObjectDisposedException => new ObjectDisposedException(nameof(PsemStation), e.Message),
        _ => new IOException(e.Message, e),
    };

    private void Log(string message) => _options.Log?.Invoke($"opt_psem: {message}");
}
