using System.Security.Cryptography;
using Provisioning.Core.Crypto;
using Provisioning.Core.Emcm;
using Provisioning.Core.Emcm.Simulator;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;
using Provisioning.Core.Station;
using Provisioning.Core.Tests.Node;

namespace Provisioning.Core.Tests.Emcm;

/// <summary>The station's eMCM client against the eMCM simulator over TCP, behind each wrapper with a host channel.</summary>
public sealed class EmcmClientTests
{
    [Theory]
    [InlineData("orw")]
    [InlineData("reliable")]
    [InlineData("opt_psem")]
    public async Task Info_image_key_and_node_share_the_line(string wrapper)
    {
        await using var link = new EmcmLink();
        var sim = await link.StartTcpAsync(wrapper);
        var (node, emcm) = await link.ConnectAsync(sim.Endpoint, wrapper);

        var info = await emcm.GetInfoAsync(CancellationToken.None);
        Assert.Equal(sim.EmcmId, info.EmcmId);
        Assert.Equal(sim.PartialMcmId, info.PartialMcmId);
        Assert.True(info.SelfTestPassed);
        Assert.Null(info.KeyCheckValue);

        // Node messages between eMCM messages on the same line.
        var nodeInfo = await node.GetInfoAsync(CancellationToken.None);
        Assert.Equal(sim.Node.Options.NodeId, nodeInfo.NodeId);

        byte[] firmware = SimulatorLink.Image(5000, seed: 3);
        var progress = new ProgressLog();
        await emcm.WriteImageAsync(EmcmImageTarget.Firmware, firmware, "2.1.0", progress, CancellationToken.None);
        Assert.Equal(5000, progress.Reports[^1]);
        Assert.Equal("2.1.0", sim.EmcmState.FirmwareVersion);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(firmware)), sim.EmcmState.FirmwareSha256);

        using var key = PinnedKey.Random(16);
        await emcm.WriteKeyAsync(key.Memory, CancellationToken.None);
        var kcv = await emcm.GetKeyCheckValueAsync(CancellationToken.None);
        Assert.Equal(GatewayKeys.CheckValueBytes(key.Span), kcv);
        Assert.Equal(key.Span.ToArray(), sim.ReadEmcmKey());

        await emcm.SetQuietAsync(true, CancellationToken.None);
        await emcm.SetStageAsync(EmcmStagePassed.PreTest, CancellationToken.None);
        var meter = await emcm.CheckMeterAsync(CancellationToken.None);
        Assert.False(string.IsNullOrEmpty(meter.MeterId));
        await emcm.LockAsync(CancellationToken.None);
        var after = await emcm.GetInfoAsync(CancellationToken.None);
        Assert.True(after.Quiet);
        Assert.True(after.Locked);
        Assert.Equal(EmcmStagePassed.PreTest, after.Stage);
        Assert.Equal(kcv, after.KeyCheckValue);
    }
}

/// <summary>Each eMCM fault of the simulator gives the station its Table 4 code; the line survives noise and restarts.</summary>
public sealed class EmcmFaultTests
{
    [Theory]
    [InlineData("orw")]
    [InlineData("reliable")]
    [InlineData("opt_psem")]
    public async Task No_answer_is_68_while_the_node_behind_still_answers(string wrapper)
    {
        await using var link = new EmcmLink();
        var sim = await link.StartTcpAsync(wrapper, EmcmFaults.NoAnswer);
        var (node, emcm) = await link.ConnectAsync(sim.Endpoint, wrapper, EmcmLink.FastEmcm with { ResponseTimeout = TimeSpan.FromMilliseconds(300), Resends = 1 });

        var e = await Assert.ThrowsAsync<EmcmException>(() => emcm.GetInfoAsync(CancellationToken.None));
        Assert.Equal(ProvExitCode.NoDeviceHost, e.Code);
        Assert.Contains("did not answer GetInfo after 2 attempts", e.Message);
        Assert.Equal(1, emcm.Statistics.Resends);
        Assert.Equal(sim.Node.Options.NodeId, (await node.GetInfoAsync(CancellationToken.None)).NodeId);
        Assert.Contains("although the node behind it answers", (await Assert.ThrowsAsync<EmcmException>(() => emcm.LockAsync(CancellationToken.None))).Message);
    }

