using System.Diagnostics;
using Provisioning.Core.Emcm;
using Provisioning.Core.Node;
using Provisioning.Core.Station;
using Provisioning.Core.Tests.Node;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Tests.Emcm;

/// <summary>
/// The station's eMCM client against an eMCM written in C from docs/emcm-protocol.md alone (emcm_peer.c, built with gcc),
/// on a virtual serial pair behind orw: the protocol as documented, not as the simulator happens to speak it.
/// </summary>
public sealed class EmcmPeerTests : IAsyncLifetime
{
    private readonly string _build = Directory.CreateTempSubdirectory("prov-emcm-peer-").FullName;
    private VirtualSerialPair? _pair;
    private Process? _peer;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (_peer is { HasExited: false }) _peer.Kill();
        _peer?.Dispose();
        _pair?.Dispose();
        Directory.Delete(_build, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<(NodeClient Node, EmcmClient Emcm)> StartAsync()
    {
        string exe = Path.Combine(_build, "emcm_peer");
        var gcc = ExternalTool.Run("gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-o", exe,
            SourceTree.Find("tests/Provisioning.Core.Tests/Emcm/emcm_peer.c"));
        Assert.True(gcc.ExitCode == 0, $"gcc failed: {gcc.Stderr}");
        _pair = await VirtualSerialPair.CreateAsync(null, TimeSpan.FromSeconds(10), CancellationToken.None);
        var start = new ProcessStartInfo(exe) { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(_pair.PortB);
        _peer = Process.Start(start)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _peer.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("peer ready") == true) ready.TrySetResult(); };
        _peer.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var line = await NodeTransport.OpenAsync(_pair.PortA, NodeTransport.DefaultBaudRate, CancellationToken.None);
        var node = new NodeClient(line, new OrwWrapper(), SimulatorLink.FastOptions);
        return (node, new EmcmClient(node, EmcmLink.FastEmcm));
    }

    [ToolFact("gcc", "socat")]
    public async Task The_client_speaks_the_documented_protocol_to_an_independent_eMCM()
    {
        var (node, emcm) = await StartAsync();
        await using var _ = node;
        await using var __ = emcm;

        var info = await emcm.GetInfoAsync(CancellationToken.None);
        Assert.Equal("0102030405060708", info.EmcmId);
        Assert.Equal("05060708", info.PartialMcmId);
        Assert.Equal("c-peer", info.HostType);
        Assert.Equal("0.9", info.FirmwareVersion);
        Assert.True(info.SelfTestPassed);

        // The peer takes chunks of at most 100 bytes and says so: the client keeps to it.
        var progress = new ProgressLog();
        await emcm.WriteImageAsync(EmcmImageTarget.Firmware, SimulatorLink.Image(1234, seed: 7), "1.1.0", progress, CancellationToken.None);
        Assert.Equal(1234, progress.Reports[^1]);
        Assert.True(progress.Reports.Count >= 13, string.Join(",", progress.Reports));
        Assert.Equal("1.1.0", (await emcm.GetInfoAsync(CancellationToken.None)).FirmwareVersion);

        await emcm.WriteKeyAsync(new byte[16], CancellationToken.None);
        Assert.Equal(new byte[] { 0xAB, 0xCD, 0xEF }, await emcm.GetKeyCheckValueAsync(CancellationToken.None));
        await emcm.SetStageAsync(EmcmStagePassed.PostTest, CancellationToken.None);
        Assert.Equal(EmcmStagePassed.PostTest, (await emcm.GetInfoAsync(CancellationToken.None)).Stage);

        var meter = await Assert.ThrowsAsync<EmcmException>(() => emcm.CheckMeterAsync(CancellationToken.None));
        Assert.Equal(ProvExitCode.ApplicationLinkFailed, meter.Code);
        Assert.Contains("meter silent", meter.Message);
        var unknown = await Assert.ThrowsAsync<EmcmException>(() => emcm.LockAsync(CancellationToken.None));
        Assert.Equal(ProvExitCode.HostError, unknown.Code);
        Assert.Equal(EmcmStatus.UnknownRequest, unknown.Status);
    }
}
