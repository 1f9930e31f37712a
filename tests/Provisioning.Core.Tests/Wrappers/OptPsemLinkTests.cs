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

/// <summary>The opt_psem station against the simulator's meter, over TCP: sessions, node messages, and each refusal with its code.</summary>
public sealed class OptPsemLinkTests
{
    private static SecureString Secure(string text)
    {
        var s = new SecureString();
        foreach (char c in text) s.AppendChar(c);
        s.MakeReadOnly();
        return s;
    }

    private static async Task<LinkSession> OpenAsync(NodeSimulator simulator, LinkOptions? options = null, OptPsemWrapper? wrapper = null)
    {
        var line = await NodeTransport.OpenAsync(simulator.Endpoint, 9600, CancellationToken.None);
        return await (wrapper ?? new OptPsemWrapper()).OpenAsync(line, LinkRole.Station, options ?? new LinkOptions { BaudRate = 9600 }, CancellationToken.None);
    }

    private static NodeClientOptions Through(LinkSession session) => SimulatorLink.FastOptions with
    {
        FirstContactTimeout = SimulatorLink.FastOptions.FirstContactTimeout + session.ExtraLatency,
        ResponseTimeout = SimulatorLink.FastOptions.ResponseTimeout + session.ExtraLatency,
    };

    [Fact]
    public async Task Firmware_goes_through_the_meter_mailbox_with_negotiated_packets_and_the_password()
    {
        await using var link = new SimulatorLink();
        var simulator = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "opt_psem", BaudRate = 9600, LinkPassword = Secure("secret") });
        var session = await OpenAsync(simulator, new LinkOptions { BaudRate = 9600, Password = Secure("secret") });
        var client = ((OptPsemStationSession)session).Client;
        Assert.Equal(1024, client.PacketSize);
        Assert.Equal(8, client.MaxPackets);
        var echoed = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.HostMessageReceived += (_, e) => echoed.TrySetResult(e.Message.ToArray());

        await using (var node = new NodeClient(session, session.NodeWrapper, Through(session)))
        {
            byte[] image = SimulatorLink.Image(20000);
            await node.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", null, CancellationToken.None);
            Assert.Equal(Convert.ToHexString(SHA256.HashData(image)), simulator.State.FirmwareSha256, ignoreCase: true);
            await session.SendHostMessageAsync("meter"u8.ToArray(), CancellationToken.None);
            Assert.Equal("meter"u8.ToArray(), await echoed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
            await session.CloseAsync(CancellationToken.None);
        }
        Assert.Equal(1, simulator.HostMessagesReceived);
    }

    [Fact]
    public async Task Without_negotiation_the_default_64_byte_single_packet_still_carries_everything()
    {
        await using var link = new SimulatorLink();
        var simulator = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "opt_psem", BaudRate = 9600 });
        var session = await OpenAsync(simulator, wrapper: new OptPsemWrapper { Station = new PsemStationOptions { Negotiate = false } });
        Assert.Equal(64, ((OptPsemStationSession)session).Client.PacketSize);

        await using var node = new NodeClient(session, session.NodeWrapper, Through(session));
        byte[] image = SimulatorLink.Image(3000);
        await node.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", null, CancellationToken.None);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(image)), simulator.State.FirmwareSha256, ignoreCase: true);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_with_code_3_and_says_what_to_check()
    {
        await using var link = new SimulatorLink();
        var simulator = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "opt_psem", BaudRate = 9600, LinkPassword = Secure("secret") });

        var e = await Assert.ThrowsAsync<LinkException>(() => OpenAsync(simulator, new LinkOptions { BaudRate = 9600, Password = Secure("guess") }));
        Assert.Equal(ProvExitCode.InvalidArguments, e.Code);
        Assert.Contains("password", e.Message);
        Assert.Contains("-OpticalPassword", e.Advice);
        Assert.DoesNotContain("guess", e.Message + e.Advice);
    }

    [Fact]
    public async Task A_meter_that_wants_a_password_and_gets_none_is_refused_with_code_3_at_the_first_write()
    {
        await using var link = new SimulatorLink();
        var simulator = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "opt_psem", BaudRate = 9600, LinkPassword = Secure("secret") });
        var session = await OpenAsync(simulator);
        await using var node = new NodeClient(session, session.NodeWrapper, Through(session));

        var e = await Assert.ThrowsAnyAsync<Exception>(() => node.GetInfoAsync(CancellationToken.None));
        var refusal = Assert.IsType<LinkException>(LinkException.Find(e));
        Assert.Equal(ProvExitCode.InvalidArguments, refusal.Code);
        Assert.Contains("-OpticalPassword", refusal.Advice);
    }

    [Fact]
    public async Task A_meter_that_answers_NAK_to_everything_ends_with_code_68()
    {
        await using var link = new SimulatorLink();
        var simulator = await link.StartTcpAsync(new NodeSimulatorOptions
        {
            Wrapper = "opt_psem", BaudRate = 9600, OptPsemMeter = new PsemMeterSettings { Faults = new() { NakEveryPacket = true } },
        });

        var e = await Assert.ThrowsAsync<LinkException>(() => OpenAsync(simulator, new LinkOptions { BaudRate = 9600, Resends = 1 }));
        Assert.Equal(ProvExitCode.NoDeviceHost, e.Code);
        Assert.Contains("NAK", e.Message);
        Assert.Contains("optical probe", e.Advice);
    }

    [Fact]
    public async Task A_refused_negotiate_ends_with_code_68_but_a_meter_without_the_service_keeps_the_defaults()
    {
        await using var link = new SimulatorLink();
        var refusing = await link.StartTcpAsync(new NodeSimulatorOptions
        {
            Wrapper = "opt_psem", BaudRate = 9600, OptPsemMeter = new PsemMeterSettings { Faults = new() { RefuseNegotiate = PsemResponseCode.Err } },
        });
        var e = await Assert.ThrowsAsync<LinkException>(() => OpenAsync(refusing));
        Assert.Equal(ProvExitCode.NoDeviceHost, e.Code);
        Assert.Contains("Negotiate", e.Message);
        Assert.Contains("err", e.Message);

        var without = await link.StartTcpAsync(new NodeSimulatorOptions
        {
            Wrapper = "opt_psem", BaudRate = 9600, OptPsemMeter = new PsemMeterSettings { Faults = new() { RefuseNegotiate = PsemResponseCode.Sns } },
        });
        var session = await OpenAsync(without);
        Assert.Equal(64, ((OptPsemStationSession)session).Client.PacketSize);
        await session.DisposeAsync();
    }

    [Fact]
    public async Task Nothing_on_the_port_is_code_4()
    {
        await using var link = new SimulatorLink();
        var silent = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "none", Faults = new() { Silent = true } });

        var e = await Assert.ThrowsAsync<LinkException>(() => OpenAsync(silent, new LinkOptions { BaudRate = 9600, Resends = 0, ResponseTimeout = TimeSpan.FromMilliseconds(200) }));
        Assert.Equal(ProvExitCode.NoDevice, e.Code);
    }

    [Fact]
    public async Task A_meter_that_stops_answering_mid_transfer_ends_with_code_36_and_the_next_session_resumes()
    {
        string state = Path.Combine(Directory.CreateTempSubdirectory("prov-psem-").FullName, "node.json");
        byte[] image = SimulatorLink.Image(40000);
        await using var link = new SimulatorLink();
        var hanging = await link.StartTcpAsync(new NodeSimulatorOptions
        {
            Wrapper = "opt_psem", BaudRate = 9600, StatePath = state,
            OptPsemMeter = new PsemMeterSettings { Faults = new() { StopAnsweringAfterPackets = 40 } },
        });
        var quick = new LinkOptions { BaudRate = 9600, ResponseTimeout = TimeSpan.FromMilliseconds(300), Resends = 1 };
        var session = await OpenAsync(hanging, quick);
        await using (var node = new NodeClient(session, session.NodeWrapper, Through(session)))
        {
            var e = await Assert.ThrowsAnyAsync<IOException>(() => node.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", null, CancellationToken.None));
            var failure = Assert.IsType<LinkException>(LinkException.Find(e));
            Assert.Equal(ProvExitCode.NodeMessageFailed, failure.Code);
            Assert.Contains("stopped answering", failure.Message);
            Assert.Contains("resumes where it stopped", failure.Advice);
        }
        await hanging.StopAsync();

        var back = await link.StartTcpAsync(new NodeSimulatorOptions { Wrapper = "opt_psem", BaudRate = 9600, StatePath = state });
        var again = await OpenAsync(back);
        await using (var node = new NodeClient(again, again.NodeWrapper, Through(again)))
        {
            var progress = new ProgressLog();
            await node.WriteImageAsync(NodeImageTarget.Firmware, image, "2.0.0", progress, CancellationToken.None);
            Assert.True(progress.Reports[0] > 0, "the second session resumed from what the node already held");
        }
        Assert.Equal(Convert.ToHexString(SHA256.HashData(image)), back.State.FirmwareSha256, ignoreCase: true);
    }

    [ToolFact("socat")]
    public async Task On_serial_ports_Negotiate_switches_both_ends_to_the_agreed_baud_rate()
    {
        using var pair = await VirtualSerialPair.CreateAsync(null, TimeSpan.FromSeconds(10), CancellationToken.None);
        var meterLine = SerialNodeTransport.Open(pair.PortB, 9600);
        var meter = new OptPsemWrapper { Meter = new PsemMeterSettings { BaudRates = [19200] } };
        await using var host = await meter.OpenAsync(meterLine, LinkRole.Host, new LinkOptions { BaudRate = 9600 }, CancellationToken.None);
        var served = Task.Run(async () =>
        {
            // The node behind this meter answers nothing; the test only needs the bytes to arrive.
            var buffer = new byte[256];
            var got = new List<byte>();
            while (got.Count < 3 && await host.ReadAsync(buffer, CancellationToken.None) is > 0 and var n) got.AddRange(buffer.AsSpan(0, n).ToArray());
            return got.ToArray();
        });

        var stationLine = SerialNodeTransport.Open(pair.PortA, 9600);
        var station = new OptPsemWrapper { Station = new PsemStationOptions { SessionBaudRate = 19200 } };
        await using var session = await station.OpenAsync(stationLine, LinkRole.Station, new LinkOptions { BaudRate = 9600 }, CancellationToken.None);
        await session.WriteAsync(new byte[] { 1, 2, 3 }, CancellationToken.None);

        Assert.Equal(19200, stationLine.BaudRate);
        Assert.Equal(19200, meterLine.BaudRate);
        Assert.Equal(19200, session.BaudRate);
        Assert.Equal(new byte[] { 1, 2, 3 }, await served.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
