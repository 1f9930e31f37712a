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

    /// <summary>
    /// True when the wrapper carries the host platform's own messages beside node messages (<see cref="EgressHost"/>).
    /// Wrappers that act on the line by themselves carry them through their session (<see cref="LinkSession.SendHostMessageAsync"/>).
    /// </summary>
    public virtual bool CarriesHostMessages => false;

    /// <summary>
    /// The largest host message <see cref="EgressHost"/> takes, wrapping excluded: what is left of <see cref="MaxMessageSize"/>
    /// (or of <paramref name="maxMessageSize"/>, the host buffer the station was told) once the wrapper's own bytes are counted.
    /// </summary>
    public virtual int MaxHostMessageSize(int maxMessageSize) => 0;

    /// <summary>
    /// Encapsulates one message for (or from) the host platform itself, not for the node, and writes the result to
    /// <paramref name="line"/>: the counterpart of <see cref="IWrapperSink.OnHostMessage"/> on the other end. By default a
    /// wrapper has no host channel and refuses.
    /// </summary>
    public virtual void EgressHost(ReadOnlySpan<byte> hostMessage, IBufferWriter<byte> line)
        => throw new NotSupportedException($"The {Name} wrapper carries node messages only: it has no channel for the host platform's own messages. " +
            $"Use a wrapper that has one ({TransportWrappers.Orw}, {TransportWrappers.Reliable} or {TransportWrappers.OptPsem}) and that the host speaks.");

    /// <summary>
    /// Tells intact host messages from damage, for wrappers whose own integrity check is weak (orw's 8-bit checksum): the
    /// protocol spoken in host messages (the eMCM protocol's CRC-32) supplies it, so the wrapper can take host messages again
    /// right after damage. Null: the wrapper's own rules alone.
    /// </summary>
    public HostMessageCheck? HostMessageCheck { get; set; }
}

/// <summary>
/// Judges the start of a host message: true when <paramref name="received"/> (the first bytes of a message the wrapper says
/// is <paramref name="length"/> bytes long; all of them once available) is an intact message of the protocol, false when it
/// cannot be one, null when more bytes are needed to tell.
/// </summary>
public delegate bool? HostMessageCheck(ReadOnlySpan<byte> received, int length);

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
