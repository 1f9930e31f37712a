using System.Diagnostics;
using System.Security;
using System.Security.Cryptography;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;
using Provisioning.Core.Station;
using Provisioning.Core.Tests.Node;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;
using Provisioning.Core.Wrappers.Psem;

namespace Provisioning.Core.Tests.Wrappers;

/// <summary>A fact that needs gcc, socat and the relay program (src/host/relay/relay.c) in the tree.</summary>
public sealed class RelayFactAttribute : FactAttribute
{
    public RelayFactAttribute()
    {
        var missing = new[] { "gcc", "socat" }.Where(t => !ExternalTool.IsInstalled(t)).ToArray();
        if (missing.Length > 0) Skip = $"needs {string.Join(" and ", missing)} on PATH (.ci/run installs them)";
        else if (OptPsemHostCodeTests.RelaySource() is null) Skip = "the relay program src/host/relay/relay.c is not in this tree";
    }
}

/// <summary>
/// The opt_psem meter side in C (src/host/opt_psem/), built with gcc as a meter maker would, between the C# station and
/// a node: station ⇄ socat pty pair ⇄ relay program with the opt_psem core ⇄ TCP ⇄ node simulator (bare node protocol).
/// </summary>
/// <remarks>
/// The C meter keeps C12.18's wall-clock timers (a session it hears nothing on for 6 s returns to the base state), so these
/// tests run alone, after the parallel ones: a test process starved by its neighbours is not a line the meter would meet.
/// </remarks>
[Collection(TimedMeterCollection.Name)]
public sealed class OptPsemHostCodeTests : IAsyncLifetime
{
    private readonly string _build = Directory.CreateTempSubdirectory("prov-psem-host-").FullName;
    private readonly List<Process> _relays = new();
    private readonly List<IDisposable> _pairs = new();
    private readonly SimulatorLink _link = new();

