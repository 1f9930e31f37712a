using System.Net;
using System.Net.Sockets;
using Provisioning.Core.Transport;

namespace Provisioning.Core.Tests.Transport;

public sealed class TransportTests
{
    [Fact]
    public async Task A_refused_tcp_connection_names_the_endpoint()
    {
        // A port that was free a moment ago: nothing listens there.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var e = await Assert.ThrowsAsync<IOException>(() => NodeTransport.OpenAsync($"tcp://127.0.0.1:{port}", 115200, CancellationToken.None));

        Assert.Contains($"tcp://127.0.0.1:{port}", e.Message);
        Assert.Contains("nothing accepts connections", e.Message);
    }

    [Fact]
    public async Task A_missing_serial_port_is_named_with_what_to_check()
    {
        var e = await Assert.ThrowsAsync<IOException>(() => NodeTransport.OpenAsync("/dev/ttyNOPE9", 115200, CancellationToken.None));

        Assert.Contains("/dev/ttyNOPE9", e.Message);
        Assert.Contains("cable", e.Message);
    }

    [Theory]
    [InlineData("tcp://")]
    [InlineData("tcp://host")]
    [InlineData("tcp://host:99999")]
    [InlineData("tcp://host:80/path")]
    public void A_malformed_tcp_endpoint_is_refused_with_an_example(string endpoint)
    {
        var e = Assert.Throws<ArgumentException>(() => NodeTransport.ParseTcp(endpoint));
        Assert.Contains("tcp://127.0.0.1:4001", e.Message);
    }

    [Fact]
    public async Task Tcp_moves_bytes_both_ways()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var accepting = listener.AcceptTcpClientAsync();
            await using var transport = await NodeTransport.OpenAsync($"tcp://127.0.0.1:{port}", 1200, CancellationToken.None);
            using var peer = await accepting;
            // A device server has a real line behind it: its rate is the one given, for timing.
            Assert.Equal(1200, transport.BaudRate);

            await transport.WriteAsync(new byte[] { 1, 2, 3 }, CancellationToken.None);
            var got = new byte[3];
            await peer.GetStream().ReadExactlyAsync(got);
            Assert.Equal(new byte[] { 1, 2, 3 }, got);

            peer.Close();
            Assert.Equal(0, await transport.ReadAsync(new byte[8], CancellationToken.None));
        }
        finally { listener.Stop(); }
    }
}
