using System.Security.Cryptography;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;
using Provisioning.Core.Station;
using Provisioning.Core.Tests.Node;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Tests.Wrappers;

/// <summary>The reliable wrapper end to end: a station-role session to a simulated node behind a host-role one, over TCP.</summary>
public sealed class ReliableLinkTests
{
    private static async Task<LinkSession> OpenAsync(NodeSimulator simulator, LinkOptions? options = null)
    {
        var line = await NodeTransport.OpenAsync(simulator.Endpoint, simulator.Options.BaudRate, CancellationToken.None);
        return await new ReliableWrapper().OpenAsync(line, LinkRole.Station, options ?? new LinkOptions(), CancellationToken.None);
    }

    private static NodeClient Client(LinkSession session)
        => new(session, session.NodeWrapper, SimulatorLink.FastOptions with { ResponseTimeout = TimeSpan.FromSeconds(1) + session.ExtraLatency });

    [Theory]
    [InlineData(0.0, null)]
    [InlineData(1e-4, null)]
    [InlineData(1e-4, 256)]
    public async Task An_image_arrives_intact_over_a_paced_line_with_bit_errors(double bitErrorRate, int? hostBuffer)
    {
        await using var link = new SimulatorLink();
        var simulator = await link.StartTcpAsync(new NodeSimulatorOptions
        {
            Wrapper = "reliable", MaxMessageSize = hostBuffer, Pace = true,
            Noise = new LineNoise { BitErrorRate = bitErrorRate, Seed = 7 },
        });
        await using var session = await OpenAsync(simulator);
        await using var client = Client(session);
        byte[] image = SimulatorLink.Image(48 * 1024);

        await client.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", null, CancellationToken.None);
        await session.CloseAsync(CancellationToken.None);

        Assert.Equal(Convert.ToHexString(SHA256.HashData(image)), simulator.State.FirmwareSha256, ignoreCase: true);
        // The node protocol saw a perfect line: the session repaired every loss below it.
        Assert.Equal((0, 0), client.LinkStatistics);
        // The noise hit the frames (a clean line may still see a resend by timer on a busy machine).
        if (bitErrorRate > 0) Assert.True(session.Statistics.Resends > 0, session.Statistics.ToString());
    }

    [Fact]
    public async Task Host_messages_travel_beside_node_messages_both_ways()
    {
        await using var link = new SimulatorLink();
        var simulator = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "reliable" });
        await using var session = await OpenAsync(simulator);
        var echoed = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.HostMessageReceived += (_, e) => echoed.TrySetResult(e.Message.ToArray());
        await using var client = Client(session);

        await session.SendHostMessageAsync("meter time?"u8.ToArray(), CancellationToken.None);
        var info = await client.GetInfoAsync(CancellationToken.None);

        Assert.Equal(simulator.Options.NodeId, info.NodeId);
        Assert.Equal("meter time?"u8.ToArray(), await echoed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, simulator.HostMessagesReceived);
    }

    [Fact]
    public async Task A_host_that_restarts_ends_the_session_with_code_36_and_what_to_check()
    {
        await using var link = new SimulatorLink();
        var simulator = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "reliable", Faults = new NodeFaults { RestartHostAfterBytes = 10_000 } });
        await using var session = await OpenAsync(simulator);
        await using var client = Client(session);

        var e = await Assert.ThrowsAsync<NodeLinkException>(() => client.WriteImageAsync(NodeImageTarget.Firmware, SimulatorLink.Image(64 * 1024), "2.0.0", null, CancellationToken.None));

        var failure = LinkException.Find(e);
        Assert.NotNull(failure);
        Assert.Equal(ProvExitCode.NodeMessageFailed, failure.Code);
        Assert.Contains("restarted during the reliable session", failure.Message);
        Assert.Contains("resumes where it stopped", failure.Advice);
    }

    [Fact]
    public async Task Nothing_answering_the_reset_is_code_4()
    {
        await using var link = new SimulatorLink();
        var simulator = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "none", Faults = new NodeFaults { Silent = true } });

        var e = await Assert.ThrowsAsync<LinkException>(() => OpenAsync(simulator, new LinkOptions { ResponseTimeout = TimeSpan.FromMilliseconds(100), Resends = 1 }));

        Assert.Equal(ProvExitCode.NoDevice, e.Code);
        Assert.Contains("No host answered the reliable reset", e.Message);
        Assert.Contains("nothing came back", e.Message);
    }
}
