using System.Globalization;
using System.Net.Sockets;
using Provisioning.Core.Gateway;

namespace Provisioning.Core.Node.Simulator;

/// <summary>What a simulated node's radio is doing (docs/gateway-protocol.md, "The node's radio").</summary>
public enum NodeRadioState
{
    /// <summary>No gateway in range (the simulator has no <see cref="NodeSimulatorOptions.Gateway"/>).</summary>
    Off,
    /// <summary>The node runs no factory configuration naming a network (no configuration, or a field configuration): it does not look for the factory gateway.</summary>
    Idle,
    /// <summary>Looking for the gateway or waiting to be admitted (also after a drop, until it is admitted again).</summary>
    Joining,
    /// <summary>Admitted to the factory network.</summary>
    Joined,
    /// <summary>The gateway in range serves another network than the one the factory configuration names.</summary>
    Rejected,
}

/// <summary>
/// A simulated node's radio: while the node's active configuration is a factory configuration naming a network, it keeps a
/// session with the gateway's radio endpoint and asks to join that network. A new configuration or a reset restarts it.
/// </summary>
internal sealed class NodeRadio : IAsyncDisposable
{
    /// <summary>How long the radio waits before it looks for the gateway again after losing it (a drop, a refused connection).</summary>
    public static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(1);

    private readonly SimulatedNode _node;
    private readonly string _host;
    private readonly int _port;
    private readonly CancellationTokenSource _stopping = new();
    private CancellationTokenSource _changed = new();
    private readonly Task _running;
    private int _state = (int)NodeRadioState.Idle;
    private string? _network;

    private NodeRadio(SimulatedNode node, string host, int port)
    {
        _node = node;
        _host = host;
        _port = port;
        // The node raises this under its own lock: signal from the thread pool so the radio's work never runs inside it.
        node.RadioChanged += () => ThreadPool.UnsafeQueueUserWorkItem(static radio => radio.Restart(), this, preferLocal: false);
        _running = Task.Run(RunAsync);
    }

    public NodeRadioState State => (NodeRadioState)Volatile.Read(ref _state);

    /// <summary>The network the radio is joining or has joined; null when idle.</summary>
    public string? Network => Volatile.Read(ref _network);

    /// <summary>The gateway's radio endpoint as <c>host:port</c> (or <c>tcp://host:port</c>); ArgumentException when it is not one.</summary>
    public static (string Host, int Port) ParseEndpoint(string endpoint)
    {
        string text = endpoint.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase) ? endpoint["tcp://".Length..] : endpoint;
        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon].Trim('[', ']') : "";
        if (host.Length == 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new ArgumentException($"'{endpoint}' is not a gateway radio endpoint: write host:port, e.g. 127.0.0.1:4022 (the RadioEndpoint of Start-ProvGatewaySimulator).", nameof(endpoint));
        return (host, port);
    }

    public static NodeRadio Start(SimulatedNode node, string endpoint)
    {
        var (host, port) = ParseEndpoint(endpoint);
        return new NodeRadio(node, host, port);
    }

    private void Restart()
    {
        // Not disposed: the radio's loop may be reading the old one's token right now (a source without a timer needs no disposal).
        Interlocked.Exchange(ref _changed, new CancellationTokenSource()).Cancel();
    }

    private void Set(NodeRadioState state, string? network)
    {
        Volatile.Write(ref _network, network);
        Volatile.Write(ref _state, (int)state);
    }

    private async Task RunAsync()
    {
        var stop = _stopping.Token;
        while (!stop.IsCancellationRequested)
        {
            using var round = CancellationTokenSource.CreateLinkedTokenSource(stop, Volatile.Read(ref _changed).Token);
            var token = round.Token;
            string? network = _node.ActiveFactoryNetwork();
            try
            {
                if (network is null)
                {
                    Set(NodeRadioState.Idle, null);
                    await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
                }
                Set(NodeRadioState.Joining, network);
                bool rejected = await SessionAsync(network!, token).ConfigureAwait(false);
                if (rejected)
                {
                    Set(NodeRadioState.Rejected, network);
                    // A gateway of another network will not change its mind: wait for a new configuration or a reset.
                    await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
                }
                Set(NodeRadioState.Joining, network);
                await Task.Delay(RescanInterval, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { }
        }
        Set(NodeRadioState.Off, null);
    }

    /// <summary>One radio session: JOIN, then JOINED (or REJECT), until the gateway drops it or the round ends. True when rejected.</summary>
    private async Task<bool> SessionAsync(string network, CancellationToken token)
    {
        using var tcp = new TcpClient { NoDelay = true };
        try
        {
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                connecting.CancelAfter(TimeSpan.FromSeconds(5));
                await tcp.ConnectAsync(_host, _port, connecting.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !token.IsCancellationRequested) { return false; }
        var lines = new GatewayLineStream(tcp.GetStream());
        try
        {
            await lines.WriteLineAsync($"JOIN {_node.Snapshot().NodeId:X8} {network}", token).ConfigureAwait(false);
            while (await lines.ReadLineAsync(token).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("JOINED", StringComparison.Ordinal)) Set(NodeRadioState.Joined, network);
                else if (line.StartsWith("REJECT", StringComparison.Ordinal)) return true;
                else if (line.StartsWith("DROP", StringComparison.Ordinal)) return false;
            }
            return false;
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            // A new configuration or a reset: say goodbye, as a radio that is switched off leaves the network.
            using var leaving = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            try { await lines.WriteLineAsync("LEAVE", leaving.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
            throw;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        try { await _running.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }
}
