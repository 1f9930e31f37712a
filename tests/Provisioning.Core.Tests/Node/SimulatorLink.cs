using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Tests.Node;

/// <summary>Starts real node simulators and connects real NodeClients to them, stopping everything at the end of a test.</summary>
internal sealed class SimulatorLink : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = new();

    public static readonly NodeClientOptions FastOptions = new()
    {
        FirstContactTimeout = TimeSpan.FromSeconds(1),
        ResponseTimeout = TimeSpan.FromMilliseconds(500),
    };

    public async Task<NodeSimulator> StartAsync(NodeSimulatorOptions options)
    {
        var simulator = await NodeSimulator.StartAsync(options, CancellationToken.None);
        _owned.Add(simulator);
        return simulator;
    }

    public Task<NodeSimulator> StartTcpAsync(NodeSimulatorOptions? options = null)
        => StartAsync((options ?? new NodeSimulatorOptions()) with { Listen = "tcp://127.0.0.1:0" });

    public async Task<NodeClient> ConnectAsync(string endpoint, string wrapper = "none", NodeClientOptions? options = null, int baudRate = NodeTransport.DefaultBaudRate)
    {
        var transport = await NodeTransport.OpenAsync(endpoint, baudRate, CancellationToken.None);
        var client = new NodeClient(transport, TransportWrappers.Create(wrapper), options ?? FastOptions);
        _owned.Insert(0, client);
        return client;
    }

    public static byte[] Image(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned) await owned.DisposeAsync();
    }
}

/// <summary>Collects progress reports synchronously (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
internal sealed class ProgressLog : IProgress<long>
{
    public List<long> Reports { get; } = new();
    public void Report(long value) { lock (Reports) Reports.Add(value); }
}
