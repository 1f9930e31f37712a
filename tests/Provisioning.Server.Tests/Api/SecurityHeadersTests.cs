using Provisioning.Core.Api;
using Provisioning.Server.Hosting;

namespace Provisioning.Server.Tests.Api;

/// <summary>The security headers over plain HTTP (the browser tests check them over HTTPS, with HSTS).</summary>
public sealed class SecurityHeadersTests
{
    [Fact]
    public async Task Plain_HTTP_answers_carry_the_policy_headers_but_no_HSTS()
    {
        await using var server = await ServerUnderTest.StartAsync();
        foreach (string path in new[] { ApiRoutes.Health, ApiRoutes.Packages, "/provisioning/login", "/provisioning/static/site.css", "/no/such/page" })
        {
            using var response = await server.Anonymous.GetAsync(path);
            Assert.True(response.Headers.Contains("Content-Security-Policy"), $"{path} ({(int)response.StatusCode}) has no Content-Security-Policy");
            Assert.Equal(SecurityHeaders.ContentSecurityPolicy, string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
            Assert.False(response.Headers.Contains("Strict-Transport-Security"), $"{path} sent HSTS over plain HTTP");
        }
    }
}
