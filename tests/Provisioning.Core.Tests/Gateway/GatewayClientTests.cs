using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Provisioning.Core.Gateway;
using Provisioning.Core.Gateway.Simulator;
using Provisioning.Core.Station;

namespace Provisioning.Core.Tests.Gateway;

/// <summary>The station's gateway client: against the simulator, against a peer scripted from the page, and its return codes.</summary>
public sealed class GatewayClientTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static GatewayOptions To(GatewaySimulator gateway, bool csys1x = false) => new()
    {
        Host = "127.0.0.1", ControlPort = gateway.ControlPort, Csys1x = csys1x,
        ResponseTimeout = TimeSpan.FromSeconds(2), PollInterval = TimeSpan.FromMilliseconds(100),
    };

    private static async Task JoinAsync(GatewaySimulator gateway, uint nodeId, RawLinePeer radio)
    {
        await radio.SendAsync($"JOIN {nodeId:X8} {gateway.NetworkId}");
        Assert.Equal($"JOINED {gateway.NetworkId}", await radio.ReadAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Status_clear_and_wait_work_in_both_dialects(bool csys1x)
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { Csys1x = csys1x, JoinDelay = TimeSpan.FromMilliseconds(300) });
        await using var client = await GatewayClient.ConnectAsync(To(gateway, csys1x), None);
        Assert.Equal(csys1x ? "1.9" : "2.4", client.GatewayVersion);
        Assert.Equal(csys1x ? null : "factory", client.NetworkId);
        Assert.Equal(GatewayNodeState.Unknown, (await client.GetNodeStatusAsync(0x1234, None)).State);

        await using var radio = await RawLinePeer.ConnectAsync("127.0.0.1", GatewayControlProtocolTests.RadioPort(gateway));
        await radio.SendAsync("JOIN 00001234 factory");
        var joined = await client.WaitForJoinAsync(0x1234, TimeSpan.FromSeconds(20), None);
        Assert.Equal(GatewayNodeState.Joined, joined.State);
        Assert.Equal("factory", joined.NetworkId);
        Assert.Equal(gateway.GetNodeStatus(0x1234).JoinedAt!.Value.ToUnixTimeSeconds(), joined.JoinedAt!.Value.ToUnixTimeSeconds());
        Assert.Equal("JOINED factory", await radio.ReadAsync());

        await client.ClearNodeAsync(0x1234, None);
        Assert.Equal(GatewayNodeState.Unknown, (await client.GetNodeStatusAsync(0x1234, None)).State);
        Assert.Equal(GatewayNodeState.Unknown, gateway.GetNodeStatus(0x1234).State);
        Assert.Equal("DROP cleared", await radio.ReadAsync());
    }

    [Fact]
    public async Task The_client_reads_a_peer_scripted_from_the_page()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var script = Task.Run(async () =>
        {
            await using var peer = RawLinePeer.Of(await listener.AcceptTcpClientAsync());
            await peer.SendAsync("CSYS 2.7 gateway network=plant-2\r");
            Assert.Equal("HELLO 2", await peer.ReadAsync());
            await peer.SendAsync("200 HELLO 2.7 network=plant-2");
            Assert.Equal("STATUS 0000002A", await peer.ReadAsync());
            await peer.SendAsync("200 NODE 0000002A JOINED 2026-12-01T16:00:02.125Z plant-2");
            Assert.Equal("CLEAR 0000002A", await peer.ReadAsync());
            await peer.SendAsync("200 CLEARED 0000002A");
            Assert.Equal("STATUS 0000002A", await peer.ReadAsync());
            await peer.SendAsync("200 NODE 0000002B UNKNOWN"); // another node's answer: out of step
            Assert.Equal("QUIT", await peer.ReadAsync());
            await peer.SendAsync("221 BYE");
        });
        var client = await GatewayClient.ConnectAsync(new GatewayOptions { Host = "127.0.0.1", ControlPort = ((IPEndPoint)listener.LocalEndpoint).Port }, None);
        Assert.Equal("plant-2", client.NetworkId);
        var status = await client.GetNodeStatusAsync(42, None);
        Assert.Equal(new GatewayNodeStatus(42, GatewayNodeState.Joined, new DateTimeOffset(2026, 12, 1, 16, 0, 2, 125, TimeSpan.Zero), "plant-2"), status);
        await client.ClearNodeAsync(42, None);
        var wrong = await Assert.ThrowsAsync<GatewayException>(() => client.GetNodeStatusAsync(42, None));
        Assert.Equal(ProvExitCode.GatewayError, wrong.Code);
        Assert.Contains("0000002B", wrong.Message);
        await client.DisposeAsync();
        await script;
    }

    [Fact]
    public async Task A_1x_peer_scripted_from_the_page_is_read_with_csys1x()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var script = Task.Run(async () =>
        {
            await using var peer = RawLinePeer.Of(await listener.AcceptTcpClientAsync());
            await peer.SendAsync("CSYS 1.9 READY");
            Assert.Equal("NODE? 42", await peer.ReadAsync());
            await peer.SendAsync("NODE 42 1 1764604802 factory");
            Assert.Equal("NODECLR 42", await peer.ReadAsync());
            await peer.SendAsync("ERR 9 internal error");
            Assert.Equal("BYE", await peer.ReadAsync());
            await peer.SendAsync("OK");
        });
        await using (var client = await GatewayClient.ConnectAsync(new GatewayOptions { Host = "127.0.0.1", ControlPort = ((IPEndPoint)listener.LocalEndpoint).Port, Csys1x = true }, None))
        {
            var status = await client.GetNodeStatusAsync(42, None);
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764604802), status.JoinedAt);
            var refused = await Assert.ThrowsAsync<GatewayException>(() => client.ClearNodeAsync(42, None));
            Assert.Equal(ProvExitCode.GatewayError, refused.Code);
            Assert.Contains("9 internal error", refused.Message);
        }
        await script;
    }

    [Fact]
    public async Task The_guide_s_default_host_localhost_reaches_a_gateway_on_the_loopback_address()
    {
        await using var gateway = await Wait.GatewayAsync();
        await using var client = await GatewayClient.ConnectAsync(new GatewayOptions { ControlPort = gateway.ControlPort }, None);
        Assert.Equal("2.4", client.GatewayVersion);
    }

    [Fact]
    public async Task Nothing_listening_is_132()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var e = await Assert.ThrowsAsync<GatewayException>(() => GatewayClient.ConnectAsync(new GatewayOptions { Host = "127.0.0.1", ControlPort = port }, None));
        Assert.Equal(ProvExitCode.GatewayUnreachable, e.Code);
        Assert.Contains($"127.0.0.1:{port}", e.Message);
    }

    [Fact]
    public async Task A_host_name_that_does_not_resolve_is_132()
    {
        var e = await Assert.ThrowsAsync<GatewayException>(() =>
            GatewayClient.ConnectAsync(new GatewayOptions { Host = "no-such-gateway.invalid", ResponseTimeout = TimeSpan.FromSeconds(5) }, None));
        Assert.Equal(ProvExitCode.GatewayUnreachable, e.Code);
    }

    [Fact]
    public async Task A_hung_gateway_is_132_after_the_response_timeout()
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { Faults = GatewayFaults.Unreachable });
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<GatewayException>(() => GatewayClient.ConnectAsync(To(gateway) with { ResponseTimeout = TimeSpan.FromMilliseconds(500) }, None));
        Assert.Equal(ProvExitCode.GatewayUnreachable, e.Code);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(500));
        Assert.Contains("greeting", e.Message);
        Assert.Equal(0, gateway.ControlConnections);
    }

    [Fact]
    public async Task A_stopped_gateway_is_132_on_the_next_request()
    {
        var gateway = await Wait.GatewayAsync();
        await using var client = await GatewayClient.ConnectAsync(To(gateway), None);
        await gateway.StopAsync();
        var e = await Assert.ThrowsAsync<GatewayException>(() => client.GetNodeStatusAsync(1, None));
        Assert.Equal(ProvExitCode.GatewayUnreachable, e.Code);
    }

    [Fact]
    public async Task Error_answers_are_133()
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { Faults = GatewayFaults.ErrorAnswers });
        await using var client = await GatewayClient.ConnectAsync(To(gateway), None);
        var status = await Assert.ThrowsAsync<GatewayException>(() => client.GetNodeStatusAsync(7, None));
        Assert.Equal(ProvExitCode.GatewayError, status.Code);
        Assert.Contains("500", status.Message);
        var clear = await Assert.ThrowsAsync<GatewayException>(() => client.ClearNodeAsync(7, None));
        Assert.Equal(ProvExitCode.GatewayError, clear.Code);
        var wait = await Assert.ThrowsAsync<GatewayException>(() => client.WaitForJoinAsync(7, TimeSpan.FromSeconds(30), None));
        Assert.Equal(ProvExitCode.GatewayError, wait.Code);
    }

    [Fact]
    public async Task Another_service_on_the_port_is_133()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = Task.Run(async () =>
        {
            await using var peer = RawLinePeer.Of(await listener.AcceptTcpClientAsync());
            await peer.SendAsync("SSH-2.0-OpenSSH_9.2");
            await peer.ReadAsync(TimeSpan.FromSeconds(5));
        });
        var e = await Assert.ThrowsAsync<GatewayException>(() =>
            GatewayClient.ConnectAsync(new GatewayOptions { Host = "127.0.0.1", ControlPort = ((IPEndPoint)listener.LocalEndpoint).Port }, None));
        Assert.Equal(ProvExitCode.GatewayError, e.Code);
        Assert.Contains("SSH-2.0", e.Message);
        await serve;
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task A_station_speaking_the_other_version_is_140(bool gateway1x, bool station1x)
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { Csys1x = gateway1x });
        var e = await Assert.ThrowsAsync<GatewayException>(() => GatewayClient.ConnectAsync(To(gateway, station1x), None));
        Assert.Equal(ProvExitCode.GatewayLibraryMissing, e.Code);
        Assert.Contains(gateway1x ? "1.9" : "2.4", e.Message);
        Assert.Contains("Csys1x", e.Message);
    }

    [Fact]
    public async Task A_node_that_never_joins_is_134_and_never_before_the_timeout()
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { Faults = GatewayFaults.NeverJoin, JoinDelay = TimeSpan.Zero });
        await using var radio = await RawLinePeer.ConnectAsync("127.0.0.1", GatewayControlProtocolTests.RadioPort(gateway));
        await radio.SendAsync("JOIN 00000009 factory");
        await using var client = await GatewayClient.ConnectAsync(To(gateway), None);
        var timeout = TimeSpan.FromSeconds(1.5);
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<GatewayException>(() => client.WaitForJoinAsync(9, timeout, None));
        Assert.True(clock.Elapsed >= timeout, $"134 came after {clock.Elapsed.TotalMilliseconds} ms, before the {timeout.TotalMilliseconds} ms timeout");
        Assert.Equal(ProvExitCode.GatewayJoinFailed, e.Code);
        Assert.Contains("0x00000009", e.Message);
        Assert.Contains("'factory'", e.Message);
        Assert.Equal(1, gateway.NodesInRange);
    }

    [Fact]
    public async Task A_gateway_that_stops_answering_during_the_wait_is_134_after_the_timeout()
    {
        var gateway = await Wait.GatewayAsync();
        await using var client = await GatewayClient.ConnectAsync(To(gateway) with { ResponseTimeout = TimeSpan.FromMilliseconds(300) }, None);
        var timeout = TimeSpan.FromSeconds(1.5);
        var clock = Stopwatch.StartNew();
        var waiting = client.WaitForJoinAsync(5, timeout, None);
        await Task.Delay(200);
        await gateway.StopAsync();
        var e = await Assert.ThrowsAsync<GatewayException>(() => waiting);
        Assert.True(clock.Elapsed >= timeout, $"134 came after {clock.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(ProvExitCode.GatewayJoinFailed, e.Code);
        Assert.Contains("stopped answering", e.Message);
    }

    [Fact]
    public async Task A_gateway_that_comes_back_during_the_wait_finds_the_node()
    {
        var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { JoinDelay = TimeSpan.Zero });
        int port = gateway.ControlPort;
        await using var client = await GatewayClient.ConnectAsync(To(gateway) with { ResponseTimeout = TimeSpan.FromMilliseconds(500) }, None);
        await gateway.StopAsync();
        var waiting = client.WaitForJoinAsync(5, TimeSpan.FromSeconds(30), None);
        await Task.Delay(300);
        await using var again = await GatewaySimulator.StartAsync(new GatewaySimulatorOptions { ControlPort = port, JoinDelay = TimeSpan.Zero }, None);
        await using var radio = await RawLinePeer.ConnectAsync("127.0.0.1", GatewayControlProtocolTests.RadioPort(again));
        await JoinAsync(again, 5, radio);
        Assert.Equal(GatewayNodeState.Joined, (await waiting).State);
    }

    [Fact]
    public async Task Cancelling_the_wait_ends_it_at_once()
    {
        await using var gateway = await Wait.GatewayAsync();
        await using var client = await GatewayClient.ConnectAsync(To(gateway), None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.WaitForJoinAsync(5, TimeSpan.FromSeconds(600), cancel.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task TLS_with_the_CA_file_works_and_without_the_files_is_141_before_connecting()
    {
        using var certs = new TestCertificates();
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { Tls = true, CertificatePath = certs.GatewayPath, CertificateKeyPath = certs.GatewayKeyPath });
        var tls = To(gateway) with { UseTls = true, CaCertificatePath = certs.CaPath };
        await using (var client = await GatewayClient.ConnectAsync(tls, None))
            Assert.Equal(GatewayNodeState.Unknown, (await client.GetNodeStatusAsync(3, None)).State);
        int served = gateway.ControlConnections;

        var missing = await Assert.ThrowsAsync<GatewayException>(() =>
            GatewayClient.ConnectAsync(tls with { CaCertificatePath = Path.Combine(certs.Folder, "gone.crt") }, None));
        Assert.Equal(ProvExitCode.GatewayCertificatesMissing, missing.Code);
        Assert.Contains("gone.crt", missing.Message);
        var missingClient = await Assert.ThrowsAsync<GatewayException>(() =>
            GatewayClient.ConnectAsync(tls with { CertificatePath = Path.Combine(certs.Folder, "station-gone.pem") }, None));
        Assert.Equal(ProvExitCode.GatewayCertificatesMissing, missingClient.Code);
        Assert.Equal(served, gateway.ControlConnections);

        var untrusted = await Assert.ThrowsAsync<GatewayException>(() => GatewayClient.ConnectAsync(tls with { CaCertificatePath = certs.OtherCaPath }, None));
        Assert.Equal(ProvExitCode.GatewayCertificatesMissing, untrusted.Code);
        Assert.Contains("does not trust", untrusted.Message);
        var plain = await Assert.ThrowsAsync<GatewayException>(() => GatewayClient.ConnectAsync(tls with { UseTls = false }, None));
        Assert.NotEqual(ProvExitCode.Success, plain.Code);
    }

    [Fact]
    public async Task A_gateway_asking_for_a_client_certificate_takes_the_station_s_and_is_141_without_it()
    {
        using var certs = new TestCertificates();
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions
        {
            Tls = true, CertificatePath = certs.GatewayPath, CertificateKeyPath = certs.GatewayKeyPath, ClientCaCertificatePath = certs.CaPath,
        });
        var tls = To(gateway) with { UseTls = true, CaCertificatePath = certs.CaPath };
        await using (var client = await GatewayClient.ConnectAsync(tls with { CertificatePath = certs.StationBundlePath }, None))
            Assert.Equal(GatewayNodeState.Unknown, (await client.GetNodeStatusAsync(3, None)).State);

        var e = await Assert.ThrowsAsync<GatewayException>(async () =>
        {
            await using var client = await GatewayClient.ConnectAsync(tls, None);
            await client.GetNodeStatusAsync(3, None);
        });
        Assert.Equal(ProvExitCode.GatewayCertificatesMissing, e.Code);
        Assert.Contains("client certificate", e.Message);
    }

    [Fact]
    public async Task A_TLS_station_at_a_plain_control_port_is_133()
    {
        using var certs = new TestCertificates();
        await using var gateway = await Wait.GatewayAsync();
        var e = await Assert.ThrowsAsync<GatewayException>(() => GatewayClient.ConnectAsync(To(gateway) with { UseTls = true, CaCertificatePath = certs.CaPath }, None));
        Assert.Equal(ProvExitCode.GatewayError, e.Code);
        Assert.Contains("TLS", e.Message);
    }
}
