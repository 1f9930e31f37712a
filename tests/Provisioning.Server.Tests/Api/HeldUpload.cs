using System.Net.Sockets;
using System.Text;
using Provisioning.Core.Api;

namespace Provisioning.Server.Tests.Api;

/// <summary>
/// A package upload sent by hand over a raw connection, so a test can stop partway: leave it hanging, finish it later,
/// or drop the connection — what HttpClient cannot do on purpose.
/// </summary>
public sealed class HeldUpload : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly byte[] _body;
    private int _sent;

    private HeldUpload(TcpClient tcp, byte[] body)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _body = body;
    }

    /// <summary>Sends the request head and the first <paramref name="fraction"/> of the body of an import upload.</summary>
    public static async Task<HeldUpload> StartAsync(Uri server, string token, string package, double fraction)
    {
        using var form = ServerApiTests.Upload(package, TestNetwork.Passphrase);
        byte[] body = await form.ReadAsByteArrayAsync();
        var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var upload = new HeldUpload(tcp, body);
        string head = $"POST {ApiRoutes.Packages} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {token}\r\n" +
                      $"Content-Type: {form.Headers.ContentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await upload._stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await upload.SendAsync((int)(body.Length * fraction));
        return upload;
    }

    /// <summary>Sends the rest of the body and returns the response's status line.</summary>
    public async Task<string> FinishAsync()
    {
        await SendAsync(_body.Length - _sent);
        using var reader = new StreamReader(_stream, leaveOpen: true);
        return (await reader.ReadLineAsync())!;
    }

    private async Task SendAsync(int count)
    {
        await _stream.WriteAsync(_body.AsMemory(_sent, count));
        await _stream.FlushAsync();
        _sent += count;
    }

    /// <summary>Drops the connection, cutting the upload short if it is not finished.</summary>
    public void Dispose() => _tcp.Dispose();
}
