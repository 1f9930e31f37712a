using System.Security.Cryptography;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;
using Provisioning.Core.Transport;

namespace Provisioning.Core.Tests.Node;

/// <summary>NodeClient and the simulator over a real serial line: a socat pair of pseudo-terminals.</summary>
public sealed class SerialLinkTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [ToolFact("socat")]
    public async Task Firmware_and_keys_go_over_a_virtual_serial_pair_with_orw()
    {
        using var pair = await VirtualSerialPair.CreateAsync(null, TimeSpan.FromSeconds(10), None);
        await using var link = new SimulatorLink();
        var sim = await link.StartAsync(new NodeSimulatorOptions { PortName = pair.PortB, Wrapper = "orw", NodeId = 0x1234 });
        var client = await link.ConnectAsync(pair.PortA, "orw");
        byte[] image = SimulatorLink.Image(50_000);
        byte[] key = RandomNumberGenerator.GetBytes(16);

        Assert.Equal(0x1234u, (await client.GetInfoAsync(None)).NodeId);
        await client.WriteImageAsync(NodeImageTarget.Firmware, image, "8.0", null, None);
        await client.WriteKeyAsync(NodeKeySlot.Root, key, None);

        Assert.Equal(Convert.ToHexString(SHA256.HashData(image)), sim.State.FirmwareSha256);
        Assert.Equal(key, sim.ReadKey(NodeKeySlot.Root));
        Assert.Equal((0, 0), client.LinkStatistics);
    }

    [ToolFact("socat")]
    public async Task A_dropped_serial_link_is_silence_for_the_station()
    {
        using var pair = await VirtualSerialPair.CreateAsync(null, TimeSpan.FromSeconds(10), None);
        await using var link = new SimulatorLink();
        var sim = await link.StartAsync(new NodeSimulatorOptions { PortName = pair.PortB, Faults = new NodeFaults { DropLinkAfterBytes = 10_000 } });
        var client = await link.ConnectAsync(pair.PortA);

        var e = await Assert.ThrowsAsync<NodeLinkException>(() => client.WriteImageAsync(NodeImageTarget.Firmware, SimulatorLink.Image(40_000), "9", null, None));

        Assert.False(e.NeverAnswered);
        Assert.Contains(pair.PortA, e.Message);
        Assert.False(sim.IsRunning);
        Assert.Contains("DropLinkAfterBytes", sim.LastError);
    }

    [ToolFact("socat")]
    public async Task Nothing_on_the_other_end_of_a_pair_is_no_device()
    {
        using var pair = await VirtualSerialPair.CreateAsync(null, TimeSpan.FromSeconds(10), None);
        await using var link = new SimulatorLink();
        var client = await link.ConnectAsync(pair.PortA);

        var e = await Assert.ThrowsAsync<NodeLinkException>(() => client.GetInfoAsync(None));

        Assert.True(e.NeverAnswered);
        Assert.Contains(pair.PortA, e.Message);
    }
}
