using System.Buffers;

namespace Provisioning.Core.Wrappers;

/// <summary>
/// A transport wrapper (guide Appendix B): encapsulates node messages for a host platform that shares the
/// line with its own traffic. One instance serves one link (it keeps the receive buffer), so
/// <see cref="TransportWrappers.Create"/> makes a new one per connection.
/// </summary>
/// <remarks>
/// Wrappers are symmetric: the station wraps messages to the node with <see cref="Egress"/> and unwraps the
/// node's with <see cref="Ingress"/>; the node simulator does the same in the other direction.
/// A user wrapper derives from this class, has a public parameterless constructor and carries
/// <see cref="TransportWrapperNameAttribute"/>; once its assembly is loaded it is chosen by that name.
/// </remarks>
public abstract class TransportWrapper
{
    /// <summary>The name users pass to <c>-Wrapper</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Bytes this wrapper adds around each node message (for link-time estimates).</summary>
    public abstract int Overhead { get; }

    /// <summary>
    /// The largest message, wrapping included, this wrapper puts on the line: what the host platform's receive buffer takes.
    /// The station sizes image chunks so every wrapped message fits. By default the longest node frame plus
    /// <see cref="Overhead"/> (no limit of its own); a wrapper for a host with a smaller buffer overrides it, and
    /// <c>-MaxMessageSize</c> overrides both.
    /// </summary>
    public virtual int MaxMessageSize => Node.NodeFrame.MaxLength + Overhead;

    /// <summary>Appendix B <c>egressWrapper</c>: encapsulates one node message and writes the result to <paramref name="line"/>.</summary>
    public abstract void Egress(ReadOnlySpan<byte> nodeMessage, IBufferWriter<byte> line);

    /// <summary>
    /// Appendix B <c>ingressWrapper</c>: takes bytes as they arrive from the line (any split). Node bytes go to
    /// <see cref="IWrapperSink.OnNodeBytes"/> (they need not be whole node frames), other traffic to
    /// <see cref="IWrapperSink.OnHostMessage"/>, damage to <see cref="IWrapperSink.OnDamaged"/>.
    /// </summary>
    public abstract void Ingress(ReadOnlySpan<byte> lineBytes, IWrapperSink sink);

    /// <summary>Forgets any partly received message (after a link restart).</summary>
    public virtual void Reset() { }
}

/// <summary>Where a wrapper hands what it unwrapped.</summary>
public interface IWrapperSink
{
    /// <summary>Bytes of the node's own message stream.</summary>
    void OnNodeBytes(ReadOnlySpan<byte> nodeBytes);

    /// <summary>A message on the line that is not for the node protocol (the host platform's own traffic).</summary>
    void OnHostMessage(ReadOnlySpan<byte> message);

    /// <summary>A wrapped message failed its integrity check and was dropped.</summary>
    void OnDamaged(string reason);
}

/// <summary>Names a user transport wrapper so <c>-Wrapper name</c> finds it among loaded assemblies.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class TransportWrapperNameAttribute(string name) : Attribute
{
    /// <summary>The wrapper's name.</summary>
    public string Name { get; } = name;
}
