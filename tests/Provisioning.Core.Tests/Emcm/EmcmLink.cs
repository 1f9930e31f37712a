using Provisioning.Core.Emcm;
using Provisioning.Core.Emcm.Simulator;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;
using Provisioning.Core.Tests.Node;

namespace Provisioning.Core.Tests.Emcm;

/// <summary>Starts real eMCM simulators and connects a real station (NodeClient, and EmcmClient on the same line) to them.</summary>
internal sealed class EmcmLink : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = new();

    public static readonly EmcmClientOptions FastEmcm = new() { ResponseTimeout = TimeSpan.FromMilliseconds(700), Resends = 2 };

    public async Task<EmcmSimulator> StartAsync(EmcmSimulatorOptions options)
    {
        var simulator = await EmcmSimulator.StartAsync(options, CancellationToken.None);
        _owned.Add(simulator);
        return simulator;
    }

    public Task<EmcmSimulator> StartTcpAsync(string wrapper = "orw", EmcmFaults faults = EmcmFaults.None, NodeSimulatorOptions? node = null, string? statePath = null)
        => StartAsync(new EmcmSimulatorOptions
        {
            Node = (node ?? new NodeSimulatorOptions()) with { Listen = "tcp://127.0.0.1:0", Wrapper = wrapper, StatePath = statePath ?? node?.StatePath },
            Faults = faults,
        });

    /// <summary>The station's two clients on one line: the node's, and the eMCM's on top of it.</summary>
    public async Task<(NodeClient Node, EmcmClient Emcm)> ConnectAsync(string endpoint, string wrapper, EmcmClientOptions? options = null, int baudRate = NodeTransport.DefaultBaudRate)
    {
        INodeTransport transport = await NodeTransport.OpenAsync(endpoint, baudRate, CancellationToken.None);
        var wrapping = TransportWrappers.Create(wrapper);
        NodeClient node;
        if (wrapping is LinkWrapper active)
        {
            var session = await active.OpenAsync(transport, LinkRole.Station, new LinkOptions { BaudRate = baudRate }, CancellationToken.None);
            node = new NodeClient(session, session.NodeWrapper, SimulatorLink.FastOptions with { ResponseTimeout = TimeSpan.FromSeconds(1) + session.ExtraLatency });
        }
        else node = new NodeClient(transport, wrapping, SimulatorLink.FastOptions);
        var emcm = new EmcmClient(node, options ?? FastEmcm);
        _owned.Insert(0, node);
        _owned.Insert(0, emcm);
        return (node, emcm);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned) await owned.DisposeAsync();
    }
}
