using System.Text;
using Provisioning.Core.Gateway;
using Provisioning.Core.Gateway.Simulator;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;
using Provisioning.Core.Tests.Node;

namespace Provisioning.Core.Tests.Gateway;

/// <summary>The node simulator's radio: a node on a factory configuration naming the gateway's network joins it.</summary>
public sealed class NodeRadioTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static byte[] Config(string network) => Encoding.ASCII.GetBytes($"# factory test config\nchannel=3\nnetwork_id={network}\n");

    private static async Task<GatewayClient> ControlAsync(GatewaySimulator gateway) => await GatewayClient.ConnectAsync(new GatewayOptions
    {
        Host = "127.0.0.1", ControlPort = gateway.ControlPort, PollInterval = TimeSpan.FromMilliseconds(100),
    }, None);

    [Fact]
    public async Task A_node_given_a_factory_config_naming_the_network_joins_and_leaves_on_its_field_config()
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { JoinDelay = TimeSpan.FromMilliseconds(200) });
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { NodeId = 0x42, Gateway = gateway.RadioEndpoint });
        await Wait.UntilAsync(() => sim.RadioState == NodeRadioState.Idle, Deadline, "the radio idle without a factory config");
        var node = await link.ConnectAsync(sim.Endpoint);
        await using var control = await ControlAsync(gateway);

        await node.WriteImageAsync(NodeImageTarget.FactoryConfig, Config("factory"), "1", null, None);
        var joined = await control.WaitForJoinAsync(0x42, Deadline, None);
        Assert.Equal("factory", joined.NetworkId);
        await Wait.UntilAsync(() => sim.RadioState == NodeRadioState.Joined, Deadline, "the node to see its join");
        Assert.Equal(NodeImageTarget.FactoryConfig, sim.State.ActiveConfig);
        Assert.Equal("factory", sim.State.FactoryNetworkId);

        await node.WriteImageAsync(NodeImageTarget.FieldConfig, Encoding.ASCII.GetBytes("customer network\n"), "1", null, None);
        await Wait.UntilAsync(() => sim.RadioState == NodeRadioState.Idle && gateway.NodesInRange == 0, Deadline, "the node to leave");
        Assert.Equal(NodeImageTarget.FieldConfig, sim.State.ActiveConfig);
        // The gateway reports the last join it saw until a station clears it.
        Assert.Equal(GatewayNodeState.Joined, (await control.GetNodeStatusAsync(0x42, None)).State);
    }

    [Fact]
    public async Task A_cleared_node_joins_again_and_a_reset_makes_a_new_join()
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { JoinDelay = TimeSpan.FromMilliseconds(100) });
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { NodeId = 7, Gateway = gateway.RadioEndpoint });
        var node = await link.ConnectAsync(sim.Endpoint);
        await using var control = await ControlAsync(gateway);
        await node.WriteImageAsync(NodeImageTarget.FactoryConfig, Config("factory"), "1", null, None);
        var first = await control.WaitForJoinAsync(7, Deadline, None);

        var cleared = DateTimeOffset.UtcNow;
        await control.ClearNodeAsync(7, None);
        var again = await control.WaitForJoinAsync(7, Deadline, None);
        Assert.True(again.JoinedAt >= cleared.AddMilliseconds(-1), "the join after the clear is newer than the clear");
        Assert.Equal(2, gateway.Joins);

        await Wait.UntilAsync(() => sim.RadioState == NodeRadioState.Joined, Deadline, "joined");
        await node.ResetAsync(None);
        await Wait.UntilAsync(() => gateway.Joins == 3, Deadline, "a new join after the reset");
        Assert.True(gateway.GetNodeStatus(7).JoinedAt > again.JoinedAt);
        Assert.True(first.JoinedAt < again.JoinedAt);
    }

    [Fact]
    public async Task A_node_of_another_network_is_rejected_and_joins_once_given_the_right_config()
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { NetworkId = "line-2", JoinDelay = TimeSpan.Zero });
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { NodeId = 9, Gateway = gateway.RadioEndpoint });
        var node = await link.ConnectAsync(sim.Endpoint);
        await node.WriteImageAsync(NodeImageTarget.FactoryConfig, Config("line-1"), "1", null, None);
        await Wait.UntilAsync(() => sim.RadioState == NodeRadioState.Rejected, Deadline, "the rejection");
        Assert.Equal(GatewayNodeState.Unknown, gateway.GetNodeStatus(9).State);

        await node.WriteImageAsync(NodeImageTarget.FactoryConfig, Config("line-2"), "1", null, None);
        await Wait.UntilAsync(() => gateway.GetNodeStatus(9).State == GatewayNodeState.Joined, Deadline, "the join");
    }

    [Fact]
    public async Task A_node_keeps_its_factory_network_across_a_restart_and_finds_a_gateway_started_later()
    {
        string state = Path.Combine(Path.GetTempPath(), $"radio-{Guid.NewGuid():N}.json");
        try
        {
            var endpointHolder = await Wait.GatewayAsync(new GatewaySimulatorOptions { JoinDelay = TimeSpan.Zero });
            string radio = endpointHolder.RadioEndpoint;
            int radioPort = GatewayControlProtocolTests.RadioPort(endpointHolder);
            await endpointHolder.StopAsync();

            await using (var link = new SimulatorLink())
            {
                var sim = await link.StartTcpAsync(new NodeSimulatorOptions { NodeId = 11, StatePath = state, Gateway = radio });
                var node = await link.ConnectAsync(sim.Endpoint);
                await node.WriteImageAsync(NodeImageTarget.FactoryConfig, Config("factory"), "1", null, None);
                await Wait.UntilAsync(() => sim.RadioState == NodeRadioState.Joining, Deadline, "looking for the gateway");
            }
            await using var link2 = new SimulatorLink();
            var restarted = await link2.StartTcpAsync(new NodeSimulatorOptions { NodeId = 11, StatePath = state, Gateway = radio });
            await using var gateway = await GatewaySimulator.StartAsync(new GatewaySimulatorOptions { ControlPort = 0, RadioPort = radioPort, JoinDelay = TimeSpan.Zero }, None);
            await Wait.UntilAsync(() => gateway.GetNodeStatus(11).State == GatewayNodeState.Joined, Deadline, "the join of the restarted node");
            Assert.Equal(NodeRadioState.Joined, restarted.RadioState is NodeRadioState.Joined ? NodeRadioState.Joined : await Later(restarted));
        }
        finally { File.Delete(state); }

        static async Task<NodeRadioState> Later(NodeSimulator sim)
        {
            await Wait.UntilAsync(() => sim.RadioState == NodeRadioState.Joined, Deadline, "joined");
            return sim.RadioState;
        }
    }

    [Fact]
    public async Task Four_meters_join_one_gateway_while_four_stations_wait_on_one_shared_client()
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { JoinDelay = TimeSpan.FromMilliseconds(200) });
        await using var link = new SimulatorLink();
        await using var control = await ControlAsync(gateway);
        var ids = new uint[] { 0x101, 0x102, 0x103, 0x104 };
        var sims = new List<NodeSimulator>();
        foreach (uint id in ids) sims.Add(await link.StartTcpAsync(new NodeSimulatorOptions { NodeId = id, Gateway = gateway.RadioEndpoint }));
        var waits = ids.Select(id => control.WaitForJoinAsync(id, Deadline, None)).ToList();
        await Task.WhenAll(sims.Select(async sim =>
        {
            var node = await link.ConnectAsync(sim.Endpoint);
            await node.WriteImageAsync(NodeImageTarget.FactoryConfig, Config("factory"), "1", null, None);
        }));
        var joined = await Task.WhenAll(waits);
        Assert.Equal(ids, joined.Select(j => j.NodeId));
        Assert.All(joined, j => Assert.Equal(GatewayNodeState.Joined, j.State));
        Assert.Equal(4, gateway.Nodes.Count);
        Assert.Equal(1, gateway.ControlConnections);
    }

    [Fact]
    public async Task The_radio_follows_the_page_s_worked_example_against_a_scripted_gateway()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { NodeId = 0x2A, Gateway = $"127.0.0.1:{port}" });
        var node = await link.ConnectAsync(sim.Endpoint);
        await node.WriteImageAsync(NodeImageTarget.FactoryConfig, Config("factory"), "1", null, None);

        await using (var first = RawLinePeer.Of(await listener.AcceptTcpClientAsync()))
        {
            Assert.Equal("JOIN 0000002A factory\n"u8.ToArray(), await first.ReadRawAsync());
            await first.SendAsync("JOINED factory");
            await Wait.UntilAsync(() => sim.RadioState == NodeRadioState.Joined, Deadline, "joined");
            await first.SendAsync("DROP cleared");
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using (var second = RawLinePeer.Of(await listener.AcceptTcpClientAsync()))
        {
            // The node looks again after its rescan interval, and joins afresh.
            Assert.True(clock.Elapsed >= NodeRadio.RescanInterval - TimeSpan.FromMilliseconds(100), $"came back after {clock.Elapsed.TotalMilliseconds} ms");
            Assert.Equal("JOIN 0000002A factory", await second.ReadAsync());
            Assert.Equal(NodeRadioState.Joining, sim.RadioState);
            await node.WriteImageAsync(NodeImageTarget.FieldConfig, Encoding.ASCII.GetBytes("field\n"), "1", null, None);
            Assert.Equal("LEAVE", await second.ReadAsync());
            Assert.Null(await second.ReadAsync());
        }
        await Wait.UntilAsync(() => sim.RadioState == NodeRadioState.Idle, Deadline, "idle on the field config");
    }

    [Fact]
    public async Task A_bad_gateway_endpoint_is_refused_before_the_node_starts()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            NodeSimulator.StartAsync(new NodeSimulatorOptions { Listen = "tcp://127.0.0.1:0", Gateway = "gateway-without-port" }, None));
        Assert.Contains("host:port", e.Message);
    }
}
