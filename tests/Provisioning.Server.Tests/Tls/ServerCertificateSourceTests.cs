using System.Net;
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

    // One TLS handshake with the source's current context; the fingerprint of what the client was shown.
    private static async Task<string> HandshakeAsync(ServerCertificateSource source, CertificateAuthority ca) =>
        CertificateFingerprint.Of((await LoopbackTls.RunAsync(source.Context, ca.Certificate)).Remote);
}
