using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Provisioning.Core.Gateway.Simulator;

/// <summary>
/// A factory network's gateway for rehearsal and tests: a control port speaking the gateway control protocol (2.x, or 1.x),
/// optionally over TLS, and a radio endpoint where simulated nodes join (docs/gateway-protocol.md). Runs on background tasks
/// until stopped; what it knows of nodes is kept in memory only, as a gateway restarted with an empty table.
/// </summary>
public sealed class GatewaySimulator : IAsyncDisposable
{
    private readonly TcpListener _control;
    private readonly TcpListener _radio;
    private readonly GatewayDialect _dialect;
    private readonly X509Certificate2? _certificate;
    private readonly X509Certificate2Collection? _clientCa;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<uint, GatewayNodeStatus> _joined = new();
    private readonly ConcurrentDictionary<uint, RadioSession> _sessions = new();
    private readonly ConcurrentDictionary<Task, byte> _work = new();
    private Task _acceptingControl = Task.CompletedTask, _acceptingRadio = Task.CompletedTask;
    private int _controlConnections, _joins, _stopRequested;

    private GatewaySimulator(GatewaySimulatorOptions options, TcpListener control, TcpListener radio, X509Certificate2? certificate,
        X509Certificate2Collection? clientCa)
    {
        Options = options;
        _control = control;
        _radio = radio;
        _certificate = certificate;
        _clientCa = clientCa;
        _dialect = GatewayDialect.For(options.Csys1x);
        var radioEnd = (IPEndPoint)radio.LocalEndpoint;
        ControlPort = ((IPEndPoint)control.LocalEndpoint).Port;
        RadioEndpoint = $"{FormatHost(radioEnd.Address)}:{radioEnd.Port}";
    }

    /// <summary>Starts a gateway; returns once both ports listen.</summary>
    /// <exception cref="ArgumentException">Options that cannot work (network ID, ports, TLS without a certificate).</exception>
    /// <exception cref="IOException">A port is taken, or a certificate file cannot be read.</exception>
    public static Task<GatewaySimulator> StartAsync(GatewaySimulatorOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        if (!FactoryNetwork.IsValidId(options.NetworkId))
            throw new ArgumentException($"'{options.NetworkId}' is not a network ID: 1 to {FactoryNetwork.MaxIdLength} letters, digits, '.', '_' or '-'.", nameof(options));
        if (options.ControlPort is < 0 or > 65535 || options.RadioPort is < 0 or > 65535)
            throw new ArgumentException("Gateway ports are 0 (any free port) to 65535.", nameof(options));
        if (options.JoinDelay < TimeSpan.Zero)
            throw new ArgumentException("The join delay cannot be negative.", nameof(options));
        if (!IPAddress.TryParse(options.ListenAddress, out var address))
            throw new ArgumentException($"Listen on an IP address, e.g. 127.0.0.1; '{options.ListenAddress}' is not one.", nameof(options));
        if (options.Tls && options.CertificatePath is null)
            throw new ArgumentException("TLS on the control port needs the gateway's certificate file.", nameof(options));
        var certificate = options.Tls ? LoadCertificate(options.CertificatePath!, options.CertificateKeyPath) : null;
        var clientCa = options.Tls && options.ClientCaCertificatePath is { } ca ? LoadCa(ca) : null;

        var control = Listen(address, options.ControlPort, "control port",
            // A hung gateway: the kernel completes a few handshakes into the backlog, nobody takes them.
            options.Faults.HasFlag(GatewayFaults.Unreachable) ? 4 : 64);
        TcpListener radio;
        try { radio = Listen(address, options.RadioPort, "radio endpoint", 64); }
        catch { control.Stop(); throw; }
        var simulator = new GatewaySimulator(options, control, radio, certificate, clientCa);
        if (!options.Faults.HasFlag(GatewayFaults.Unreachable))
            simulator._acceptingControl = Task.Run(() => simulator.AcceptLoopAsync(control, simulator.ServeControlAsync));
        simulator._acceptingRadio = Task.Run(() => simulator.AcceptLoopAsync(radio, simulator.ServeRadioAsync));
        simulator.Log($"gateway {simulator.Version} for network '{options.NetworkId}': control port {simulator.ControlPort}" +
            $"{(options.Tls ? " (TLS)" : "")}, radio {simulator.RadioEndpoint}{(options.Faults == GatewayFaults.None ? "" : $", faults {options.Faults}")}");
        return Task.FromResult(simulator);
    }

    /// <summary>The options it runs with.</summary>
    public GatewaySimulatorOptions Options { get; }