    [Fact]
    public async Task A_host_error_is_69_with_the_eMCMs_own_words()
    {
        await using var link = new EmcmLink();
        var sim = await link.StartTcpAsync("orw", EmcmFaults.HostError);
        var (_, emcm) = await link.ConnectAsync(sim.Endpoint, "orw");

        Assert.Equal(sim.EmcmId, (await emcm.GetInfoAsync(CancellationToken.None)).EmcmId);
        var e = await Assert.ThrowsAsync<EmcmException>(() => emcm.SetStageAsync(EmcmStagePassed.PreTest, CancellationToken.None));
        Assert.Equal(ProvExitCode.HostError, e.Code);
        Assert.Equal(EmcmStatus.Internal, e.Status);
        Assert.Contains("internal error 0x1F", e.Message);
        Assert.Equal(EmcmStagePassed.None, sim.EmcmState.Stage);
    }

    [Fact]
    public async Task Failing_hardware_is_72_from_the_self_test_and_from_flash_writes()
    {
        await using var link = new EmcmLink();
        var sim = await link.StartTcpAsync("reliable", EmcmFaults.HardwareFails);
        var (_, emcm) = await link.ConnectAsync(sim.Endpoint, "reliable");

        var info = await emcm.GetInfoAsync(CancellationToken.None);
        Assert.False(info.SelfTestPassed);
        Assert.Contains("flash ECC error", info.SelfTestDetail);
        var failure = emcm.SelfTestFailure(info);
        Assert.NotNull(failure);
        Assert.Equal(ProvExitCode.HostHardwareFailed, failure!.Code);
        Assert.Contains(info.EmcmId, failure.Message);

        var e = await Assert.ThrowsAsync<EmcmException>(() => emcm.WriteImageAsync(EmcmImageTarget.FieldConfig, new byte[100], "1", null, CancellationToken.None));
        Assert.Equal(ProvExitCode.HostHardwareFailed, e.Code);
        Assert.Equal("", sim.EmcmState.FieldConfigSha256);
    }

    [Fact]
    public async Task A_meter_that_does_not_answer_is_164()
    {
        await using var link = new EmcmLink();
        var sim = await link.StartTcpAsync("opt_psem", EmcmFaults.MeterNotAnswering);
        var (_, emcm) = await link.ConnectAsync(sim.Endpoint, "opt_psem");

        var e = await Assert.ThrowsAsync<EmcmException>(() => emcm.CheckMeterAsync(CancellationToken.None));
        Assert.Equal(ProvExitCode.ApplicationLinkFailed, e.Code);
        Assert.Contains("seated in the meter", e.Advice);
    }

    [Fact]
    public async Task A_wrong_check_value_lets_the_caller_see_the_key_did_not_verify()
    {
        await using var link = new EmcmLink();
        var sim = await link.StartTcpAsync("orw", EmcmFaults.KeyVerificationFails);
        var (_, emcm) = await link.ConnectAsync(sim.Endpoint, "orw");
        using var key = PinnedKey.Random(16);

        await emcm.WriteKeyAsync(key.Memory, CancellationToken.None);
        var reported = await emcm.GetKeyCheckValueAsync(CancellationToken.None);
        Assert.NotNull(reported);
        Assert.NotEqual(GatewayKeys.CheckValueBytes(key.Span), reported);
        // The eMCM holds the key it was given; only what it reports is wrong.
        Assert.Equal(GatewayKeys.CheckValue(key.Span), sim.EmcmState.KeyCheckValue);
    }

    [Fact]
    public async Task The_none_wrapper_has_no_host_channel_and_eMCM_commands_are_refused_as_3()
    {
        await using var link = new EmcmLink();
        var sim = await link.StartTcpAsync("none");
        var (node, emcm) = await link.ConnectAsync(sim.Endpoint, "none");

        Assert.False(node.CarriesHostMessages);
        var e = await Assert.ThrowsAsync<EmcmException>(() => emcm.GetInfoAsync(CancellationToken.None));
        Assert.Equal(ProvExitCode.InvalidArguments, e.Code);
        Assert.Contains("-Wrapper orw, reliable or opt_psem", e.Message);
        Assert.Equal(0, sim.HostMessagesReceived);
    }

