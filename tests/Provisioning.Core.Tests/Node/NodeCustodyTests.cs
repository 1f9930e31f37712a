using Provisioning.Core.Crypto;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;

namespace Provisioning.Core.Tests.Node;

/// <summary>What key custody needs from a node: GetInfo tells which root key it holds, and a simulator can stop between steps.</summary>
public sealed class NodeCustodyTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task GetInfo_reports_the_check_value_of_the_root_key_the_node_holds_and_none_before()
    {
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync();
        var client = await link.ConnectAsync(sim.Endpoint);
        Assert.Null((await client.GetInfoAsync(None)).RootKeyCheckValue);

        byte[] root = Convert.FromHexString("000102030405060708090A0B0C0D0E0F");
        await client.WriteKeyAsync(NodeKeySlot.Root, root, None);

        var info = await client.GetInfoAsync(None);
        Assert.Equal(GatewayKeys.CheckValue(root), Convert.ToHexString(info.RootKeyCheckValue!));
        Assert.Equal(sim.State.KeyCheckValues[NodeKeySlot.Root], Convert.ToHexString(info.RootKeyCheckValue!));
    }

    [Fact]
    public async Task A_node_held_at_a_step_answers_nothing_from_there_until_released()
    {
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { Faults = new NodeFaults { HoldAt = NodeMessageType.KeyCheck } });
        var client = await link.ConnectAsync(sim.Endpoint);
        await client.WriteKeyAsync(NodeKeySlot.Root, new byte[16], None);
        Assert.False(sim.Held);

        await Assert.ThrowsAsync<NodeLinkException>(() => client.GetKeyCheckValuesAsync(None));
        Assert.True(sim.Held);
        await Assert.ThrowsAsync<NodeLinkException>(() => client.GetInfoAsync(None)); // silent for everything while held

        sim.Release();
        Assert.False(sim.Held);
        Assert.Contains(NodeKeySlot.Root, (await client.GetKeyCheckValuesAsync(None)).Keys); // and it does not hold again
    }
}
