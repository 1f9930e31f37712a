using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Provisioning.Core.Gateway.Simulator;

namespace Provisioning.Core.Tests.Gateway;

/// <summary>A raw TCP peer that reads and writes the protocol's lines byte for byte, as a peer written from the published page would.</summary>
internal sealed class RawLinePeer : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly List<byte> _pending = new();

    private RawLinePeer(TcpClient tcp) { _tcp = tcp; _stream = tcp.GetStream(); }

    public static async Task<RawLinePeer> ConnectAsync(string host, int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(host, port);
        return new RawLinePeer(tcp);
    }

    public static RawLinePeer Of(TcpClient tcp) => new(tcp);

    public Task SendAsync(string line) => _stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\n")).AsTask();

    /// <summary>The next line's raw bytes, LF included; null when the peer closed.</summary>
    public async Task<byte[]?> ReadRawAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[512];
        while (true)
        {
            int lf = _pending.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = _pending.Take(lf + 1).ToArray();
                _pending.RemoveRange(0, lf + 1);
                return line;
            }
            int n = await _stream.ReadAsync(buffer, deadline.Token);
            if (n == 0) return null;
            _pending.AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }

    public async Task<string?> ReadAsync(TimeSpan? timeout = null) =>
        await ReadRawAsync(timeout) is { } raw ? Encoding.ASCII.GetString(raw).TrimEnd('\n') : null;

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Certificates made in the test, written as PEM files the way an operator's openssl would leave them.</summary>
internal sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Folder = Directory.CreateTempSubdirectory("gw-tls-").FullName;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Factory Gateway Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        CaPath = Write("ca.crt", ca.ExportCertificatePem());
        (GatewayPath, GatewayKeyPath) = Issue(ca, caKey, "gateway", server: true);
        (StationPath, StationKeyPath) = Issue(ca, caKey, "station", server: false);
        StationBundlePath = Write("station.pem", File.ReadAllText(StationPath) + "\n" + File.ReadAllText(StationKeyPath) + "\n");

        using var otherKey = RSA.Create(2048);
        var other = new CertificateRequest("CN=Some Other CA", otherKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        other.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var otherCa = other.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        OtherCaPath = Write("other-ca.crt", otherCa.ExportCertificatePem());
    }

    public string Folder { get; }
    public string CaPath { get; }
    public string OtherCaPath { get; }
    public string GatewayPath { get; }
    public string GatewayKeyPath { get; }
    public string StationPath { get; }
    public string StationKeyPath { get; }
    public string StationBundlePath { get; }

    private (string Cert, string Key) Issue(X509Certificate2 ca, RSA caKey, string name, bool server)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(8);
        using var issued = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), serial);
        return (Write($"{name}.crt", issued.ExportCertificatePem()), Write($"{name}.key", key.ExportPkcs8PrivateKeyPem()));
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(Folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

internal static class Wait
{
    /// <summary>Waits until <paramref name="condition"/> holds, failing the test after <paramref name="deadline"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan deadline, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > deadline) throw new Xunit.Sdk.XunitException($"Timed out after {deadline.TotalSeconds} s waiting for {what}.");
            await Task.Delay(20);
        }
    }

    public static Task<GatewaySimulator> GatewayAsync(GatewaySimulatorOptions? options = null) =>
        GatewaySimulator.StartAsync((options ?? new GatewaySimulatorOptions()) with { ControlPort = 0 }, CancellationToken.None);
}
