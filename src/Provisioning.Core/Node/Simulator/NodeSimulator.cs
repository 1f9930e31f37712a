using System.Buffers;
using System.Diagnostics;
using System.IO.Ports;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Node.Simulator;

/// <summary>What a simulated node holds: its flash, as kept in the state file.</summary>
/// <param name="NodeId">Node ID.</param>
/// <param name="FirmwareVersion">Active firmware version.</param>
/// <param name="FirmwareSha256">Hex SHA-256 of the active firmware image; empty when none.</param>
/// <param name="FieldConfigSha256">Hex SHA-256 of the field configuration; empty when none.</param>
/// <param name="FactoryConfigSha256">Hex SHA-256 of the factory configuration; empty when none.</param>
/// <param name="KeyCheckValues">Hex key check value per slot holding a key.</param>
/// <param name="Locks">Interfaces secured.</param>
/// <param name="Resets">Resets since the state was created.</param>
/// <param name="FirmwareWrites">Firmware images activated since the state was created.</param>
public sealed record NodeStateSnapshot(
    uint NodeId, string FirmwareVersion, string FirmwareSha256, string FieldConfigSha256, string FactoryConfigSha256,
    IReadOnlyDictionary<NodeKeySlot, string> KeyCheckValues, NodeLockFlags Locks, int Resets, int FirmwareWrites)
{
    /// <summary>The configuration the node runs: the one committed last (field or factory); null when none.</summary>
    public NodeImageTarget? ActiveConfig { get; init; }

    /// <summary>The factory network its factory configuration names (<c>network_id=</c>); null when none.</summary>
    public string? FactoryNetworkId { get; init; }
}

/// <summary>
/// A node that speaks the node protocol on a serial port or a TCP port, for rehearsal and tests.
/// Runs on background tasks until stopped.
/// </summary>
/// <remarks>
/// On TCP it serves one connection at a time and accepts the next when that one closes. With <see cref="NodeSimulatorOptions.Pace"/>
/// both directions run no faster than the baud rate. What is written to the node is kept in the state file.
/// </remarks>
public sealed class NodeSimulator : IAsyncDisposable
{
    /// <summary>Bytes released to or from the line at a time when pacing: about 5.6 ms at 115200 baud.</summary>
    private const int PaceSlice = 64;

    private readonly SimulatedNode _node;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TcpListener? _listener;
    private SerialPort? _serial;
    private Task _serving = Task.CompletedTask;
    private long _received, _sent;
    private int _tooLarge;
    private readonly NoisyDirection? _noiseIn, _noiseOut;
    private bool _dropped;
    private string? _lastError;
    private int _connections;
    private int _stopRequested;

    private NodeSimulator(NodeSimulatorOptions options, SimulatedNode node, TcpListener? listener, SerialPort? serial, string endpoint)
    {
        Options = options;
        _node = node;
        _listener = listener;
        _serial = serial;
        Endpoint = endpoint;
        MaxMessageSize = options.MaxMessageSize ?? TransportWrappers.Create(options.Wrapper).MaxMessageSize;
        NoiseSeed = options.Noise.Seed ?? Random.Shared.Next();
        if (options.Noise.IsNoisy)
        {
            // One random stream per direction, so what the node sends does not change the noise on what it receives.
            _noiseIn = new NoisyDirection(options.Noise, NoiseSeed);
            _noiseOut = new NoisyDirection(options.Noise, NoiseSeed ^ 0x5EED5EED);
        }
    }

