using System.Buffers;
using System.Security;
using Provisioning.Core.Node;
using Provisioning.Core.Station;
using Provisioning.Core.Transport;

namespace Provisioning.Core.Wrappers;

/// <summary>Which end of the line a link session runs: the provisioning station, or the host platform in front of the node.</summary>
public enum LinkRole
{
    /// <summary>The provisioning station (PC side): it opens the session and speaks to the node through it.</summary>
    Station,

    /// <summary>The host platform (device side): it answers the station's session and hands node messages to the node.</summary>
    Host,
}

/// <summary>How a link session is set up. Null values leave the wrapper's own default, derived from <see cref="BaudRate"/>.</summary>
public sealed record LinkOptions
{
    /// <summary>Line rate in bits per second; timers follow it.</summary>
    public int BaudRate { get; init; } = NodeTransport.DefaultBaudRate;

    /// <summary>How long to wait for the peer's answer to one link message before sending it again; null: the wrapper's default for the baud rate.</summary>
    public TimeSpan? ResponseTimeout { get; init; }

    /// <summary>How many times a link message is sent again before the session fails; null: the wrapper's default.</summary>
    public int? Resends { get; init; }

    /// <summary>
    /// Host role: the host's receive buffer in bytes, wrapping included (what it announces to the station). Station role: the
    /// largest link message to send, whatever the host announces. Null: the wrapper's default.
    /// </summary>
    public int? MaxMessageSize { get; init; }

    /// <summary>Receives debug lines (handshakes, resends, damage) for a log; never key material. Null: none.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Password a session presents (station) or expects (host), for wrappers with link security such as opt_psem. Never logged.</summary>
    public SecureString? Password { get; init; }
}

/// <summary>
/// A transport wrapper that acts on the line by itself: acknowledgements, retransmission timers, a session handshake.
/// It is not used through <see cref="TransportWrapper.Egress"/>/<see cref="TransportWrapper.Ingress"/> but opens a
/// <see cref="LinkSession"/> over the line, and the node protocol runs over that session.
/// </summary>
/// <remarks>
/// The station (<see cref="NodeProvisioner"/>) opens a <see cref="LinkRole.Station"/> session over the port and gives
/// <see cref="NodeClient"/> the session with <see cref="LinkSession.NodeWrapper"/>; the node simulator serves its node over a
/// <see cref="LinkRole.Host"/> session placed above its line noise, pacing and fault injection. One instance serves one link.
/// </remarks>
public abstract class LinkWrapper : TransportWrapper
{
    /// <summary>
    /// Opens a session over <paramref name="line"/> and takes ownership of it (disposing the session disposes the line).
    /// Station role: returns once the peer has answered the handshake; throws <see cref="LinkException"/> when it does not.
    /// Host role: returns once ready to serve; the station's handshakes are answered whenever they come.
    /// </summary>
    public abstract Task<LinkSession> OpenAsync(INodeTransport line, LinkRole role, LinkOptions options, CancellationToken cancellationToken);

    /// <summary>Not used: an active wrapper carries node messages through its session.</summary>
    public sealed override void Egress(ReadOnlySpan<byte> nodeMessage, IBufferWriter<byte> line) => throw Passive();

    /// <summary>Not used: an active wrapper carries node messages through its session.</summary>
    public sealed override void Ingress(ReadOnlySpan<byte> lineBytes, IWrapperSink sink) => throw Passive();

    /// <summary>An active wrapper carries host messages through its session (<see cref="LinkSession.SendHostMessageAsync"/>).</summary>
    public override bool CarriesHostMessages => true;

    /// <summary>Not used: an active wrapper carries host messages through its session.</summary>
    public sealed override void EgressHost(ReadOnlySpan<byte> hostMessage, IBufferWriter<byte> line) => throw Passive();

    private NotSupportedException Passive() =>
        new($"The {Name} wrapper acts on the line by itself: open a session with {nameof(OpenAsync)} and send node messages through it.");
}

/// <summary>Counters of one link session, for logs and benchmarks.</summary>
/// <param name="Resends">Link messages sent again (timer expired or the peer asked for them).</param>
/// <param name="Damaged">Link messages received damaged and dropped.</param>
/// <param name="Naks">Negative acknowledgements received (the peer reported damage or a gap).</param>
/// <param name="Resets">Session resets (handshakes) after the first.</param>
/// <param name="LineBytesSent">Bytes written to the line, wrapping included.</param>
/// <param name="LineBytesReceived">Bytes read from the line.</param>
public readonly record struct LinkStatistics(int Resends, int Damaged, int Naks, int Resets, long LineBytesSent, long LineBytesReceived);

/// <summary>A message of the host platform's own (not for the node), carried beside node messages.</summary>
public sealed class LinkHostMessageEventArgs(ReadOnlyMemory<byte> message) : EventArgs
{
    /// <summary>The message, as the peer sent it.</summary>
    public ReadOnlyMemory<byte> Message { get; } = message;
}

/// <summary>
/// An open session of a <see cref="LinkWrapper"/>: a transport for node messages. <see cref="WriteAsync"/> takes exactly one whole
/// node message per call; <see cref="ReadAsync"/> returns the node bytes delivered by the peer, in order, without gaps or
/// duplicates. Failures are <see cref="LinkException"/>s carrying the station's Table 4 code.
/// </summary>
public abstract class LinkSession : INodeTransport
{
    private readonly PassThroughWrapper _nodeWrapper;

