using Provisioning.Core.Client;

namespace Provisioning.Core.Tests.Client;

public class ServerAddressTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8085", "http://127.0.0.1:8085/")]
    [InlineData("  http://127.0.0.1:8085/  ", "http://127.0.0.1:8085/")]
    [InlineData("prov1", "http://prov1:8085/")]
    [InlineData("prov1:9000", "http://prov1:9000/")]
    [InlineData("127.0.0.1", "http://127.0.0.1:8085/")]
    [InlineData("[::1]", "http://[::1]:8085/")]
    [InlineData("[::1]:9000", "http://[::1]:9000/")]
    [InlineData("http://prov1", "http://prov1/")]
    [InlineData("https://prov.example.com/factory", "https://prov.example.com/factory/")]
    [InlineData("HTTP://Prov1:8085", "http://prov1:8085/")]
    public void Reads_what_operators_type(string text, string expected)
    {
        Assert.Equal(expected, ServerAddress.Parse(text).AbsoluteUri);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("ftp://prov1", "http or https")]
    [InlineData("http://admin:s3cr3tPW@prov1:8085", "-Token")]
    [InlineData("http://prov1:8085/?token=x", "query")]
    [InlineData("http://", "not a server address")]
    public void Refuses_what_is_not_a_server_address(string text, string expected)
    {
        Assert.False(ServerAddress.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
        // A secret typed into the address must not come back in the message.
        Assert.DoesNotContain("s3cr3tPW", error);
    }

    [Fact]
    public void Routes_keep_a_proxy_path_prefix()
    {
        var server = ServerAddress.Parse("https://prov.example.com/factory");
        Assert.Equal("https://prov.example.com/factory/api/v1/health", ServerAddress.Route(server, Api.ApiRoutes.Health).AbsoluteUri);
        Assert.Equal("https://prov.example.com/factory", ServerAddress.Display(server));
    }

    [Theory]
    [InlineData("127.0.0.1", 8085, "http://127.0.0.1:8085/")]
    [InlineData("0.0.0.0", 8085, "http://127.0.0.1:8085/")]
    [InlineData("::", 9000, "http://[::1]:9000/")]
    [InlineData("localhost", 18085, "http://localhost:18085/")]
    public void A_wildcard_listener_is_reached_through_loopback(string listen, int port, string expected)
    {
        Assert.Equal(expected, ServerAddress.ForListener(listen, port).AbsoluteUri);
    }
}
