using System.IO.Ports;

namespace Provisioning.Core.Transport;

/// <summary>A serial port: 8 data bits, no parity, 1 stop bit, no flow control.</summary>
public sealed class SerialNodeTransport : INodeTransport
{
    private readonly SerialPort _port;
    private readonly Stream _stream;

    private SerialNodeTransport(SerialPort port)
    {
        _port = port;
        _stream = port.BaseStream;
    }

    /// <summary>Opens <paramref name="portName"/> at <paramref name="baudRate"/>. Throws <see cref="IOException"/> naming the port when it cannot be opened.</summary>
    public static SerialNodeTransport Open(string portName, int baudRate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(portName);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baudRate);
        return new SerialNodeTransport(OpenPort(portName, baudRate));
    }

    /// <summary>Opens a serial port for a node link; shared with the node simulator.</summary>
    internal static SerialPort OpenPort(string portName, int baudRate)
    {
        // DTR and RTS stay off: on a pseudo-terminal (socat pair) setting them fails with "Inappropriate ioctl".
        var port = new SerialPort(portName, baudRate, Parity.None, 8, StopBits.One)
        {
            Handshake = Handshake.None,
            DtrEnable = false,
            RtsEnable = false,
            ReadBufferSize = 64 * 1024,
            WriteBufferSize = 64 * 1024,
        };
        try
        {
            port.Open();
            return port;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            port.Dispose();
            string why = e switch
            {
                UnauthorizedAccessException => "access is denied (another program has it open, or this user may not use it)",
                _ when !OperatingSystem.IsWindows() && !File.Exists(portName) => "no such device",
                _ => e.Message,
            };
            throw new IOException($"Cannot open serial port '{portName}': {why}. Check the cable and the port name.", e);
        }
    }

    /// <inheritdoc/>
    public string Name => _port.PortName;

    /// <inheritdoc/>
    public int? BaudRate => _port.BaudRate;

    /// <inheritdoc/>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => _stream.WriteAsync(data, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => _stream.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _port.Dispose();
        return ValueTask.CompletedTask;
    }
}
