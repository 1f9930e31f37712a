using System.Net.Sockets;

namespace Provisioning.Core.Transport;

/// <summary>A TCP connection to a serial-over-IP device server or a node simulator (<c>tcp://host:port</c>).</summary>
public sealed class TcpNodeTransport : INodeTransport
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private TcpNodeTransport(string name, TcpClient client)
    {
        Name = name;
        _client = client;
        _stream = client.GetStream();
    }

    /// <summary>Connects to <paramref name="endpoint"/> (<c>tcp://host:port</c>) with Nagle off, so small messages leave at once.</summary>
    public static async Task<TcpNodeTransport> ConnectAsync(string endpoint, CancellationToken cancellationToken)
    {
        var (host, port) = NodeTransport.ParseTcp(endpoint);
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            client.Dispose();
            string why = e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "nothing accepts connections there",
                SocketError.HostNotFound or SocketError.NoData => "the host name is not known",
                SocketError.TimedOut => "the host did not answer",
                _ => e.Message,
            };
            throw new IOException($"Cannot connect to {endpoint}: {why}. Check that the device server or simulator is running and the address and port are right.", e);
        }
        catch
        {
            client.Dispose();
            throw;
        }
        return new TcpNodeTransport(endpoint, client);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int? BaudRate => null;

    /// <inheritdoc/>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => _stream.WriteAsync(data, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => _stream.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
