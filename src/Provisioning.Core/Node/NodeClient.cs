using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Node;

/// <summary>Tuning for <see cref="NodeClient"/>.</summary>
public sealed record NodeClientOptions
{
    /// <summary>Time to wait for the first answer on a link before deciding no device is there.</summary>
    public TimeSpan FirstContactTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Base wait for an answer, on top of the line time of the bytes still in flight.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many times a message is sent again after a timeout or a damaged answer.</summary>
    public int Retries { get; init; } = 3;

    /// <summary>Largest image chunk to send; the node's own limit applies when smaller.</summary>
    public int ChunkSize { get; init; } = 4096;

    /// <summary>Chunks in flight at once; the node's own window applies when smaller.</summary>
    public int Window { get; init; } = 4;
}

/// <summary>
/// The station's side of the node protocol (docs/node-protocol.md) over one transport and wrapper.
/// Not thread-safe: one device, one caller.
/// </summary>
public sealed class NodeClient : IAsyncDisposable
{
    /// <summary>Speaks to a node over <paramref name="transport"/>, wrapping messages with <paramref name="wrapper"/>. Takes ownership of the transport.</summary>
    public NodeClient(INodeTransport transport, TransportWrapper wrapper, NodeClientOptions? options = null)
        => throw new NotImplementedException();

    /// <summary>Damaged frames seen and messages sent again on this link so far (robustness counters).</summary>
    public (int DamagedFrames, int Resends) LinkStatistics => throw new NotImplementedException();

    /// <summary>Reads the node's identity and state. Throws <see cref="NodeLinkException"/> (NeverAnswered when nothing answered).</summary>
    public Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>
    /// Sends an image (firmware or configuration) in offset-addressed chunks, resuming from what the node already holds
    /// for the same digest, then commits it; the node checks the whole-image SHA-256 before activating it.
    /// <paramref name="progress"/> gets the bytes the node has confirmed.
    /// </summary>
    public Task WriteImageAsync(NodeImageTarget target, ReadOnlyMemory<byte> image, string version,
        IProgress<long>? progress, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Writes one key into a slot. The caller owns (and zeroes) <paramref name="key"/>.</summary>
    public Task WriteKeyAsync(NodeKeySlot slot, ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
        => throw new NotImplementedException();

    /// <summary>Key check values (3 bytes: AES-ECB of a zero block under the key) of every slot holding a key. Never reads a key back.</summary>
    public Task<IReadOnlyDictionary<NodeKeySlot, byte[]>> GetKeyCheckValuesAsync(CancellationToken cancellationToken)
        => throw new NotImplementedException();

    /// <summary>Secures the given interfaces.</summary>
    public Task LockAsync(NodeLockFlags interfaces, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Restarts the node; it answers before restarting.</summary>
    public Task ResetAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Closes the transport.</summary>
    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
