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
    public async Task A_bad_gateway_endpoint_is_refused_before_the_node_starts()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            NodeSimulator.StartAsync(new NodeSimulatorOptions { Listen = "tcp://127.0.0.1:0", Gateway = "gateway-without-port" }, None));
        Assert.Contains("host:port", e.Message);
    }
}
