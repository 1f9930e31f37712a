using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;

namespace Provisioning.Server.Tests.Tls;

/// <summary>What the client's trust refuses from a server that lies about its CA.</summary>
public sealed class ClientTrustTests
{
    private static X509Certificate2 NewCa(string subject, ECDsa key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(10));
    }

    [Fact]
    public async Task APinnedCaCarriedInACertificateItDidNotSignIsRefused()
    {
        // The certificate is signed by one CA but carries another of the same name: the pinned one, which never signed it.
        using var signerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var pinnedKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var signer = NewCa("CN=Provisioning CA", signerKey);
        using var pinned = NewCa("CN=Provisioning CA", pinnedKey);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(IssuingCaExtension.Create(pinned));
        using var issued = request.Create(signer, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), [7, 7, 7, 7]);
        using var leaf = issued.CopyWithPrivateKey(key);

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var socket = await listener.AcceptTcpClientAsync();
            await using var tls = new SslStream(socket.GetStream());
            try { await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = leaf }); }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException) { /* the client refused it */ }
        });

        using var client = new ProvServerClient(new Uri($"https://127.0.0.1:{port}/"), null, ServerTrust.Create(null, [CertificateFingerprint.Of(pinned)]));
        var refused = await Assert.ThrowsAsync<ProvServerException>(() => client.GetHealthAsync());
        await serve;
        Assert.Equal("CertificateNotTrusted", refused.ErrorId);
        Assert.Contains("matches no pinned fingerprint", refused.Message);
        Assert.Contains(CertificateFingerprint.Of(leaf), refused.Message);
    }
}
