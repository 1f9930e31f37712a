namespace Provisioning.Core.Transport;

/// <summary>Opens the transport a port name asks for.</summary>
public static class NodeTransport
{
    /// <summary>Default serial line rate (guide: 115200).</summary>
    public const int DefaultBaudRate = 115200;

    /// <summary>
    /// Opens <paramref name="port"/>: <c>tcp://host:port</c> connects over TCP; anything else is a serial port name
    /// opened at <paramref name="baudRate"/>, 8N1, no flow control. Throws <see cref="IOException"/> saying why a port cannot be opened.
    /// </summary>
    public static Task<INodeTransport> OpenAsync(string port, int baudRate, CancellationToken cancellationToken)
        => throw new NotImplementedException();

    /// <summary>True when <paramref name="port"/> names a TCP endpoint rather than a serial port.</summary>
    public static bool IsTcp(string port) => port.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase);
}
