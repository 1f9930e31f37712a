namespace Provisioning.Core.Transport;

/// <summary>A byte link to one device: a serial port or a TCP connection (serial-over-IP device server, simulator).</summary>
public interface INodeTransport : IAsyncDisposable
{
    /// <summary>The port as the user named it: <c>/dev/ttyUSB0</c>, <c>COM3</c> or <c>tcp://host:port</c>.</summary>
    string Name { get; }

    /// <summary>Line rate in bits per second: a serial port's, or that of the serial line behind a device server (TCP); null when unknown (115200 is assumed).</summary>
    int? BaudRate { get; }

    /// <summary>Writes all of <paramref name="data"/>.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Reads what has arrived, waiting for at least one byte; 0 when the link is closed.</summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}
