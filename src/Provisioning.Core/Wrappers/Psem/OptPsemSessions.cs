using System.Threading.Channels;
using Provisioning.Core.Node;
using Provisioning.Core.Station;
using Provisioning.Core.Transport;

namespace Provisioning.Core.Wrappers.Psem;

/// <summary>The station's opt_psem session: node messages go to the meter's node mailbox through <see cref="PsemStation"/>.</summary>
internal sealed class OptPsemStationSession : LinkSession
{
    private readonly PsemStation _station;
    private readonly Task _hostMessages;
    private readonly PendingBytes _pending = new();
    private int _disposed;

    public OptPsemStationSession(LinkWrapper wrapper, INodeTransport line, LinkOptions options, PsemStation station)
        : base(wrapper, line, LinkRole.Station, options)
    {
        _station = station;
        _hostMessages = Task.Run(async () =>
        {
            await foreach (var message in station.HostMessages.ReadAllAsync().ConfigureAwait(false)) OnHostMessage(message);
        });
        options.Log?.Invoke($"opt_psem: session open, {OptPsemWrapper.Describe(station)}");
    }

    public override int? BaudRate => _station.BaudRate;

    public override int MaxMessageSize => NodeFrame.MaxLength;

    /// <summary>A host message travels whole in one Full Write and comes back in one Full Read: what the negotiated packets carry.</summary>
    public override int MaxHostMessageSize => _station.MaxHostMessageSize;

    /// <summary>Image chunks the station sends are at most 4 KiB, 4110 bytes as node messages.</summary>
    private const int LargestNodeMessage = 4096 + 14;

    /// <summary>
    /// What C12.18 adds to a node message on top of its line time: per request its packet headers, the write's own fields,
    /// ACKs, the response and a poll for the answer, and two turnarounds; plus one response timeout, the cost of a lost packet.
    /// With the default 64-byte packets a 4 KiB chunk takes 88 requests, so this is seconds, not milliseconds.
    /// </summary>
    public override TimeSpan ExtraLatency
    {
        get
        {
            int perPacket = _station.PacketSize - PsemPacket.Overhead;
            int perRequest = Math.Max(1, perPacket * _station.MaxPackets - PsemCodec.WriteOffsetOverhead);
            int requests = (LargestNodeMessage + perRequest - 1) / perRequest;
            int packets = (Math.Min(LargestNodeMessage, perRequest) + PsemCodec.WriteOffsetOverhead + perPacket - 1) / perPacket;
            int overheadBytes = packets * (PsemPacket.Overhead + 1) + PsemCodec.WriteOffsetOverhead + 10 + 30;
            double ms = Options.ResponseTimeout?.TotalMilliseconds ?? 2000;
            ms += requests * (PsemPacket.LineMilliseconds(overheadBytes, _station.BaudRate) + 20);
            return TimeSpan.FromMilliseconds(ms);
        }
    }

    public override LinkStatistics Statistics
    {
        get
        {
            var s = _station.Statistics;
            var (sent, received) = _station.LineBytes;
            return new LinkStatistics(s.PacketResends + s.RequestResends, s.NaksSent, 0, 0, sent, received);
        }
    }

    /// <summary>The C12.18 client (negotiated sizes, counters), for tests and benchmarks.</summary>
    public PsemStation Client => _station;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        => await _station.WriteNodeAsync(data, cancellationToken).ConfigureAwait(false);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty)
        {
            try { _pending.Set(await _station.ReadNodeAsync(cancellationToken).ConfigureAwait(false)); }
            catch (ObjectDisposedException) { return 0; }
            catch (ChannelClosedException) { return 0; }
        }
        return _pending.CopyTo(buffer.Span);
    }

    public override Task SendHostMessageAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
        => _station.WriteHostAsync(message, cancellationToken);

    public override Task CloseAsync(CancellationToken cancellationToken) => _station.CloseAsync(cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _station.DisposeAsync().ConfigureAwait(false);
        await Line.DisposeAsync().ConfigureAwait(false);
        try { await _hostMessages.ConfigureAwait(false); } catch (Exception) { }
    }
}

/// <summary>
/// The meter's side of opt_psem (host role): answers the station's C12.18 requests, hands what the station writes to the
/// node mailbox to the node and keeps the node's answers for the station to read.
/// </summary>
internal sealed class OptPsemHostSession : LinkSession
{
    private readonly PsemMeterSettings _settings;
    private readonly PsemDataLink _link;
    private readonly PsemLineDriver _driver;
    private readonly PsemMeter _meter;
    private readonly object _gate = new();
    private readonly Channel<byte[]> _toNode = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _serving;
    private readonly PendingBytes _pending = new();
    private int _disposed;

