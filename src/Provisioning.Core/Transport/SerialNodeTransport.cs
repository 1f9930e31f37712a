using System.IO.Ports;

namespace Provisioning.Core.Transport;

/// <summary>A serial port: 8 data bits, no parity, 1 stop bit, no flow control.</summary>
public sealed class SerialNodeTransport : INodeTransport
{
    private readonly SerialPort _port;
    private readonly Stream _stream;
    private int _closed;

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
            // Checked first: on Unix a missing device also fails as UnauthorizedAccessException.
            string why = e switch
            {
                _ when !Exists(portName) => "it does not exist (no such device: is the adapter plugged in, and is that its name?)",
                UnauthorizedAccessException => "access is denied (another program has it open, or this user may not use it)",
                _ => e.Message,
            };
            throw new IOException($"Cannot open serial port '{portName}': {why}. Check the cable and the port name.", e);
        }
    }

    /// <summary>True when the device is there: a listed COM port on Windows, an existing device file (a live link) elsewhere.</summary>
    private static bool Exists(string portName)
    {
        if (OperatingSystem.IsWindows())
        {
            try { return SerialPort.GetPortNames().Contains(portName, StringComparer.OrdinalIgnoreCase); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return true; }
        }
        return File.Exists(portName);
    }

    /// <inheritdoc/>
    public string Name => _port.PortName;

    /// <inheritdoc/>
    public int? BaudRate => _port.BaudRate;

    /// <summary>
    /// Switches the open port to <paramref name="baudRate"/> (a rate both ends agreed on, e.g. by C12.18 Negotiate), after
    /// what was written so far has left at the old rate.
    /// </summary>
    public void ChangeBaudRate(int baudRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baudRate);
        try { _stream.Flush(); }
        catch (IOException) { /* a pseudo-terminal has nothing to drain */ }
        _port.BaudRate = baudRate;
    }

    /// <inheritdoc/>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => _stream.WriteAsync(data, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => _stream.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0) Close(_port);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Closes <paramref name="port"/> at once, even while a read or write on its stream is pending on another thread;
    /// call it once per port (concurrent closes of one <see cref="SerialPort"/> race inside System.IO.Ports).
    /// </summary>
    /// <remarks>
    /// <c>SerialPort.Dispose()</c> first drains the output (spinning until every queued write is done, then tcdrain):
    /// on a line whose peer is gone that fails with an I/O error or never returns. Closing the stream first ends its I/O loop,
    /// fails pending requests with <see cref="ObjectDisposedException"/> and releases the handle; the port then has nothing left to drain.
    /// </remarks>
    internal static void Close(SerialPort port)
    {
        try
        {
            if (port.IsOpen) port.BaseStream.Dispose();
        }
        catch (IOException) { /* the device went away first; it is closed either way */ }
        catch (InvalidOperationException) { /* not open */ }
        port.Dispose();
    }
}