    [Theory]
    [InlineData("orw", 2e-4)]
    [InlineData("reliable", 2e-4)]
    public async Task An_image_arrives_intact_over_a_noisy_paced_line_beside_node_traffic(string wrapper, double bitErrorRate)
    {
        await using var link = new EmcmLink();
        var sim = await link.StartTcpAsync(wrapper, node: new NodeSimulatorOptions { Pace = true, Noise = new LineNoise { BitErrorRate = bitErrorRate, Seed = 11 } });
        // Behind reliable, eMCM answers queue behind the node's image in the session and its resends: the default wait allows for that.
        var (node, emcm) = await link.ConnectAsync(sim.Endpoint, wrapper, EmcmLink.FastEmcm with
        {
            ResponseTimeout = wrapper == "orw" ? TimeSpan.FromMilliseconds(400) : null,
            Resends = 8,
        });
        byte[] image = SimulatorLink.Image(12_000, seed: 5);

        var writing = emcm.WriteImageAsync(EmcmImageTarget.Firmware, image, "3.0.0", null, CancellationToken.None);
        byte[] nodeImage = SimulatorLink.Image(6_000, seed: 6);
        await node.WriteImageAsync(NodeImageTarget.FieldConfig, nodeImage, "1", null, CancellationToken.None);
        await writing;

        Assert.Equal(Convert.ToHexString(SHA256.HashData(image)), sim.EmcmState.FirmwareSha256);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(nodeImage)), sim.State.FieldConfigSha256);
    }

    [Fact]
    public async Task A_board_keeps_its_state_from_a_fixture_on_orw_to_a_meter_on_opt_psem_at_9600()
    {
        string dir = Path.Combine(Path.GetTempPath(), "emcm-" + Guid.NewGuid().ToString("N"));
        string state = Path.Combine(dir, "board.json");
        try
        {
            using var key = PinnedKey.Random(16);
            byte[] factory = SimulatorLink.Image(3000, seed: 8);
            await using (var fixture = new EmcmLink())
            {
                var sim = await fixture.StartTcpAsync("orw", statePath: state);
                var (_, emcm) = await fixture.ConnectAsync(sim.Endpoint, "orw");
                await emcm.WriteImageAsync(EmcmImageTarget.FactoryConfig, factory, "f1", null, CancellationToken.None);
                await emcm.WriteKeyAsync(key.Memory, CancellationToken.None);
                await emcm.SetStageAsync(EmcmStagePassed.PreTest, CancellationToken.None);
            }
            Assert.True(File.Exists(Path.Combine(dir, "board.emcm.json")));

            await using var meter = new EmcmLink();
            var moved = await meter.StartAsync(new EmcmSimulatorOptions
            {
                Node = new NodeSimulatorOptions { Listen = "tcp://127.0.0.1:0", Wrapper = "opt_psem", BaudRate = 9600, Pace = true, StatePath = state },
            });
            var (_, client) = await meter.ConnectAsync(moved.Endpoint, "opt_psem", EmcmLink.FastEmcm with { ResponseTimeout = null }, baudRate: 9600);
            var info = await client.GetInfoAsync(CancellationToken.None);
            Assert.Equal(EmcmStagePassed.PreTest, info.Stage);
            Assert.Equal(EmcmConfigSlot.Factory, info.ActiveConfig);
            Assert.Equal(SHA256.HashData(factory), info.FactoryConfigSha256);
            Assert.Equal(GatewayKeys.CheckValueBytes(key.Span), info.KeyCheckValue);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task An_interrupted_image_resumes_where_the_eMCM_stopped()
    {
        await using var link = new EmcmLink();
        // The node simulator drops the link after some bytes, like a pulled cable; the next connection resumes.
        var sim = await link.StartTcpAsync("orw", node: new NodeSimulatorOptions { Faults = new NodeFaults { DropLinkAfterBytes = 6000 } });
        byte[] image = SimulatorLink.Image(20_000, seed: 9);
        var progress = new ProgressLog();
        var (_, first) = await link.ConnectAsync(sim.Endpoint, "orw", EmcmLink.FastEmcm with { ResponseTimeout = TimeSpan.FromMilliseconds(300), Resends = 1 });
        var e = await Assert.ThrowsAsync<EmcmException>(() => first.WriteImageAsync(EmcmImageTarget.Firmware, image, "4.0", null, CancellationToken.None));
        Assert.Equal(ProvExitCode.NoDeviceHost, e.Code);

        var (_, second) = await link.ConnectAsync(sim.Endpoint, "orw");
        await second.WriteImageAsync(EmcmImageTarget.Firmware, image, "4.0", progress, CancellationToken.None);
        Assert.InRange(progress.Reports[0], 4000, 6000);
        Assert.Equal("4.0", sim.EmcmState.FirmwareVersion);
        Assert.Equal(1, sim.EmcmState.FirmwareWrites);
    }
}
