using System.Buffers;

namespace Provisioning.Core.Wrappers;

/// <summary>No encapsulation: node messages go on the line as they are (the node owns the line).</summary>
[TransportWrapperName(TransportWrappers.None)]
public sealed class NoneWrapper : TransportWrapper
{
    /// <inheritdoc/>
    public override string Name => TransportWrappers.None;

    /// <inheritdoc/>
    public override int Overhead => 0;

    /// <inheritdoc/>
    public override void Egress(ReadOnlySpan<byte> nodeMessage, IBufferWriter<byte> line) => line.Write(nodeMessage);

    /// <inheritdoc/>
    public override void Ingress(ReadOnlySpan<byte> lineBytes, IWrapperSink sink) => sink.OnNodeBytes(lineBytes);
}