    /// <summary>A session of <paramref name="wrapper"/> over <paramref name="line"/>.</summary>
    protected LinkSession(LinkWrapper wrapper, INodeTransport line, LinkRole role, LinkOptions options)
    {
        Wrapper = wrapper ?? throw new ArgumentNullException(nameof(wrapper));
        Line = line ?? throw new ArgumentNullException(nameof(line));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Role = role;
        _nodeWrapper = new PassThroughWrapper(this);
    }

    /// <summary>The wrapper that opened the session.</summary>
    public LinkWrapper Wrapper { get; }

    /// <summary>The line below the session.</summary>
    public INodeTransport Line { get; }

    /// <summary>This end's role.</summary>
    public LinkRole Role { get; }

    /// <summary>The options it was opened with.</summary>
    public LinkOptions Options { get; }

    /// <summary>The line's name (the port).</summary>
    public virtual string Name => Line.Name;

    /// <summary>The line's rate, or the one given in <see cref="Options"/>.</summary>
    public virtual int? BaudRate => Line.BaudRate ?? Options.BaudRate;

    /// <summary>The largest node message <see cref="WriteAsync"/> takes, as agreed with the peer.</summary>
    public abstract int MaxMessageSize { get; }

    /// <summary>The largest host message <see cref="SendHostMessageAsync"/> takes (one message travels whole), as agreed with the peer.</summary>
    public virtual int MaxHostMessageSize => MaxMessageSize;

    /// <summary>
    /// Time the session may add to a node answer on top of line time (its own acknowledgements and resends, a busy peer): the
    /// node protocol allows for it in its response timeouts.
    /// </summary>
    public abstract TimeSpan ExtraLatency { get; }

    /// <summary>Counters so far.</summary>
    public abstract LinkStatistics Statistics { get; }

    /// <summary>
    /// The wrapper to give <see cref="NodeClient"/> (or any node-protocol code written for <see cref="TransportWrapper"/>) with
    /// this session as its transport: it passes node messages through unchanged (overhead 0, <see cref="MaxMessageSize"/> from the session).
    /// </summary>
    public TransportWrapper NodeWrapper => _nodeWrapper;

    /// <summary>Raised, on the session's receiving thread, for each host-platform message the peer sent.</summary>
    public event EventHandler<LinkHostMessageEventArgs>? HostMessageReceived;

    /// <summary>Sends one node message (one call, one whole message of at most <see cref="MaxMessageSize"/> bytes). Completes once the session has taken it.</summary>
    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Reads node bytes delivered by the peer, in order; waits for at least one; 0 once the session is closed.</summary>
    public abstract ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Sends a host-platform message (not for the node) beside node messages.</summary>
    public abstract Task SendHostMessageAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>Ends the session in an orderly way (e.g. C12.18 Logoff and Terminate), after what was written has been delivered. The line stays open until <see cref="DisposeAsync"/>.</summary>
    public abstract Task CloseAsync(CancellationToken cancellationToken);

    /// <summary>Stops the session at once and disposes the line.</summary>
    public abstract ValueTask DisposeAsync();

    /// <summary>Raises <see cref="HostMessageReceived"/> with a copy of <paramref name="message"/>.</summary>
    protected void OnHostMessage(ReadOnlySpan<byte> message) => HostMessageReceived?.Invoke(this, new LinkHostMessageEventArgs(message.ToArray()));

    /// <summary>Hands node messages to the session as they are; what the session delivers is already the node's byte stream.</summary>
    private sealed class PassThroughWrapper(LinkSession session) : TransportWrapper
    {
        public override string Name => session.Wrapper.Name;

        public override int Overhead => 0;

        public override int MaxMessageSize => session.MaxMessageSize;

        public override void Egress(ReadOnlySpan<byte> nodeMessage, IBufferWriter<byte> line) => line.Write(nodeMessage);

        public override void Ingress(ReadOnlySpan<byte> lineBytes, IWrapperSink sink) => sink.OnNodeBytes(lineBytes);
    }

    /// <summary>True for the wrapper of a session: its bytes arrive in order and intact, so a partly received frame is never stale.</summary>
    internal static bool IsSessionWrapper(TransportWrapper wrapper) => wrapper is PassThroughWrapper;
}

/// <summary>A link session failed: no handshake answer, a message never acknowledged, a refused logon. Carries the station's Table 4 code.</summary>
public sealed class LinkException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The Table 4 code the station reports (e.g. <see cref="ProvExitCode.NoDevice"/> when nothing answered the handshake).</param>
    /// <param name="message">What failed, for an operator; never a password.</param>
    /// <param name="inner">Underlying error, if any.</param>
    public LinkException(ProvExitCode code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>The station's return code for this failure.</summary>
    public ProvExitCode Code { get; }

    /// <summary>What to check or change, for an operator; null when provisioning again may simply work.</summary>
    public string? Advice { get; init; }

    /// <summary>The first <see cref="LinkException"/> in <paramref name="e"/> or its inner exceptions, or null.</summary>
    public static LinkException? Find(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is LinkException link) return link;
        return null;
    }
}