    /// <summary>The control port stations connect to (the actual one when started with 0).</summary>
    public int ControlPort { get; }

    /// <summary>Where simulated nodes join (<c>host:port</c>): what node and eMCM simulators get as their gateway.</summary>
    public string RadioEndpoint { get; }

    /// <summary>The network it serves.</summary>
    public string NetworkId => Options.NetworkId;

    /// <summary>System version announced in the greeting (2.4, or 1.9 with <see cref="GatewaySimulatorOptions.Csys1x"/>).</summary>
    public string Version => _dialect.SimulatedVersion;

    /// <summary>TLS on the control port.</summary>
    public bool Tls => Options.Tls;

    /// <summary>Faults it injects.</summary>
    public GatewayFaults Faults => Options.Faults;

    /// <summary>True until stopped.</summary>
    public bool IsRunning => Volatile.Read(ref _stopRequested) == 0;

    /// <summary>Control connections served so far.</summary>
    public int ControlConnections => Volatile.Read(ref _controlConnections);

    /// <summary>Joins completed so far (a node that joins again after a clear or a restart counts again).</summary>
    public int Joins => Volatile.Read(ref _joins);

    /// <summary>Nodes whose radio is connected to the gateway now (joined or joining).</summary>
    public int NodesInRange => _sessions.Count;

    /// <summary>The joined nodes, as a status query would report them.</summary>
    public IReadOnlyList<GatewayNodeStatus> Nodes => _joined.Values.OrderBy(n => n.NodeId).ToList();

    /// <summary>A node's status, as a status query would report it.</summary>
    public GatewayNodeStatus GetNodeStatus(uint nodeId) =>
        _joined.TryGetValue(nodeId, out var status) ? status : new GatewayNodeStatus(nodeId, GatewayNodeState.Unknown, null, null);

    /// <summary>Clears a node's status, as the control port's clear does: the node's radio session is dropped, and a node still on the factory network joins again.</summary>
    public void ClearNode(uint nodeId)
    {
        _joined.TryRemove(nodeId, out _);
        if (_sessions.TryRemove(nodeId, out var session)) session.Drop("cleared");
        Log($"node 0x{nodeId:X8} cleared");
    }

