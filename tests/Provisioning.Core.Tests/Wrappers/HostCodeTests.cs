using System.Diagnostics;
using System.Security.Cryptography;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;
using Provisioning.Core.Station;
using Provisioning.Core.Tests.Node;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Tests.Wrappers;

/// <summary>
/// The portable C host code (src/host/), built with gcc as a device maker would, between a station and a node:
/// station ⇄ socat pty pair ⇄ relay program with a wrapper core ⇄ TCP ⇄ node simulator speaking the bare node protocol.
/// </summary>
public sealed class HostCodeTests : IAsyncLifetime
{
    private static readonly string HostSource = Path.GetDirectoryName(SourceTree.Find("src/host/host_wrapper.h"))!;
    private readonly string _build = Directory.CreateTempSubdirectory("prov-host-").FullName;
    private readonly List<Process> _relays = new();
    private readonly List<IDisposable> _pairs = new();
    private readonly SimulatorLink _link = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var relay in _relays) Stop(relay);
        await _link.DisposeAsync();
        foreach (var pair in _pairs) pair.Dispose();
        Directory.Delete(_build, recursive: true);
    }

    /// <summary>Compiles the relay with one core, strictly: what compiles here compiles in a device maker's toolchain.</summary>
    private string Build(string wrapper, params string[] defines)
    {
        string exe = Path.Combine(_build, $"relay_{wrapper}_{_relays.Count}_{defines.Length}");
        var args = new List<string> { "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", $"-DRELAY_WRAPPER=host_wrapper_{wrapper}" };
        args.AddRange(defines.Select(d => "-D" + d));
        args.AddRange(["-o", exe, Path.Combine(HostSource, "relay", "relay.c"), Path.Combine(HostSource, wrapper, $"{wrapper}_host.c")]);
        var result = ExternalTool.Run("gcc", args.ToArray());
        Assert.True(result.ExitCode == 0, $"gcc failed: {result.Stderr}");
        return exe;
    }

    private Process StartRelay(string exe, string line, NodeSimulator node, params string[] options)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var o in options) start.ArgumentList.Add(o);
        start.ArgumentList.Add("-v");
        start.ArgumentList.Add(line);
        start.ArgumentList.Add("127.0.0.1");
        start.ArgumentList.Add(new Uri(node.Endpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var relay = Process.Start(start)!;
        _relays.Add(relay);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        relay.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("host ready") == true) ready.TrySetResult(); };
        relay.BeginErrorReadLine();
        // The relay says when it has opened the line and reached the node; nothing is sent before that.
        Assert.True(ready.Task.Wait(TimeSpan.FromSeconds(10)), $"{exe} did not start (exit code {(relay.HasExited ? relay.ExitCode : -1)}).");
        return relay;
    }

    private async Task<(VirtualSerialPair Pair, NodeSimulator Node)> LineAsync()
    {
        var pair = await VirtualSerialPair.CreateAsync(null, TimeSpan.FromSeconds(10), CancellationToken.None);
        _pairs.Add(pair);
        var node = await _link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "none" });
        return (pair, node);
    }

    private static async Task<LinkSession> OpenReliableAsync(string port, LinkOptions? options = null)
    {
        var line = await NodeTransport.OpenAsync(port, NodeTransport.DefaultBaudRate, CancellationToken.None);
        return await new ReliableWrapper().OpenAsync(line, LinkRole.Station, options ?? new LinkOptions(), CancellationToken.None);
    }

    private static NodeClient Client(LinkSession session) => new(session, session.NodeWrapper, new NodeClientOptions
    {
        FirstContactTimeout = TimeSpan.FromSeconds(2) + session.ExtraLatency,
        ResponseTimeout = TimeSpan.FromSeconds(1) + session.ExtraLatency,
    });

    private static string Digest(byte[] image) => Convert.ToHexString(SHA256.HashData(image));

    [ToolFact("gcc", "socat")]
    public async Task The_orw_host_relays_an_image_in_512_byte_messages()
    {
        var (pair, node) = await LineAsync();
        StartRelay(Build("orw"), pair.PortB, node);
        var line = await NodeTransport.OpenAsync(pair.PortA, NodeTransport.DefaultBaudRate, CancellationToken.None);
        await using var client = new NodeClient(line, new OrwWrapper(), SimulatorLink.FastOptions);
        byte[] image = SimulatorLink.Image(24 * 1024);

        await client.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", null, CancellationToken.None);

        Assert.Equal(Digest(image), node.State.FirmwareSha256, ignoreCase: true);
    }

    [ToolFact("gcc", "socat")]
    public async Task The_reliable_host_with_a_256_byte_buffer_delivers_an_image_over_a_noisy_line()
    {
        var (pair, node) = await LineAsync();
        StartRelay(Build("reliable", "RELIABLE_HOST_BUFFER=256"), pair.PortB, node, "-e", "1e-4", "-s", "11");
        await using var session = await OpenReliableAsync(pair.PortA);
        await using var client = Client(session);
        byte[] image = SimulatorLink.Image(24 * 1024);

        await client.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", null, CancellationToken.None);
        await session.CloseAsync(CancellationToken.None);

        Assert.Equal(Digest(image), node.State.FirmwareSha256, ignoreCase: true);
        // The noise did hit the frames, and the session repaired it: resends, and damage seen on the station's side.
        Assert.True(session.Statistics.Resends > 0, session.Statistics.ToString());
    }

    [ToolFact("gcc", "socat")]
    public async Task The_reliable_host_carries_host_messages_beside_node_messages()
    {
        var (pair, node) = await LineAsync();
        StartRelay(Build("reliable"), pair.PortB, node);
        await using var session = await OpenReliableAsync(pair.PortA);
        var echoed = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.HostMessageReceived += (_, e) => echoed.TrySetResult(e.Message.ToArray());
        await using var client = Client(session);

        var info = await client.GetInfoAsync(CancellationToken.None);
        await session.SendHostMessageAsync("battery?"u8.ToArray(), CancellationToken.None);

        Assert.Equal(node.Options.NodeId, info.NodeId);
        Assert.Equal("battery?"u8.ToArray(), await echoed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [ToolFact("gcc", "socat")]
    public async Task A_host_that_restarts_mid_transfer_fails_the_session_and_the_next_one_resumes()
    {
        var (pair, node) = await LineAsync();
        string exe = Build("reliable");
        var relay = StartRelay(exe, pair.PortB, node);
        byte[] image = SimulatorLink.Image(96 * 1024);
        long held1 = 0;

        await using (var session = await OpenReliableAsync(pair.PortA))
        await using (var client = Client(session))
        {
            var confirmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var progress = new InlineProgress(held =>
            {
                Interlocked.Exchange(ref held1, held);
                if (held >= 16 * 1024) confirmed.TrySetResult();
            });
            var transfer = client.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", progress, CancellationToken.None);
            await confirmed.Task.WaitAsync(TimeSpan.FromSeconds(30));
            // The host restarts: a new relay process with no session, on the same line and node.
            Stop(relay);
            relay = StartRelay(exe, pair.PortB, node);

            var e = await Assert.ThrowsAnyAsync<IOException>(() => transfer);
            var link = LinkException.Find(e);
            Assert.NotNull(link);
            Assert.Equal(ProvExitCode.NodeMessageFailed, link.Code);
            Assert.Contains("restarted", link.Message);
            Assert.Contains("power supply", link.Advice);
        }

        long before = node.BytesReceived;
        await using (var session = await OpenReliableAsync(pair.PortA))
        await using (var client = Client(session))
            await client.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", null, CancellationToken.None);

        Assert.Equal(Digest(image), node.State.FirmwareSha256, ignoreCase: true);
        // Only what the node did not hold went again (and the node protocol's own few hundred bytes).
        long again = node.BytesReceived - before, held = Interlocked.Read(ref held1);
        Assert.True(again < image.Length - held + 2048, $"{again} bytes sent the second time; the node held {held} of {image.Length}");
    }

    private static void Stop(Process relay)
    {
        if (!relay.HasExited)
        {
            relay.Kill();
            relay.WaitForExit();
        }
    }

    private sealed class InlineProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
