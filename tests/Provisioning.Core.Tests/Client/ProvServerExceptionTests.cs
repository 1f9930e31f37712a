using System.Net;
using Provisioning.Core.Client;

namespace Provisioning.Core.Tests.Client;

public class ProvServerExceptionTests
{
    private static readonly Uri Server = ServerAddress.Parse("http://127.0.0.1:8085");

    [Fact]
    public void Problem_details_give_the_error_id_and_the_operator_message()
    {
        const string body = """{"type":"about:blank","title":"Config not found","status":404,"detail":"Configuration 70 is not on this server; Get-ProvPackage lists what is.","errorId":"ConfigNotFound"}""";
        var e = ProvServerException.FromResponse(Server, HttpStatusCode.NotFound, "application/problem+json", body, "GET /api/v1/configs/70");
        Assert.Equal(404, e.Status);
        Assert.Equal("ConfigNotFound", e.ErrorId);
        Assert.Equal("Configuration 70 is not on this server; Get-ProvPackage lists what is.", e.Message);
    }

    [Fact]
    public void Every_problem_of_a_package_is_listed()
    {
        const string body = """{"title":"Invalid package","status":422,"detail":"- node/firmware/node.bin: SHA-256 does not match\n- keys/gw_keys.csv.aes.sig: signature does not verify\n","errorId":"PackageInvalid"}""";
        var e = ProvServerException.FromResponse(Server, (HttpStatusCode)422, "application/problem+json", body, "POST /api/v1/packages");
        Assert.Equal("PackageInvalid", e.ErrorId);
        Assert.Equal(new[] { "node/firmware/node.bin: SHA-256 does not match", "keys/gw_keys.csv.aes.sig: signature does not verify" }, e.Problems);
    }

    [Fact]
    public void The_heading_above_the_problems_is_not_a_problem()
    {
        const string body = """{"title":"Invalid package","status":422,"detail":"The package meter_69.tar.gz was not imported:\nThe passphrase is wrong: it does not open the gateway key file.","errorId":"WrongPassphrase"}""";
        var e = ProvServerException.FromResponse(Server, (HttpStatusCode)422, "application/problem+json", body, "POST /api/v1/packages");
        Assert.Equal(new[] { "The passphrase is wrong: it does not open the gateway key file." }, e.Problems);
    }

    [Fact]
    public void A_refused_token_says_how_to_connect()
    {
        var e = ProvServerException.FromResponse(Server, HttpStatusCode.Unauthorized, null, "", "GET /api/v1/packages");
        Assert.Equal("Unauthorized", e.ErrorId);
        Assert.Contains("refused the token", e.Message);
        Assert.Contains("Connect-ProvServer -Uri http://127.0.0.1:8085 -Token", e.Message);
    }

    [Fact]
    public void A_station_token_on_an_admin_call_is_told_it_needs_an_admin_token()
    {
        var e = ProvServerException.FromResponse(Server, HttpStatusCode.Forbidden, "application/problem+json",
            """{"title":"Forbidden","status":403,"detail":"A station token may not call this endpoint.","errorId":"Forbidden"}""", "GET /api/v1/tokens");
        Assert.Equal("Forbidden", e.ErrorId);
        Assert.Contains("refused GET /api/v1/tokens: it needs an admin token", e.Message);
        Assert.Contains("admin.token", e.Message);
    }

    [Fact]
    public void A_role_refusal_names_the_tokens_that_would_do()
    {
        var e = ProvServerException.FromResponse(Server, HttpStatusCode.Forbidden, "application/problem+json",
            """{"title":"Forbidden","status":403,"detail":"A station token may not call this endpoint; it needs the role admin or exporter.","errorId":"Forbidden"}""",
            "POST /api/v1/exports");
        Assert.Contains("refused POST /api/v1/exports: it needs an admin or exporter token", e.Message);
        e = ProvServerException.FromResponse(Server, HttpStatusCode.Forbidden, "application/problem+json",
            """{"title":"Forbidden","status":403,"detail":"A exporter token may not call this endpoint; it needs the role station or admin.","errorId":"Forbidden"}""",
            "GET /api/v1/configs/69");
        Assert.Contains("it needs an admin or station token", e.Message);
    }

    [Fact]
    public void Refused_insecure_key_transport_keeps_the_servers_explanation()
    {
        const string detail = "Gateway keys are not sent over plain HTTP to 10.0.0.7; use HTTPS or start the server with -AllowInsecureKeyTransport.";
        var e = ProvServerException.FromResponse(Server, HttpStatusCode.Forbidden, "application/problem+json",
            $$"""{"title":"Insecure","status":403,"detail":"{{detail}}","errorId":"InsecureKeyTransport"}""", "GET /api/v1/configs/69/gateway-keys");
        Assert.Equal(detail, e.Message);
    }

    [Fact]
    public void An_answer_that_is_not_problem_json_still_names_the_status_and_the_call()
    {
        var e = ProvServerException.FromResponse(Server, HttpStatusCode.BadGateway, "text/html", "<html>proxy error</html>", "POST /api/v1/exports");
        Assert.Equal("Http502", e.ErrorId);
        Assert.Equal("The server at http://127.0.0.1:8085 answered 502 Bad Gateway to POST /api/v1/exports.", e.Message);
        Assert.DoesNotContain("html", e.Message);
    }

    [Fact]
    public async Task A_closed_port_is_reported_as_not_reachable_with_what_to_check()
    {
        // A port just released by a listener is closed: the connection is refused for real.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        using var client = new ProvServerClient(ServerAddress.Parse($"http://127.0.0.1:{port}"), "token");
        var e = await Assert.ThrowsAsync<ProvServerException>(() => client.GetHealthAsync());
        Assert.Equal("ServerUnreachable", e.ErrorId);
        Assert.Null(e.Status);
        Assert.Contains($"http://127.0.0.1:{port} is not reachable", e.Message);
        Assert.Contains("Start-ProvServer", e.Message);
    }
}