    /// <summary>Starts a simulator; returns once it is listening (TCP) or has opened its serial port.</summary>
    public static Task<NodeSimulator> StartAsync(NodeSimulatorOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        if ((options.PortName is null) == (options.Listen is null))
            throw new ArgumentException("Give the simulator either a serial port (PortName) or a TCP address to listen on (Listen), not both or neither.", nameof(options));
        if (options.BaudRate <= 0)
            throw new ArgumentException($"The baud rate must be positive, not {options.BaudRate}.", nameof(options));
        if (options.Faults.CorruptEveryNthByte is <= 0)
            throw new ArgumentException($"CorruptEveryNthByte must be at least 1, not {options.Faults.CorruptEveryNthByte}.", nameof(options));
        TransportWrappers.Create(options.Wrapper); // an unknown name fails here, before anything is opened
        if (options.MaxMessageSize is < MinMessageSize)
            throw new ArgumentException($"MaxMessageSize must be at least {MinMessageSize} bytes, not {options.MaxMessageSize}.", nameof(options));
        options.Noise.Validate();
        if (options.Gateway is { } gateway) NodeRadio.ParseEndpoint(gateway);
        var node = new SimulatedNode(options);

        NodeSimulator simulator;
        if (options.Listen is { } listen)
        {
            var (host, port) = NodeTransport.ParseTcp(listen);
            var address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
                : IPAddress.TryParse(host, out var ip) ? ip
                : throw new ArgumentException($"Listen on an IP address, e.g. tcp://127.0.0.1:{port}; '{host}' is not one.", nameof(options));
            var listener = new TcpListener(address, port);
            try { listener.Start(1); }
            catch (SocketException e)
            {
                throw new IOException($"The node simulator cannot listen on {listen}: {e.Message}. Choose another port, or port 0 for any free one.", e);
            }
            int actual = ((IPEndPoint)listener.LocalEndpoint).Port;
            simulator = new NodeSimulator(options, node, listener, null, $"tcp://{host}:{actual}");
            simulator._serving = Task.Run(simulator.AcceptLoopAsync);
        }
        else
        {
            var serial = SerialNodeTransport.OpenPort(options.PortName!, options.BaudRate);
            simulator = new NodeSimulator(options, node, null, serial, options.PortName!);
            var stream = serial.BaseStream;
            simulator._serving = Task.Run(() => simulator.SerialLoopAsync(stream));
        }
        if (options.Gateway is { } radioEndpoint) simulator._radio = NodeRadio.Start(node, radioEndpoint);
        return Task.FromResult(simulator);
    }

    private NodeRadio? _radio;

    /// <summary>What the node's radio is doing: Off without a gateway in range (see docs/gateway-protocol.md).</summary>
    public NodeRadioState RadioState => _radio?.State ?? NodeRadioState.Off;

    /// <summary>Smallest host buffer a simulator takes: a node frame with an empty payload and room for a wrapper.</summary>
    public const int MinMessageSize = 16;

    /// <summary>The largest message, wrapping included, this node's host takes; longer ones are dropped unanswered.</summary>
    public int MaxMessageSize { get; }

    /// <summary>Messages dropped unanswered because they were longer than <see cref="MaxMessageSize"/>.</summary>
    public int MessagesTooLarge => Volatile.Read(ref _tooLarge);

    /// <summary>Seed of the line noise (<see cref="LineNoise.Seed"/>, or the one chosen at start): the same seed replays the same noise.</summary>
    public int NoiseSeed { get; }

    /// <summary>The options it runs with.</summary>
    public NodeSimulatorOptions Options { get; }

    /// <summary>The port a station uses to reach it: <c>tcp://127.0.0.1:port</c> (actual port) or the serial device name given.</summary>
    public string Endpoint { get; }

    /// <summary>What the node holds now.</summary>
    public NodeStateSnapshot State => _node.Snapshot();

    /// <summary>A copy of the key in <paramref name="slot"/> (the device's flash), or null. For rehearsal checks; the caller zeroes it.</summary>
    public byte[]? ReadKey(NodeKeySlot slot) => _node.ReadKey(slot);

    /// <summary>Bytes received and sent on the line so far.</summary>
    public (long Received, long Sent) ByteCounts => (Interlocked.Read(ref _received), Interlocked.Read(ref _sent));

    /// <summary>Bytes received on the line so far (as <see cref="ByteCounts"/>, for PowerShell, which cannot name tuple fields).</summary>
    public long BytesReceived => Interlocked.Read(ref _received);

    /// <summary>Bytes sent on the line so far.</summary>
    public long BytesSent => Interlocked.Read(ref _sent);

    /// <summary>Connections served so far (TCP), or times the serial port was served.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>True while the simulator serves (not stopped, serial port not dropped by the DropLinkAfterBytes fault).</summary>
    public bool IsRunning => !_serving.IsCompleted;

    /// <summary>The last error that ended a connection (e.g. port closed), for diagnostics; null when none.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>
    /// True once a request of the <see cref="NodeFaults.HoldAt"/> type arrived: the node did not process it and stays silent
    /// (a station is stopped between two steps) until <see cref="Release"/>.
    /// </summary>
    public bool Held => Volatile.Read(ref _hold) == HoldHeld;

    /// <summary>Completes when the hold starts (<see cref="Held"/> turns true), so a test can wait on it instead of polling.</summary>
    public Task WhenHeld => _held.Task;

    /// <summary>Ends a hold: the node answers again from the next request on, and does not hold again.</summary>
    public void Release() => Volatile.Write(ref _hold, HoldReleased);

