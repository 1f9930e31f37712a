using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Provisioning.Bench;

/// <summary>Figures of one connection phase: new connections per second and the time each took, in milliseconds.</summary>
internal sealed record ConnectionFigures(string Phase, int Connections, int Parallel, double Seconds, double ConnectionsPerSecond,
    double P50, double P99, double? ClientCpu, double? ServerCpu);

/// <summary>
/// New station connections, one after another on each of a few workers: a TCP connect, for HTTPS a full TLS handshake
/// (no session resumption) presenting the station's client certificate, then one <c>GET /api/v1/health</c> with
/// <c>Connection: close</c> read to its end. The same over plain HTTP is the baseline.
/// </summary>
internal static class Handshakes
{
    public static async Task<ConnectionFigures> RunAsync(string phase, Uri server, X509Certificate2? ca, X509Certificate2? client, int count, int parallel, int serverPid)
    {
        // Warm-up: JIT and the server's first-request work are not what is measured.
        for (int i = 0; i < Math.Min(20, count); i++)
            await ConnectOnceAsync(server, ca, client);
        var times = new long[count];
        long next = -1;
        double? clientCpu = ProcessCpu.Seconds(Environment.ProcessId), serverCpu = ProcessCpu.Seconds(serverPid);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            for (long i; (i = Interlocked.Increment(ref next)) < count;)
            {
                long start = Stopwatch.GetTimestamp();
                await ConnectOnceAsync(server, ca, client);
                times[i] = Stopwatch.GetTimestamp() - start;
            }
        })));
        double seconds = clock.Elapsed.TotalSeconds;
        double? Used(double? before, int? pid) => before is { } b && ProcessCpu.Seconds(pid) is { } after ? after - b : null;
        Array.Sort(times);
        double Ms(double q) => times[Math.Clamp((int)Math.Ceiling(q * count) - 1, 0, count - 1)] * 1000.0 / Stopwatch.Frequency;
        return new ConnectionFigures(phase, count, parallel, seconds, count / seconds, Ms(0.50), Ms(0.99),
            Used(clientCpu, Environment.ProcessId), Used(serverCpu, serverPid));
    }

    private static async Task ConnectOnceAsync(Uri server, X509Certificate2? ca, X509Certificate2? client)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(server.Host, server.Port);
        Stream stream = tcp.GetStream();
        if (server.Scheme == Uri.UriSchemeHttps)
        {
            var tls = new SslStream(stream, leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = server.Host,
                // Every connection a full handshake, as a station's first contact (or a new PC) makes.
                AllowTlsResume = false,
                EnabledSslProtocols = SslProtocols.None,
                ClientCertificates = client is null ? null : new X509CertificateCollection { client },
                RemoteCertificateValidationCallback = ca is null ? null : BenchTls.TrustOnly(ca),
            });
            stream = tls;
        }
        await using (stream)
        {
            byte[] request = Encoding.ASCII.GetBytes($"GET /api/v1/health HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(request);
            var buffer = new byte[4096];
            string? status = null;
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
                status ??= Encoding.ASCII.GetString(buffer, 0, Math.Min(read, 12));
            if (status != "HTTP/1.1 200")
                throw new InvalidOperationException($"GET /api/v1/health over a new connection to {server} did not answer 200.");
        }
    }
}
