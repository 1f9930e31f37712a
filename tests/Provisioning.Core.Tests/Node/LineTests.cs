using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Tests.Node;

/// <summary>The station on lines as factories meet them: hosts with small receive buffers, noise, and adaptive chunks.</summary>
public sealed class LineTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static string Sha(byte[] image) => Convert.ToHexString(SHA256.HashData(image));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Line_noise_is_the_same_for_the_same_seed_and_near_its_rates(int seed)
    {
        var noise = new LineNoise { BitErrorRate = 1e-3, ByteDropRate = 1e-3 };
        byte[] Run(int s)
        {
            var direction = new NoisyDirection(noise, s);
            var bytes = new byte[1 << 20];
            var kept = new List<byte>();
            // Pieces of varying size, as reads split a line: the noise follows the bytes, not the pieces.
            for (int at = 0, piece = 1; at < bytes.Length; at += piece, piece = piece * 7 % 5000 + 1)
            {
                var span = bytes.AsSpan(at, Math.Min(piece, bytes.Length - at)).ToArray();
                int n = direction.Apply(span);
                kept.AddRange(span.AsSpan(0, n).ToArray());
            }
            return kept.ToArray();
        }

        byte[] first = Run(seed), again = Run(seed), other = Run(seed + 100);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        int dropped = (1 << 20) - first.Length;
        long flipped = first.Sum(b => (long)BitOperations.PopCount(b));
        Assert.InRange(dropped, 1048 * 0.85, 1048 * 1.15);
        Assert.InRange(flipped, 8389 * 0.9, 8389 * 1.1);
    }

    [Fact]
    public async Task A_host_with_a_small_buffer_drops_larger_messages_unanswered_and_answers_small_ones()
    {
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { MaxMessageSize = 512 });
        using var tcp = new TcpClient();
        var (host, port) = Provisioning.Core.Transport.NodeTransport.ParseTcp(sim.Endpoint);
        await tcp.ConnectAsync(host, port);
        var stream = tcp.GetStream();

        // GetInfo ignores its payload: one of 600 bytes does not fit, one of 400 does.
        foreach (int payload in new[] { 600, 400 })
        {
            var frame = new byte[payload + NodeFrame.Overhead];
            NodeFrame.Encode((byte)NodeMessageType.GetInfo, (byte)payload, new byte[payload], frame);
            await stream.WriteAsync(frame);
        }
        var decoder = new NodeFrameDecoder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        NodeFrame answer;
        while (!decoder.TryRead(out answer)) decoder.Append(buffer.AsSpan(0, await stream.ReadAsync(buffer, timeout.Token)));

        Assert.Equal(400 % 256, answer.Seq);
        Assert.Equal(1, sim.MessagesTooLarge);
        Assert.Equal(512, sim.MaxMessageSize);
    }

    [Fact]
    public async Task Behind_orw_the_simulator_takes_the_guide_host_buffer_of_512_bytes_and_the_station_sends_no_more()
    {
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "orw" });
        var plain = await link.StartTcpAsync();
        var client = await link.ConnectAsync(sim.Endpoint, "orw");

        Assert.Equal(512, sim.MaxMessageSize);
        Assert.Equal(512, client.MaxMessageSize);
        Assert.True(plain.MaxMessageSize > 8192, "none has no limit of its own");
    }

    [Theory]
    [InlineData("orw")]
    [InlineData("none")]
    public async Task Every_message_fits_a_512_byte_host_buffer(string wrapper)
    {
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = wrapper, MaxMessageSize = 512 });
        var client = await link.ConnectAsync(sim.Endpoint, wrapper, new NodeClientOptions { MaxMessageSize = 512 });
        byte[] image = SimulatorLink.Image(20_000);

        await client.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0", null, None);

        Assert.Equal(Sha(image), sim.State.FirmwareSha256);
        Assert.Equal(0, sim.MessagesTooLarge);
        Assert.Equal(0, client.ChunksLost);
        // 20000 bytes in chunks of at most 512 - chunk header, frame and wrapper.
        int overhead = NodeMessages.ChunkHeaderLength + NodeFrame.Overhead + (wrapper == "orw" ? 4 : 0);
        Assert.True(sim.BytesReceived >= 20_000 + (20_000 / (512 - overhead)) * overhead);
    }

    [Fact]
    public async Task A_station_told_larger_messages_than_the_host_takes_shrinks_its_chunks_until_they_pass()
    {
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "orw" });
        var client = await link.ConnectAsync(sim.Endpoint, "orw", SimulatorLink.FastOptions with { MaxMessageSize = 4200 });
        byte[] image = SimulatorLink.Image(40_000);

        await client.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0", null, None);

        Assert.Equal(Sha(image), sim.State.FirmwareSha256);
        Assert.True(sim.MessagesTooLarge > 0, "the first chunks were too large for the host");
        Assert.True(client.ChunksLost > 0);
    }

    [Fact]
    public async Task When_only_small_messages_pass_the_failure_names_MaxMessageSize_and_does_not_advise_a_retry()
    {
        // The host takes 80 bytes: GetInfo and ImageBegin fit, no chunk message does (64 data bytes make 82 with orw).
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "orw", MaxMessageSize = 80 });
        var client = await link.ConnectAsync(sim.Endpoint, "orw");

        var e = await Assert.ThrowsAsync<NodeLinkException>(() => client.WriteImageAsync(NodeImageTarget.Firmware, SimulatorLink.Image(5000), "2.0", null, None));

        Assert.Contains("stopped confirming Firmware data at byte 0", e.Message);
        Assert.Contains("host probably takes smaller messages", e.Message);
        Assert.Contains("-MaxMessageSize", e.Advice);
        Assert.False(e.NeverAnswered);
    }

    [Theory]
    [InlineData("orw", 1)]
    [InlineData("orw", 2)]
    [InlineData("none", 1)]
    [InlineData("none", 2)]
    public async Task At_a_bit_error_rate_of_1e_4_on_both_directions_a_firmware_arrives_intact(string wrapper, int seed)
    {
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = wrapper, Noise = new LineNoise { BitErrorRate = 1e-4, Seed = seed } });
        var client = await link.ConnectAsync(sim.Endpoint, wrapper, new NodeClientOptions());
        byte[] image = SimulatorLink.Image(64 * 1024, seed);

        await client.GetInfoAsync(None);
        await client.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0", null, None);

        Assert.Equal(Sha(image), sim.State.FirmwareSha256);
        Assert.Equal(seed, sim.NoiseSeed);
        Assert.True(client.ChunksLost > 0, "the noise cost chunks");
    }

    [Fact]
    public async Task Lost_bytes_are_ridden_out_too()
    {
        await using var link = new SimulatorLink();
        var sim = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "orw", Noise = new LineNoise { ByteDropRate = 2e-4, Seed = 3 } });
        var client = await link.ConnectAsync(sim.Endpoint, "orw", new NodeClientOptions());
        byte[] image = SimulatorLink.Image(64 * 1024, 3);

        await client.GetInfoAsync(None);
        await client.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0", null, None);

        Assert.Equal(Sha(image), sim.State.FirmwareSha256);
    }

    [Fact]
    public void Chunks_shrink_while_they_are_lost_and_grow_back_as_they_pass()
    {
        var sizer = new ChunkSizer(4096, 18);
        int start = sizer.Size;
        for (int i = 0; i < 20; i++) sizer.Lost(sizer.Size);
        int shrunk = sizer.Size;
        for (int i = 0; i < 2000 && sizer.Size < 4096; i++) sizer.Passed(sizer.Size);

        Assert.InRange(shrunk, ChunkSizer.Floor, 2 * ChunkSizer.Floor);
        Assert.True(shrunk < start, $"shrunk to {shrunk} from {start}");
        Assert.Equal(4096, sizer.Size);
    }

    [Fact]
    public void On_a_clean_line_chunks_grow_to_the_largest()
    {
        var sizer = new ChunkSizer(4096, 9 + 5);
        long sent = 0;
        while (sent < 32 * 1024) { sent += sizer.Size; sizer.Passed(sizer.Size); }
        int early = sizer.Size;
        while (sent < 512 * 1024) { sent += sizer.Size; sizer.Passed(sizer.Size); }

        Assert.True(early >= 512, $"{early} bytes after 32 KiB");
        Assert.Equal(4096, sizer.Size);
    }
}