    internal static string? RelaySource()
    {
        try { return SourceTree.Find("src/host/relay/relay.c"); }
        catch (InvalidOperationException) { return null; }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var relay in _relays)
        {
            try { if (!relay.HasExited) { relay.Kill(); relay.WaitForExit(5000); } }
            catch (InvalidOperationException) { }
            relay.Dispose();
        }
        await _link.DisposeAsync();
        foreach (var pair in _pairs) pair.Dispose();
        Directory.Delete(_build, recursive: true);
    }

    private string Build(params string[] defines)
    {
        string relay = RelaySource()!;
        string host = Path.GetDirectoryName(Path.GetDirectoryName(relay))!;
        string exe = Path.Combine(_build, $"relay_opt_psem_{_relays.Count}_{defines.Length}");
        var args = new List<string> { "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-DRELAY_WRAPPER=host_wrapper_opt_psem" };
        args.AddRange(defines.Select(d => "-D" + d));
        args.AddRange(["-o", exe, relay, Path.Combine(host, "opt_psem", "opt_psem_host.c")]);
        var result = ExternalTool.Run("gcc", args.ToArray());
        Assert.True(result.ExitCode == 0, $"gcc failed: {result.Stderr}");
        return exe;
    }

    private async Task<(string Station, NodeSimulator Node)> StartAsync(string exe, string? password = null, params string[] options)
    {
        var pair = await VirtualSerialPair.CreateAsync(null, TimeSpan.FromSeconds(10), CancellationToken.None);
        _pairs.Add(pair);
        var node = await _link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "none" });
        var start = new ProcessStartInfo(exe) { RedirectStandardError = true, UseShellExecute = false };
        // The relay takes the password from its environment, never from its command line.
        if (password is not null) start.Environment["RELAY_PASSWORD"] = password;
        foreach (var o in options) start.ArgumentList.Add(o);
        foreach (var a in new[] { "-b", "9600", "-v", pair.PortB, "127.0.0.1", new Uri(node.Endpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        var relay = Process.Start(start)!;
        _relays.Add(relay);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        relay.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("host ready") == true) ready.TrySetResult(); };
        relay.BeginErrorReadLine();
        Assert.True(ready.Task.Wait(TimeSpan.FromSeconds(10)), $"{exe} did not start (exit code {(relay.HasExited ? relay.ExitCode : -1)}).");
        return (pair.PortA, node);
    }

    private static SecureString Secure(string text)
    {
        var s = new SecureString();
        foreach (char c in text) s.AppendChar(c);
        return s;
    }

    private static async Task<LinkSession> OpenAsync(string port, SecureString? password = null)
    {
        var line = await NodeTransport.OpenAsync(port, 9600, CancellationToken.None);
        return await new OptPsemWrapper().OpenAsync(line, LinkRole.Station, new LinkOptions { BaudRate = 9600, Password = password }, CancellationToken.None);
    }

    private static NodeClient Client(LinkSession session) => new(session, session.NodeWrapper, new NodeClientOptions
    {
        FirstContactTimeout = TimeSpan.FromSeconds(2) + session.ExtraLatency,
        ResponseTimeout = TimeSpan.FromSeconds(1) + session.ExtraLatency,
    });

    private static string Digest(byte[] image) => Convert.ToHexString(SHA256.HashData(image));

    [RelayFact]
    public async Task The_C_meter_with_a_256_byte_buffer_relays_an_image_and_host_messages()
    {
        var (port, node) = await StartAsync(Build());
        await using var session = await OpenAsync(port);
        var client = ((OptPsemStationSession)session).Client;
        Assert.Equal(256, client.PacketSize);
        Assert.Equal(1, client.MaxPackets);
        var echoed = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.HostMessageReceived += (_, e) => echoed.TrySetResult(e.Message.ToArray());
        await using var node_ = Client(session);
        byte[] image = SimulatorLink.Image(12 * 1024);

        await node_.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", null, CancellationToken.None);
        await session.SendHostMessageAsync("meter?"u8.ToArray(), CancellationToken.None);

        Assert.Equal(Digest(image), node.State.FirmwareSha256, ignoreCase: true);
        Assert.Equal("meter?"u8.ToArray(), await echoed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await session.CloseAsync(CancellationToken.None);
    }

    [RelayFact]
    public async Task The_C_meter_with_larger_buffers_negotiates_several_packets_per_message_over_a_noisy_line()
    {
        var (port, node) = await StartAsync(Build("OPT_PSEM_PACKET_MAX=1024", "OPT_PSEM_PACKETS=4", "OPT_PSEM_NODE_OUT=8192"), null, "-e", "1e-4", "-s", "5");
        await using var session = await OpenAsync(port);
        var client = ((OptPsemStationSession)session).Client;
        Assert.Equal(1024, client.PacketSize);
        Assert.Equal(4, client.MaxPackets);
        await using var node_ = Client(session);
        byte[] image = SimulatorLink.Image(24 * 1024);

        await node_.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", null, CancellationToken.None);

        Assert.Equal(Digest(image), node.State.FirmwareSha256, ignoreCase: true);
        Assert.True(session.Statistics.Resends + session.Statistics.Damaged > 0, session.Statistics.ToString());
    }

    [RelayFact]
    public async Task The_C_meter_takes_its_password_and_refuses_a_wrong_one_with_code_3()
    {
        var (port, node) = await StartAsync(Build(), "kv2c-line1");

        var e = await Assert.ThrowsAsync<LinkException>(() => OpenAsync(port, Secure("wrong")));
        Assert.Equal(ProvExitCode.InvalidArguments, e.Code);

        await using var session = await OpenAsync(port, Secure("kv2c-line1"));
        await using var client = Client(session);
        var info = await client.GetInfoAsync(CancellationToken.None);
        Assert.Equal(node.Options.NodeId, info.NodeId);
    }
}

/// <summary>Tests against a peer with wall-clock session timers of its own (the C opt_psem meter): run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedMeterCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Timed meter";
}
