using System.Net.Sockets;

namespace Provisioning.Core.Transport;

/// <summary>
/// A TCP connection to a serial-over-IP device server or a node simulator (<c>tcp://host:port</c>). A device server has a
/// real serial line behind it, so the link has that line's baud rate (default 115200) for timing.
/// </summary>
public sealed class TcpNodeTransport : INodeTransport
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private TcpNodeTransport(string name, TcpClient client, int baudRate)
    {
        Name = name;
        BaudRate = baudRate;
        _client = client;
        _stream = client.GetStream();
    }

    /// <summary>Connects to <paramref name="endpoint"/> (<c>tcp://host:port</c>) with Nagle off, so small messages leave at once; the line behind it runs at 115200 baud.</summary>
    public static Task<TcpNodeTransport> ConnectAsync(string endpoint, CancellationToken cancellationToken)
        => ConnectAsync(endpoint, NodeTransport.DefaultBaudRate, cancellationToken);

    /// <summary>Connects to <paramref name="endpoint"/> whose device server drives a serial line at <paramref name="baudRate"/>.</summary>
    public static async Task<TcpNodeTransport> ConnectAsync(string endpoint, int baudRate, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baudRate);
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
        return new TcpNodeTransport(endpoint, client, baudRate);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The rate of the serial line behind the device server (as given to connect), used for timeouts.</summary>
    public int? BaudRate { get; }

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
