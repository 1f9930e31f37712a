using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Provisioning.Server.Tests.Tls;

/// <summary>One real TLS handshake on loopback: a server with a certificate context, a client trusting only one CA.</summary>
internal static class LoopbackTls
{
    public sealed record Handshake(X509Certificate2 Remote, SslProtocols Protocol, SslPolicyErrors Errors);

    public static async Task<Handshake> RunAsync(SslStreamCertificateContext server, X509Certificate2 ca, string targetHost = "localhost")
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(socket.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = server });
        });
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var stream = new SslStream(client.GetStream());
        var errors = SslPolicyErrors.None;
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { ca },
                RevocationMode = X509RevocationMode.NoCheck,
            },
            RemoteCertificateValidationCallback = (_, _, _, found) =>
            {
                errors = found;
                return found == SslPolicyErrors.None;
            },
        });
        await serve;
        return new Handshake(new X509Certificate2(stream.RemoteCertificate!), stream.SslProtocol, errors);
    }
}
