using System.Globalization;
using System.Text.RegularExpressions;
using Provisioning.Core.Gateway;
using Provisioning.Core.Gateway.Simulator;

namespace Provisioning.Core.Tests.Gateway;

/// <summary>The simulated gateway against the worked examples of docs/gateway-protocol.md, spoken by a raw peer.</summary>
public sealed class GatewayControlProtocolTests
{
    private static string Doc => File.ReadAllText(SourceTree.Find("docs/gateway-protocol.md"));

    [Fact]
    public async Task The_2x_greeting_and_hello_are_the_bytes_the_page_shows()
    {
        await using var gateway = await Wait.GatewayAsync();
        await using var peer = await RawLinePeer.ConnectAsync("127.0.0.1", gateway.ControlPort);
        var shown = Regex.Match(Doc, @"the gateway sends\s+`([0-9A-F ]+)`");
        Assert.True(shown.Success, "the page shows the greeting's bytes");
        Assert.Equal(Convert.FromHexString(shown.Groups[1].Value.Replace(" ", "")), await peer.ReadRawAsync());
        var hello = Regex.Match(Doc, @"the station `([0-9A-F ]+)`");
        Assert.Equal("HELLO 2\n"u8.ToArray(), Convert.FromHexString(hello.Groups[1].Value.Replace(" ", "")));
        await peer.SendAsync("HELLO 2");
        Assert.Equal("200 HELLO 2.4 network=factory", await peer.ReadAsync());
    }

