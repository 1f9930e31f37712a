namespace Provisioning.Core.Transport;

/// <summary>Opens the transport a port name asks for.</summary>
public static class NodeTransport
{
    /// <summary>Default serial line rate (guide: 115200).</summary>
    public const int DefaultBaudRate = 115200;

    /// <summary>
    /// Opens <paramref name="port"/>: <c>tcp://host:port</c> connects over TCP to a device server whose serial line runs at
    /// <paramref name="baudRate"/> (timeouts follow it); anything else is a serial port name opened at <paramref name="baudRate"/>,
    /// 8N1, no flow control. Throws <see cref="IOException"/> saying why a port cannot be opened.
    /// </summary>
    public static async Task<INodeTransport> OpenAsync(string port, int baudRate, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(port);
        if (IsTcp(port))
            return await TcpNodeTransport.ConnectAsync(port, baudRate, cancellationToken).ConfigureAwait(false);
        return SerialNodeTransport.Open(port, baudRate);
    }

    /// <summary>True when <paramref name="port"/> names a TCP endpoint rather than a serial port.</summary>
    public static bool IsTcp(string port) => port.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Host and port of <c>tcp://host:port</c>; <see cref="ArgumentException"/> naming the value when it is malformed.</summary>
    public static (string Host, int Port) ParseTcp(string endpoint)
    {
        if (!IsTcp(endpoint) || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Port < 0 || uri.Host.Length == 0
            || uri.AbsolutePath is not ("" or "/") || uri.Query.Length > 0)
            throw new ArgumentException($"'{endpoint}' is not a TCP endpoint: write tcp://host:port, e.g. tcp://127.0.0.1:4001.", nameof(endpoint));
        return (uri.IdnHost, uri.Port);
    }
}