    private const int HoldArmed = 0, HoldHeld = 1, HoldReleased = 2;
    private int _hold;
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether this request is swallowed by the HoldAt fault (and the node goes silent).</summary>
    private bool Holds(byte type)
    {
        if (Options.Faults.HoldAt is not { } at) return false;
        if ((byte)at == type && Interlocked.CompareExchange(ref _hold, HoldHeld, HoldArmed) == HoldArmed)
            _held.TrySetResult();
        return Volatile.Read(ref _hold) == HoldHeld;
    }

    /// <summary>Stops serving and closes the port; the state file stays.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            // Cancel first: pending reads and writes end on the token (Linux), so closing the port finds them finished.
            _stopping.Cancel();
            _listener?.Stop();
            CloseSerial();
        }
        try { await _serving.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        if (_radio is not null) await _radio.DisposeAsync().ConfigureAwait(false);
        _node.Save();
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    public ValueTask DisposeAsync() => new(StopAsync());

    /// <inheritdoc/>
    public override string ToString() => $"node {Options.NodeId} (0x{Options.NodeId:X8}) on {Endpoint}";

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener!.AcceptTcpClientAsync(_stopping.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && _stopping.IsCancellationRequested) { return; }
            catch (SocketException e)
            {
                Volatile.Write(ref _lastError, $"accepting a connection failed: {e.Message}");
                continue;
            }
            using (client)
            {
                client.NoDelay = true;
                await ServeAsync(client.GetStream(), () => client.Client.Close(0)).ConfigureAwait(false);
            }
        }
    }

    private async Task SerialLoopAsync(Stream stream)
    {
        await ServeAsync(stream, CloseSerial).ConfigureAwait(false);
        // A serial port that was dropped stays closed: the station sees silence, as with a pulled cable.
        CloseSerial();
    }

    /// <summary>Closes the serial port once, whichever comes first: Stop, the DropLinkAfterBytes fault or the end of the link.</summary>
    private void CloseSerial()
    {
        if (Interlocked.Exchange(ref _serial, null) is { } serial) SerialNodeTransport.Close(serial);
    }

    /// <summary>Serves one link until it closes, fails, is dropped by the fault, or the simulator stops.</summary>
    private async Task ServeAsync(Stream stream, Action pullCable)
    {
        Interlocked.Increment(ref _connections);
        var wrapper = TransportWrappers.Create(Options.Wrapper);
        if (wrapper is OptPsemWrapper psem && Options.OptPsemMeter is { } meter) psem.Meter = meter;
        wrapper.HostMessageCheck = Options.HostPlatform?.MessageCheck;
        var outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var link = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var sending = Task.Run(() => SendLoopAsync(stream, outgoing.Reader, link.Token));
        var serving = Task.CompletedTask;
        try
        {
            if (wrapper is LinkWrapper active)
            {
                // The host's session sits above the line's pacing, noise and faults, so they hit the wrapper's own frames.
                var received = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
                serving = StartHostAsync(active, received.Reader, outgoing.Writer, link.Token);
                try
                {
                    await ReceiveLoopAsync(stream, bytes =>
                    {
                        if (Options.Faults.RestartHostAfterBytes is { } restartAt && Interlocked.Read(ref _received) >= restartAt
                            && Interlocked.Exchange(ref _hostRestarted, 1) == 0)
                        {
                            // The host restarts: its session and what it had half received are gone; a fresh one takes the line.
                            received.Writer.TryComplete();
                            received = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
                            var previous = serving;
                            serving = Task.WhenAll(previous, StartHostAsync(TransportWrappers.Create(Options.Wrapper) as LinkWrapper ?? active, received.Reader, outgoing.Writer, link.Token));
                            Volatile.Write(ref _lastError, $"the host restarted after {restartAt} received bytes (RestartHostAfterBytes fault)");
                        }
                        received.Writer.TryWrite(bytes.ToArray());
                    }, pullCable, link.Token).ConfigureAwait(false);
                }
                finally { received.Writer.TryComplete(); }
            }
            else
            {
                var sink = new Sink(this, wrapper, outgoing.Writer);
                await ReceiveLoopAsync(stream, bytes => wrapper.Ingress(bytes, sink), pullCable, link.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            if (!_stopping.IsCancellationRequested) Volatile.Write(ref _lastError, $"the link ended: {e.Message}");
        }
        finally
        {
            outgoing.Writer.TryComplete();
            link.Cancel();
            try { await serving.ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException) { }
            try { await sending.ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException) { }
            // An interrupted transfer stays in flash for the next connection to resume.
            _node.Save();
        }
    }

    private int _hostRestarted;

    /// <summary>Opens a host-role session over the simulated line (what <paramref name="received"/> delivers) and serves the node through it.</summary>
    private async Task StartHostAsync(LinkWrapper wrapper, ChannelReader<byte[]> received, ChannelWriter<byte[]> outgoing, CancellationToken cancellationToken)
    {
        var line = new SimulatedLine(Endpoint, Options.BaudRate, received, outgoing);
        var session = await wrapper.OpenAsync(line, LinkRole.Host, HostLinkOptions(), cancellationToken).ConfigureAwait(false);
        await ServeSessionAsync(session, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the host's link session is told: the line rate, and the host buffer when one is given.</summary>
    private LinkOptions HostLinkOptions() => new()
    {
        BaudRate = Options.BaudRate,
        MaxMessageSize = Options.MaxMessageSize,
        Password = Options.LinkPassword,
        Log = Options.LinkLog,
    };

    /// <summary>
    /// Serves the node over a host-role link session: node bytes the session delivers go to the node, its answers back
    /// through the session. Host messages go to the host platform (<see cref="NodeSimulatorOptions.HostPlatform"/>); without
    /// one each is echoed back, so host traffic is seen both ways.
    /// </summary>
    private async Task ServeSessionAsync(LinkSession session, CancellationToken cancellationToken)
    {
        await using var owned = session.ConfigureAwait(false);
        var answers = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var sink = new Sink(this, session.NodeWrapper, answers.Writer);
        session.HostMessageReceived += (_, e) =>
        {
            Interlocked.Increment(ref _hostMessages);
            var answer = Options.HostPlatform is { } host ? host.Answer(e.Message.Span) : e.Message.ToArray();
            if (answer is null) return;
            _ = session.SendHostMessageAsync(answer, cancellationToken).ContinueWith(t =>
            {
                Array.Clear(answer);
                return t.Exception;
            }, TaskScheduler.Default);
        };
        var answering = Task.Run(async () =>
        {
            await foreach (var answer in answers.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                await session.WriteAsync(answer, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
        var buffer = new byte[NodeFrame.MaxLength];
        try
        {
            while (true)
            {
                int n = await session.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0) break;
                sink.OnNodeBytes(buffer.AsSpan(0, n));
            }
        }
        catch (LinkException e)
        {
            Volatile.Write(ref _lastError, $"the {session.Wrapper.Name} session ended: {e.Message}");
        }
        finally
        {
            answers.Writer.TryComplete();
            try { await answering.ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException) { }
        }
    }

    private int _hostMessages;

    /// <summary>Host-platform messages received (through an active wrapper's session, or, with a host platform, behind orw).</summary>
    public int HostMessagesReceived => Volatile.Read(ref _hostMessages);

    private async Task ReceiveLoopAsync(Stream stream, SpanAction deliver, Action pullCable, CancellationToken cancellationToken)
    {
        var pacer = Options.Pace ? new LinePacer(Options.BaudRate) : null;
        var buffer = new byte[8192];
        var clock = Stopwatch.StartNew();
        while (true)
        {
            double before = clock.Elapsed.TotalSeconds;
            int n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0) return;
            // A read that had to wait marks the line as idle until now; one that returned at once found bytes already queued.
            double? arrivedAt = clock.Elapsed.TotalSeconds - before > 0.0005 ? pacer?.Now : null;
            for (int at = 0; at < n;)
            {
                int slice = Math.Min(n - at, pacer is null ? n : PaceSlice);
                if (Options.Faults.DropLinkAfterBytes is { } limit && !_dropped)
                {
                    long allowed = limit - Interlocked.Read(ref _received);
                    if (allowed <= slice)
                    {
                        slice = (int)Math.Max(0, allowed);
                        await Consume(buffer.AsMemory(at, slice), arrivedAt).ConfigureAwait(false);
                        _dropped = true;
                        Volatile.Write(ref _lastError, $"the link was dropped after {limit} received bytes (DropLinkAfterBytes fault)");
                        pullCable();
                        return;
                    }
                }
                await Consume(buffer.AsMemory(at, slice), arrivedAt).ConfigureAwait(false);
                at += slice;
                arrivedAt = null;
            }
        }

        async Task Consume(Memory<byte> bytes, double? arrivedAt)
        {
            if (pacer is not null) await pacer.PaceAsync(bytes.Length, arrivedAt, cancellationToken).ConfigureAwait(false);
            long total = Interlocked.Add(ref _received, bytes.Length);
            // A line that stopped carrying: the bytes took their time and vanished.
            if (Options.Faults.LoseAfterBytes is { } loseAt && total > loseAt)
            {
                int keep = (int)Math.Max(0, loseAt - (total - bytes.Length));
                if (keep == 0) return;
                bytes = bytes[..keep];
            }
            int kept = _noiseIn?.Apply(bytes.Span) ?? bytes.Length;
            deliver(bytes.Span[..kept]);
        }
    }

    private delegate void SpanAction(ReadOnlySpan<byte> bytes);

    private async Task SendLoopAsync(Stream stream, ChannelReader<byte[]> outgoing, CancellationToken cancellationToken)
    {
        var pacer = Options.Pace ? new LinePacer(Options.BaudRate) : null;
        int? corruptEvery = Options.Faults.CorruptEveryNthByte;
        while (true)
        {
            double? arrivedAt = null;
            if (!outgoing.TryRead(out var bytes))
            {
                if (!await outgoing.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return;
                outgoing.TryRead(out bytes);
                arrivedAt = pacer?.Now;
            }
            if (corruptEvery is { } every)
            {
                long first = Interlocked.Read(ref _sent);
                for (int i = 0; i < bytes!.Length; i++)
                    if ((first + i + 1) % every == 0) bytes[i] ^= 0x10;
            }
            for (int at = 0; at < bytes!.Length;)
            {
                int slice = Math.Min(bytes.Length - at, pacer is null ? bytes.Length : PaceSlice);
                if (pacer is not null) await pacer.PaceAsync(slice, arrivedAt, cancellationToken).ConfigureAwait(false);
                // A lost byte still took its time on the line.
                int kept = _noiseOut?.Apply(bytes.AsSpan(at, slice)) ?? slice;
                await stream.WriteAsync(bytes.AsMemory(at, kept), cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _sent, slice);
                at += slice;
                arrivedAt = null;
            }
        }
    }

    /// <summary>Decodes the node's messages from what the wrapper unwraps and queues the answers.</summary>
    private sealed class Sink(NodeSimulator simulator, TransportWrapper wrapper, ChannelWriter<byte[]> outgoing) : IWrapperSink
    {
        private readonly NodeFrameDecoder _decoder = new();
        private readonly byte[] _response = new byte[NodeFrame.MaxPayload];
        private readonly byte[] _frame = new byte[NodeFrame.MaxLength];
        private readonly ArrayBufferWriter<byte> _line = new();

        public void OnNodeBytes(ReadOnlySpan<byte> nodeBytes)
        {
            _decoder.Append(nodeBytes);
            while (_decoder.TryRead(out var request))
            {
                // Only requests are answered; a silent node reads everything and says nothing.
                if ((request.Type & 0x80) != 0 || simulator.Options.Faults.Silent || simulator.Holds(request.Type)) continue;
                // A host with a small receive buffer (guide B.2.2) loses what does not fit: no answer, no error.
                // Through a link session the session's own agreed size applies (it may carry a message in several frames).
                int limit = LinkSession.IsSessionWrapper(wrapper) ? wrapper.MaxMessageSize : simulator.MaxMessageSize;
                if (request.Payload.Length + NodeFrame.Overhead + wrapper.Overhead > limit)
                {
                    Interlocked.Increment(ref simulator._tooLarge);
                    continue;
                }
                int length = simulator._node.Handle(request.Type, request.Payload.Span, _response, out byte type);
                int frame = NodeFrame.Encode(type, request.Seq, _response.AsSpan(0, length), _frame);
                _line.ResetWrittenCount();
                wrapper.Egress(_frame.AsSpan(0, frame), _line);
                outgoing.TryWrite(_line.WrittenSpan.ToArray());
            }
        }

        // The host platform's own traffic: a node never sees it; the host platform, when there is one, answers it.
        public void OnHostMessage(ReadOnlySpan<byte> message)
        {
            if (simulator.Options.HostPlatform is not { } host || simulator.Options.Faults.Silent) return;
            // The host's receive buffer (guide B.2.2) holds host messages too.
            if (message.Length + OrwWrapper.HostOverhead > simulator.MaxMessageSize)
            {
                Interlocked.Increment(ref simulator._tooLarge);
                return;
            }
            Interlocked.Increment(ref simulator._hostMessages);
            if (host.Answer(message) is not { } answer) return;
            _line.ResetWrittenCount();
            wrapper.EgressHost(answer, _line);
            Array.Clear(answer);
            outgoing.TryWrite(_line.WrittenSpan.ToArray());
            _line.Clear();
        }

        public void OnDamaged(string reason) { }
    }
}
