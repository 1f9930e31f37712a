using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Provisioning.Core.Crypto;
using Provisioning.Server.Keys;
using Provisioning.Server.Tls;

namespace Provisioning.Server.Tests.Tls;

/// <summary>The server's own certificate is replaced before it runs out, and handshakes after that present the new one.</summary>
public sealed class ServerCertificateSourceTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("prov-renew-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private sealed class MovableClock : TimeProvider
    {
        public TimeSpan Ahead { get; set; }
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Ahead;
    }

    [Fact]
    public async Task ALongRunningServerPresentsARenewedCertificateOnceTheOldOneIsDue()
    {
        using var master = MasterKey.LoadOrCreate(Path.Combine(_data, "master.key"));
        using var ca = CertificateAuthority.LoadOrCreate(Path.Combine(_data, "tls"), master, NullLogger.Instance);
        var clock = new MovableClock();
        var source = ServerCertificateSource.FromAuthority(ca, ["localhost"], [IPAddress.Loopback], NullLogger.Instance,
            TimeSpan.FromDays(30), TimeSpan.FromDays(10), clock);

        string first = await HandshakeAsync(source, ca);
        Assert.Equal(first, await HandshakeAsync(source, ca));
        clock.Ahead = TimeSpan.FromDays(19);
        Assert.Equal(first, await HandshakeAsync(source, ca));
        clock.Ahead = TimeSpan.FromDays(21);
        string renewed = await HandshakeAsync(source, ca);
        Assert.NotEqual(first, renewed);
        // Renewed once, not at every handshake.
        Assert.Equal(renewed, await HandshakeAsync(source, ca));
    }

    // One TLS handshake on loopback with the source's current context; the fingerprint of what the client was shown.
    private static async Task<string> HandshakeAsync(ServerCertificateSource source, CertificateAuthority ca)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(socket.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = source.Context });
        });
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var stream = new SslStream(client.GetStream());
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { ca.Certificate },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        });
        await serve;
        return CertificateFingerprint.Of(new X509Certificate2(stream.RemoteCertificate!));
    }
}
