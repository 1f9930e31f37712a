using System.Threading.Channels;
using Provisioning.Core.Transport;

namespace Provisioning.Core.Node.Simulator;

/// <summary>
/// The simulator's line as a transport, for an active wrapper's host session: reads return what the line delivered after
/// pacing, noise and faults; writes queue bytes for the send loop, which paces, corrupts and adds noise. So the noise hits
/// the wrapper's own frames, as on a real line.
/// </summary>
internal sealed class SimulatedLine(string name, int baudRate, ChannelReader<byte[]> received, ChannelWriter<byte[]> outgoing) : INodeTransport
{
    private byte[] _pending = [];
    private int _pendingAt;

    public string Name { get; } = name;

    public int? BaudRate { get; } = baudRate;

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        // The send loop changes bytes in place (CorruptEveryNthByte), so it gets its own copy.
        if (!outgoing.TryWrite(data.ToArray())) throw new IOException($"The simulated line {Name} is closed.");
        return ValueTask.CompletedTask;
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (_pendingAt >= _pending.Length)
        {
            if (!await received.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return 0;
            if (received.TryRead(out var next)) (_pending, _pendingAt) = (next, 0);
        }
        int n = Math.Min(buffer.Length, _pending.Length - _pendingAt);
        _pending.AsMemory(_pendingAt, n).CopyTo(buffer);
        _pendingAt += n;
        return n;
    }

    // The stream below belongs to the simulator, which closes it.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
