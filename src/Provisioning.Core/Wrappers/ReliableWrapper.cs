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
    public override int Overhead => ReliableFrame.Overhead;

    /// <summary>The host buffer assumed when none is given: a frame of 1 KiB of data and its overhead.</summary>
    public override int MaxMessageSize => ReliableSession.DefaultMaxFrame;

    /// <inheritdoc/>
    public override async Task<LinkSession> OpenAsync(INodeTransport line, LinkRole role, LinkOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxMessageSize is { } max && (max < ReliableFrame.MinFrame || max > ReliableFrame.MaxFrame))
            throw new ArgumentException($"A reliable host buffer is {ReliableFrame.MinFrame} to {ReliableFrame.MaxFrame} bytes, not {max}.", nameof(options));
        var session = new ReliableSession(this, line, role, options);
        if (role == LinkRole.Host) return session;
        try
        {
            await session.OpenAsync(cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