    public OptPsemHostSession(LinkWrapper wrapper, INodeTransport line, LinkOptions options, PsemMeterSettings settings)
        : base(wrapper, line, LinkRole.Host, options)
    {
        _settings = settings;
        _link = new PsemDataLink(new PsemLinkTiming { BaudRate = settings.BaudRate })
        {
            NakEverything = settings.Faults.NakEveryPacket,
            DeafAfterPackets = settings.Faults.StopAnsweringAfterPackets,
        };
        _driver = new PsemLineDriver(line, _link);
        _meter = new PsemMeter(settings, bytes => _toNode.Writer.TryWrite(bytes.ToArray()), message => OnHostMessage(message.Span));
        _serving = Task.Run(ServeAsync);
    }

    public override int MaxMessageSize => NodeFrame.MaxLength;

    public override TimeSpan ExtraLatency => TimeSpan.Zero;

    public override LinkStatistics Statistics
    {
        get
        {
            var (sent, received) = _link.LineBytes;
            return new LinkStatistics(_link.Resends, _link.NaksSent, 0, _resets, sent, received);
        }
    }

    private int _resets;

    /// <summary>The meter's state, for tests.</summary>
    public PsemMeter Meter => _meter;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        lock (_gate) _meter.FromNode(data.Span);
        return ValueTask.CompletedTask;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty)
        {
            if (!await _toNode.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return 0;
            if (!_toNode.Reader.TryRead(out var next)) return 0;
            _pending.Set(next);
        }
        return _pending.CopyTo(buffer.Span);
    }

    public override Task SendHostMessageAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        lock (_gate) _meter.FromHost(message.Span);
        return Task.CompletedTask;
    }

    public override Task CloseAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task ServeAsync()
    {
        var ct = _closing.Token;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                long timeout = _meter.State == PsemSessionState.Base ? 60_000
                    : _meter.WaitSeconds is { } wait ? Math.Max(wait * 1000L, _link.Timing.ChannelTrafficTimeoutMs) : _link.Timing.ChannelTrafficTimeoutMs;
                var request = await _driver.ReceiveAsync(TimeSpan.FromMilliseconds(timeout), ct).ConfigureAwait(false);
                if (request is null)
                {
                    if (_meter.State != PsemSessionState.Base)
                    {
                        Log($"no request for {timeout / 1000.0:0.#} s: back to the base state");
                        Interlocked.Increment(ref _resets);
                        _driver.WithLink(l => l.Reset());
                        lock (_gate)
                        {
                            _meter.Expire();
                            _meter.ResponseRoom = _link.MaxMessageLength;
                        }
                    }
                    continue;
                }
                byte[] response;
                PsemMeterAfter after;
                lock (_gate) response = _meter.Handle(request, out after);
                Array.Clear(request);
                if (request.Length > 0) Log($"{PsemService.Name(request[0])}: answered {PsemCodec.Describe(response[0])}");
                try
                {
                    await _driver.SendAsync(response, ct).ConfigureAwait(false);
                }
                catch (PsemLinkException e)
                {
                    // The station sends the request again if it needs the answer.
                    Log($"the response was not delivered: {e.Message}");
                    continue;
                }
                finally
                {
                    Array.Clear(response);
                }
                if (after.PacketSize is { } size) _driver.WithLink(l => { l.PacketSize = size; l.MaxPackets = after.MaxPackets ?? 1; });
                if (after.PacketSize is not null || after.EndSession) lock (_gate) _meter.ResponseRoom = after.EndSession ? PsemPacket.DefaultPacketSize - PsemPacket.Overhead : _link.MaxMessageLength;
                if (after.BaudRate is { } rate && Line is SerialNodeTransport serial)
                {
                    // The station's ACK of the answer came at the old rate; from here both ends run at the new one.
                    serial.ChangeBaudRate(rate);
                    Log($"line switched to {rate} baud");
                }
                if (after.EndSession) _driver.WithLink(l => l.Reset());
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (PsemLinkException e)
        {
            Log($"the line closed: {e.Message}");
        }
        finally
        {
            _toNode.Writer.TryComplete();
        }
    }

    private void Log(string message) => Options.Log?.Invoke($"opt_psem meter: {message}");

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _closing.Cancel();
        try { await _serving.ConfigureAwait(false); } catch (Exception) { }
        await _driver.DisposeAsync().ConfigureAwait(false);
        if (_settings.Password is { } p) Array.Clear(p);
        await Line.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Node bytes received and not yet read, handed out in pieces of the reader's size and zeroed as they go.</summary>
internal sealed class PendingBytes
{
    private byte[] _bytes = [];
    private int _at;

    public bool IsEmpty => _at >= _bytes.Length;

    public void Set(byte[] bytes) => (_bytes, _at) = (bytes, 0);

    public int CopyTo(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, _bytes.Length - _at);
        _bytes.AsSpan(_at, n).CopyTo(buffer);
        _bytes.AsSpan(_at, n).Clear();
        _at += n;
        return n;
    }
}
