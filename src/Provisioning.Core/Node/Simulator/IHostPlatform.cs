using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Node.Simulator;

/// <summary>
/// The host platform in front of a simulated node (the processor that shares the line with it, guide Appendix B): it gets
/// the station's host messages, which the wrapper keeps apart from node messages, and answers them. The eMCM simulator
/// plugs in here (<see cref="NodeSimulatorOptions.HostPlatform"/>).
/// </summary>
public interface IHostPlatform
{
    /// <summary>
    /// Answers one host message from the station: the message to send back, or null for none. Called on the link's
    /// receiving thread, one message at a time; it must not block for long (the node's messages wait behind it).
    /// </summary>
    byte[]? Answer(ReadOnlySpan<byte> message);

    /// <summary>The host protocol's own integrity check, given to passive wrappers (see <see cref="TransportWrapper.HostMessageCheck"/>); null: none.</summary>
    HostMessageCheck? MessageCheck { get; }
}