    /// <summary>Stops both ports and drops every connection.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            _stopping.Cancel();
            _control.Stop();
            _radio.Stop();
            foreach (var session in _sessions.Values) session.Drop("stopped");
        }
        try { await Task.WhenAll(_work.Keys.Append(_acceptingControl).Append(_acceptingRadio)).ConfigureAwait(false); }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException) { }
        Log("gateway stopped");
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    public ValueTask DisposeAsync() => new(StopAsync());

    /// <inheritdoc/>
    public override string ToString() => $"gateway {Version} for '{NetworkId}' on control port {ControlPort}, radio {RadioEndpoint}";

    /// <summary>The last events (connections, joins, clears, refusals), oldest first, each with its UTC time: what a gateway's own log shows.</summary>
    public IReadOnlyList<string> Events
    {
        get { lock (_events) return _events.ToList(); }
    }

    private const int EventsKept = 200;
    private readonly Queue<string> _events = new();

    private void Log(string line)
    {
        string stamped = $"{DateTimeOffset.UtcNow:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} {line}";
        lock (_events)
        {
            _events.Enqueue(stamped);
            while (_events.Count > EventsKept) _events.Dequeue();
        }
        Options.Log?.Invoke(line);
    }

    private static TcpListener Listen(IPAddress address, int port, string what, int backlog)
    {
        var listener = new TcpListener(address, port);
        try { listener.Start(backlog); }
        catch (SocketException e)
        {
            listener.Stop();
            throw new IOException($"The gateway simulator cannot listen on {address}:{port} for its {what}: {e.Message}. Choose another port, or 0 for any free one.", e);
        }
        return listener;
    }

    private static string FormatHost(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    private async Task AcceptLoopAsync(TcpListener listener, Func<TcpClient, Task> serve)
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(_stopping.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            client.NoDelay = true;
            Track(Task.Run(async () =>
            {
                using (client)
                {
                    try { await serve(client).ConfigureAwait(false); }
                    catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException
                        or InvalidDataException or AuthenticationException)
                    {
                        if (!_stopping.IsCancellationRequested) Log($"connection from {client.Client.RemoteEndPoint} ended: {e.Message}");
                    }
                }
            }));
        }
    }

    private void Track(Task task)
    {
        _work.TryAdd(task, 0);
        task.ContinueWith(t => _work.TryRemove(t, out _), TaskScheduler.Default);
    }

    // ---- control port ----

    private async Task ServeControlAsync(TcpClient client)
    {
        Interlocked.Increment(ref _controlConnections);
        var token = _stopping.Token;
        Stream stream = client.GetStream();
        if (_certificate is not null)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            stream = ssl;
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(token);
            handshake.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ClientCertificateRequired = _clientCa is not null,
                    RemoteCertificateValidationCallback = ValidateClient,
                }, handshake.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                Log($"TLS handshake with {client.Client.RemoteEndPoint} failed: {e.Message}");
                await ssl.DisposeAsync().ConfigureAwait(false);
                return;
            }
        }
        await using var owned = stream.ConfigureAwait(false);
        var lines = new GatewayLineStream(stream);
        await lines.WriteLineAsync(Greeting(), token).ConfigureAwait(false);
        while (true)
        {
            string? request;
            try { request = await lines.ReadLineAsync(token).ConfigureAwait(false); }
            catch (InvalidDataException e)
            {
                await lines.WriteLineAsync(_dialect.Major == 2 ? $"400 {e.Message}" : "ERR 2 bad request", token).ConfigureAwait(false);
                return;
            }
            if (request is null) return;
            var (answer, close) = _dialect.Major == 2 ? Answer2(request) : Answer1(request);
            await lines.WriteLineAsync(answer, token).ConfigureAwait(false);
            if (close) return;
        }
    }

    private string Greeting() => _dialect.Major == 2 ? $"CSYS {Version} gateway network={NetworkId}" : $"CSYS {Version} READY";

    private bool ValidateClient(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_clientCa is null) return true;
        return certificate is not null && GatewayCertificates.ChainsTo(certificate, _clientCa, out _);
    }

    /// <summary>One 2.x request's answer, and whether the connection closes after it.</summary>
    private (string Answer, bool Close) Answer2(string request)
    {
        var words = request.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) return ("400 empty request", false);
        string command = words[0].ToUpperInvariant();
        switch (command)
        {
            case "QUIT" when words.Length == 1: return ("221 BYE", true);
            case "HELLO" when words.Length == 2:
                return words[1] == "2" ? ($"200 HELLO {Version} network={NetworkId}", false)
                    : ($"505 version {words[1]} not spoken, this gateway runs {Version}", false);
            case "STATUS" or "CLEAR" when words.Length == 2:
                if (!TryNodeId(words[1], NumberStyles.AllowHexSpecifier, out uint nodeId)) return ($"400 bad node id '{words[1]}'", false);
                if (Faults.HasFlag(GatewayFaults.ErrorAnswers)) return ("500 internal error (node table unavailable)", false);
                if (command == "CLEAR")
                {
                    ClearNode(nodeId);
                    return ($"200 CLEARED {nodeId:X8}", false);
                }
                var status = GetNodeStatus(nodeId);
                return (status.State == GatewayNodeState.Joined
                    ? $"200 NODE {nodeId:X8} JOINED {status.JoinedAt!.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)} {status.NetworkId}"
                    : $"200 NODE {nodeId:X8} UNKNOWN", false);
            case "QUIT" or "HELLO" or "STATUS" or "CLEAR": return ($"400 wrong arguments to {command}", false);
            default: return ($"404 unknown command {Printable(words[0])}", false);
        }
    }

    /// <summary>One 1.x request's answer, and whether the connection closes after it.</summary>
    private (string Answer, bool Close) Answer1(string request)
    {
        var words = request.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        switch (words)
        {
            case ["BYE"]: return ("OK", true);
            case ["NODE?" or "NODECLR", var id]:
                if (!TryNodeId(id, NumberStyles.None, out uint nodeId)) return ("ERR 2 bad node id", false);
                if (Faults.HasFlag(GatewayFaults.ErrorAnswers)) return ("ERR 9 internal error", false);
                if (words[0] == "NODECLR")
                {
                    ClearNode(nodeId);
                    return ("OK", false);
                }
                var status = GetNodeStatus(nodeId);
                return (status.State == GatewayNodeState.Joined
                    ? $"NODE {nodeId} 1 {status.JoinedAt!.Value.ToUnixTimeSeconds()} {status.NetworkId}"
                    : $"NODE {nodeId} 0", false);
            default: return ("ERR 1 unknown command", false);
        }
    }

    private static bool TryNodeId(string text, NumberStyles style, out uint nodeId)
    {
        nodeId = 0;
        int longest = style == NumberStyles.AllowHexSpecifier ? 8 : 10;
        return text.Length > 0 && text.Length <= longest && uint.TryParse(text, style, CultureInfo.InvariantCulture, out nodeId);
    }

    private static string Printable(string word) => word.Length <= 32 ? word : word[..32] + "...";

    // ---- radio ----

    /// <summary>One node in range: it has sent JOIN and waits for (or has) admission.</summary>
    private sealed class RadioSession(uint nodeId, CancellationToken stopping)
    {
        private readonly CancellationTokenSource _drop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        public uint NodeId { get; } = nodeId;
        public string? DropReason { get; private set; }
        public CancellationToken Dropped => _drop.Token;

        public void Drop(string reason)
        {
            DropReason ??= reason;
            try { _drop.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    private async Task ServeRadioAsync(TcpClient client)
    {
        var token = _stopping.Token;
        var lines = new GatewayLineStream(client.GetStream());
        string? join;
        using (var first = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            first.CancelAfter(TimeSpan.FromSeconds(10));
            join = await lines.ReadLineAsync(first.Token).ConfigureAwait(false);
        }
        var words = join?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (words is not ["JOIN", var idText, var network] || !TryNodeId(idText, NumberStyles.AllowHexSpecifier, out uint nodeId))
        {
            await lines.WriteLineAsync("REJECT bad-request", token).ConfigureAwait(false);
            return;
        }
        if (network != NetworkId)
        {
            Log($"node 0x{nodeId:X8} asked to join network '{network}'; this gateway serves '{NetworkId}'");
            await lines.WriteLineAsync($"REJECT network {NetworkId}", token).ConfigureAwait(false);
            return;
        }

        var session = new RadioSession(nodeId, token);
        if (_sessions.TryGetValue(nodeId, out var earlier)) earlier.Drop("superseded");
        _sessions[nodeId] = session;
        Log($"node 0x{nodeId:X8} heard, joining '{network}'");
        // The node's side going quiet (closed, LEAVE) ends the session as a drop would.
        var listening = Task.Run(async () =>
        {
            try
            {
                while (await lines.ReadLineAsync(session.Dropped).ConfigureAwait(false) is { } line)
                    if (line == "LEAVE") break;
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidDataException or ObjectDisposedException) { }
            session.Drop("left");
        });
        try
        {
            if (!Faults.HasFlag(GatewayFaults.NeverJoin))
            {
                await Task.Delay(Options.JoinDelay, session.Dropped).ConfigureAwait(false);
                var joinedAt = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                // Recorded before it is told, so a station that hears of the join from the node finds it on the control port.
                if (_sessions.TryGetValue(nodeId, out var current) && current == session)
                {
                    _joined[nodeId] = new GatewayNodeStatus(nodeId, GatewayNodeState.Joined, joinedAt, NetworkId);
                    Interlocked.Increment(ref _joins);
                    Log($"node 0x{nodeId:X8} joined '{NetworkId}'");
                    await lines.WriteLineAsync($"JOINED {NetworkId}", session.Dropped).ConfigureAwait(false);
                }
            }
            await Task.Delay(Timeout.Infinite, session.Dropped).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (session.DropReason is { } reason)
        {
            if (reason is "cleared" or "superseded" or "stopped")
            {
                using var telling = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                try { await lines.WriteLineAsync($"DROP {reason}", telling.Token).ConfigureAwait(false); }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
            }
            if (reason == "left") Log($"node 0x{nodeId:X8} left");
        }
        finally
        {
            _sessions.TryRemove(new KeyValuePair<uint, RadioSession>(nodeId, session));
            // A graceful close, so the node reads the DROP before the end (a reset could discard it).
            try { client.Client.Shutdown(SocketShutdown.Both); }
            catch (SocketException) { }
            await listening.ConfigureAwait(false);
        }
    }

    // ---- certificates ----

    private static X509Certificate2 LoadCertificate(string path, string? keyPath)
    {
        if (!File.Exists(path)) throw new IOException($"The gateway certificate file '{path}' is not there.");
        if (keyPath is not null && !File.Exists(keyPath)) throw new IOException($"The gateway certificate key file '{keyPath}' is not there.");
        try { return GatewayCertificates.LoadWithKey(path, keyPath); }
        catch (CryptographicException e)
        {
            throw new IOException($"The gateway certificate '{path}' cannot be used (give a PEM certificate with its key, or a PFX): {e.Message}", e);
        }
    }

    private static X509Certificate2Collection LoadCa(string path)
    {
        if (!File.Exists(path)) throw new IOException($"The client CA certificate file '{path}' is not there.");
        try { return GatewayCertificates.LoadCa(path); }
        catch (CryptographicException e)
        {
            throw new IOException($"The client CA certificate '{path}' cannot be read: {e.Message}", e);
        }
    }
}