    [Fact]
    public async Task The_2x_worked_example_runs_as_written()
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { JoinDelay = TimeSpan.FromMilliseconds(50) });
        await using var control = await RawLinePeer.ConnectAsync("127.0.0.1", gateway.ControlPort);
        Assert.Equal("CSYS 2.4 gateway network=factory", await control.ReadAsync());
        await control.SendAsync("HELLO 2");
        Assert.Equal("200 HELLO 2.4 network=factory", await control.ReadAsync());
        await control.SendAsync("STATUS 0000002A");
        Assert.Equal("200 NODE 0000002A UNKNOWN", await control.ReadAsync());

        var before = DateTimeOffset.UtcNow;
        await using var radio = await RawLinePeer.ConnectAsync("127.0.0.1", RadioPort(gateway));
        await radio.SendAsync("JOIN 0000002A factory");
        Assert.Equal("JOINED factory", await radio.ReadAsync());

        await control.SendAsync("STATUS 0000002A");
        var joined = Regex.Match((await control.ReadAsync())!, @"^200 NODE 0000002A JOINED (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) factory$");
        Assert.True(joined.Success);
        var at = DateTimeOffset.ParseExact(joined.Groups[1].Value, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.InRange(at, before.AddMilliseconds(-1), DateTimeOffset.UtcNow.AddMilliseconds(1));

        await control.SendAsync("CLEAR 0000002A");
        Assert.Equal("200 CLEARED 0000002A", await control.ReadAsync());
        Assert.Equal("DROP cleared", await radio.ReadAsync());
        Assert.Null(await radio.ReadAsync());
        await control.SendAsync("STATUS 2a");
        Assert.Equal("200 NODE 0000002A UNKNOWN", await control.ReadAsync());
        await control.SendAsync("STATUS xyz");
        Assert.Equal("400 bad node id 'xyz'", await control.ReadAsync());
        await control.SendAsync("FROB 1");
        Assert.Equal("404 unknown command FROB", await control.ReadAsync());
        await control.SendAsync("HELLO 1");
        Assert.StartsWith("505 ", await control.ReadAsync());
        await control.SendAsync("QUIT");
        Assert.Equal("221 BYE", await control.ReadAsync());
        Assert.Null(await control.ReadAsync());
    }

    [Fact]
    public async Task The_1x_worked_example_runs_as_written()
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { Csys1x = true, JoinDelay = TimeSpan.Zero });
        await using var control = await RawLinePeer.ConnectAsync("127.0.0.1", gateway.ControlPort);
        Assert.Equal("CSYS 1.9 READY", await control.ReadAsync());
        await control.SendAsync("NODE? 42");
        Assert.Equal("NODE 42 0", await control.ReadAsync());
        await using var radio = await RawLinePeer.ConnectAsync("127.0.0.1", RadioPort(gateway));
        await radio.SendAsync("JOIN 0000002A factory");
        Assert.Equal("JOINED factory", await radio.ReadAsync());
        await control.SendAsync("NODE? 42");
        var answer = await control.ReadAsync();
        var joined = Regex.Match(answer!, @"^NODE 42 1 (\d+) factory$");
        Assert.True(joined.Success, answer);
        Assert.InRange(long.Parse(joined.Groups[1].Value, CultureInfo.InvariantCulture),
            DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await control.SendAsync("NODECLR 42");
        Assert.Equal("OK", await control.ReadAsync());
        Assert.Equal("DROP cleared", await radio.ReadAsync());
        await control.SendAsync("NODE? 42");
        Assert.Equal("NODE 42 0", await control.ReadAsync());
        await control.SendAsync("STATUS 0000002A");
        Assert.Equal("ERR 1 unknown command", await control.ReadAsync());
        await control.SendAsync("NODE? x");
        Assert.Equal("ERR 2 bad node id", await control.ReadAsync());
        await control.SendAsync("BYE");
        Assert.Equal("OK", await control.ReadAsync());
        Assert.Null(await control.ReadAsync());
    }

    [Fact]
    public async Task CRLF_lines_are_taken_and_an_overlong_line_is_refused()
    {
        await using var gateway = await Wait.GatewayAsync();
        await using var control = await RawLinePeer.ConnectAsync("127.0.0.1", gateway.ControlPort);
        await control.ReadAsync();
        await control.SendAsync("STATUS 1\r");
        Assert.Equal("200 NODE 00000001 UNKNOWN", await control.ReadAsync());
        await control.SendAsync("STATUS " + new string('1', 600));
        Assert.StartsWith("400 ", await control.ReadAsync());
        Assert.Null(await control.ReadAsync());
    }

    [Fact]
    public async Task The_radio_refuses_a_node_of_another_network_and_the_error_fault_answers_500()
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { NetworkId = "line-7", Faults = GatewayFaults.ErrorAnswers });
        await using var radio = await RawLinePeer.ConnectAsync("127.0.0.1", RadioPort(gateway));
        await radio.SendAsync("JOIN 0000002A factory");
        Assert.Equal("REJECT network line-7", await radio.ReadAsync());
        Assert.Null(await radio.ReadAsync());

        await using var control = await RawLinePeer.ConnectAsync("127.0.0.1", gateway.ControlPort);
        Assert.Equal("CSYS 2.4 gateway network=line-7", await control.ReadAsync());
        await control.SendAsync("STATUS 0000002A");
        Assert.Equal("500 internal error (node table unavailable)", await control.ReadAsync());
    }

    [Fact]
    public async Task A_node_that_leaves_during_the_join_delay_is_not_recorded()
    {
        await using var gateway = await Wait.GatewayAsync(new GatewaySimulatorOptions { JoinDelay = TimeSpan.FromMilliseconds(300) });
        await using (var radio = await RawLinePeer.ConnectAsync("127.0.0.1", RadioPort(gateway)))
        {
            await radio.SendAsync("JOIN 00000007 factory");
            await Wait.UntilAsync(() => gateway.NodesInRange == 1, TimeSpan.FromSeconds(5), "the node in range");
            await radio.SendAsync("LEAVE");
            Assert.Null(await radio.ReadAsync());
        }
        await Wait.UntilAsync(() => gateway.NodesInRange == 0, TimeSpan.FromSeconds(5), "the node gone");
        await Task.Delay(400); // past the join delay: the join must not complete for a node that left
        Assert.Equal(GatewayNodeState.Unknown, gateway.GetNodeStatus(7).State);
        Assert.Equal(0, gateway.Joins);
    }

    [Theory]
    [InlineData("network_id=factory\n", "factory")]
    [InlineData("# factory config\r\nchannel=3\r\nnetwork_id= line-7 \r\n", "line-7")]
    [InlineData("network_id=a\nnetwork_id=b\n", "a")]
    [InlineData("channel=3\n", null)]
    [InlineData(" network_id=factory\n", null)]
    [InlineData("network_id=\n", null)]
    [InlineData("network_id=two words\n", null)]
    public void A_configuration_names_its_network_with_one_line(string config, string? expected)
    {
        Assert.Equal(expected, FactoryNetwork.NetworkIdOf(System.Text.Encoding.ASCII.GetBytes(config)));
    }

    [Fact]
    public void A_binary_configuration_names_no_network_unless_it_holds_the_line()
    {
        var bytes = new byte[4096];
        new Random(3).NextBytes(bytes);
        bytes.AsSpan().Replace((byte)'n', (byte)'m');
        Assert.Null(FactoryNetwork.NetworkIdOf(bytes));
        var named = bytes.Concat("\nnetwork_id=factory\n"u8.ToArray()).Concat(bytes).ToArray();
        Assert.Equal("factory", FactoryNetwork.NetworkIdOf(named));
    }

    internal static int RadioPort(GatewaySimulator gateway) => int.Parse(gateway.RadioEndpoint[(gateway.RadioEndpoint.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
}
