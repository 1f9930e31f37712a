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
    private static async Task<(NodeClient Client, LinkSession Session)> ConnectAsync(SimulatorLink link, NodeSimulator simulator, LinkOptions? options = null)
    {
        var line = await NodeTransport.OpenAsync(simulator.Endpoint, simulator.Options.BaudRate, CancellationToken.None);
        var session = await new ReliableWrapper().OpenAsync(line, LinkRole.Station, options ?? new LinkOptions(), CancellationToken.None);
        var client = new NodeClient(session, session.NodeWrapper, SimulatorLink.FastOptions with
        {
            ResponseTimeout = SimulatorLink.FastOptions.ResponseTimeout + session.ExtraLatency,
            FirstContactTimeout = SimulatorLink.FastOptions.FirstContactTimeout + session.ExtraLatency,
        });
        await using var _ = link;
        return (client, session);
    }

    [Theory]
    [InlineData(0.0, null)]
    [InlineData(1e-4, null)]
    [InlineData(1e-4, 256)]
    public async Task An_image_arrives_intact_over_a_noisy_line(double bitErrorRate, int? hostBuffer)
    {
        await using var link = new SimulatorLink();
        var simulator = await link.StartTcpAsync(new NodeSimulatorOptions
        {
            Wrapper = "reliable", MaxMessageSize = hostBuffer, Pace = true,
            Noise = new LineNoise { BitErrorRate = bitErrorRate, Seed = 7 },
        });
        var line = await NodeTransport.OpenAsync(simulator.Endpoint, simulator.Options.BaudRate, CancellationToken.None);
        var log = new List<string>();
        await using var session = await new ReliableWrapper().OpenAsync(line, LinkRole.Station, new LinkOptions { Log = l => { lock (log) log.Add(l); } }, CancellationToken.None);
        await using var client = new NodeClient(session, session.NodeWrapper, SimulatorLink.FastOptions with { ResponseTimeout = TimeSpan.FromSeconds(1) + session.ExtraLatency });
        byte[] image = SimulatorLink.Image(64 * 1024);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await client.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", null, CancellationToken.None);
        var elapsed = clock.Elapsed;
        await session.CloseAsync(CancellationToken.None);

        Assert.Equal(Convert.ToHexString(SHA256.HashData(image)), simulator.State.FirmwareSha256, ignoreCase: true);
        if (Environment.GetEnvironmentVariable("REL_DEBUG") == "1") foreach (var l in log) Console.WriteLine(l);
        Console.WriteLine($"BER {bitErrorRate} host {hostBuffer}: {elapsed.TotalSeconds:0.00} s, line {image.Length * 10.0 / 115200:0.00} s, {session.Statistics}, client {client.LinkStatistics}");
    }
}
