using Provisioning.Core.Transport;

namespace Provisioning.Core.Wrappers;

/// <summary>
/// The reliable transport for UART hosts whose line is not 100 % reliable (docs/wrappers.md, "reliable"): CRC-16 frames,
/// sequence numbers, a sliding window with selective acknowledgement, retransmission timers derived from the line rate,
/// a reset handshake, host messages beside node messages and a negotiated frame size.
/// </summary>
[TransportWrapperName(TransportWrappers.Reliable)]
public sealed class ReliableWrapper : LinkWrapper
{
    /// <inheritdoc/>
    public override string Name => TransportWrappers.Reliable;

    /// <inheritdoc/>
    public override int Overhead => 8;

    /// <inheritdoc/>
    public override Task<LinkSession> OpenAsync(INodeTransport line, LinkRole role, LinkOptions options, CancellationToken cancellationToken)
        => throw new NotImplementedException("The reliable wrapper's session is not built yet.");
}
