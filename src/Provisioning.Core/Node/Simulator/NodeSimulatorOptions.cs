namespace Provisioning.Core.Node.Simulator;

/// <summary>How a simulated node is set up. Exactly one of <see cref="PortName"/> and <see cref="Listen"/>.</summary>
public sealed record NodeSimulatorOptions
{
    /// <summary>Serial device the node sits on (e.g. one end of a socat pair).</summary>
    public string? PortName { get; init; }

    /// <summary><c>tcp://127.0.0.1:port</c> to listen on (port 0: any free port); one connection at a time.</summary>
    public string? Listen { get; init; }

    /// <summary>Node ID reported.</summary>
    public uint NodeId { get; init; } = 1;

    /// <summary>Node type reported; by default a microNode, as the packages of the guide's examples expect.</summary>
    public string NodeType { get; init; } = KnownNodeTypes.MicroNode;

    /// <summary>Hardware type reported.</summary>
    public string HardwareType { get; init; } = "rev-b";

    /// <summary>Firmware version the node starts with (empty: no firmware).</summary>
    public string FirmwareVersion { get; init; } = "1.0.0";

    /// <summary>Transport wrapper on the line.</summary>
    public string Wrapper { get; init; } = "none";

    /// <summary>JSON state file (the node's flash): kept across restarts. Null: in memory only.</summary>
    public string? StatePath { get; init; }

    /// <summary>Line rate; used for pacing and for the serial port.</summary>
    public int BaudRate { get; init; } = 115200;

    /// <summary>Pace the line at <see cref="BaudRate"/> (10 bits per byte, both directions) so link time is realistic.</summary>
    public bool Pace { get; init; }

    /// <summary>Largest configuration the node holds, bytes.</summary>
    public uint ConfigCapacity { get; init; } = 64 * 1024;

    /// <summary>Node protocol version reported (1 is the one this module speaks); another value rehearses an incompatible node.</summary>
    public byte ProtocolVersion { get; init; } = 1;

    /// <summary>Calibration state reported.</summary>
    public CalibrationStatus Calibration { get; init; } = CalibrationStatus.Valid;

    /// <summary>Faults to inject.</summary>
    public NodeFaults Faults { get; init; } = new();

    /// <summary>
    /// The largest message, wrapping included, the node's host takes (its receive buffer); longer ones are dropped unanswered,
    /// as the guide's host code (B.2.2) would. Null: the wrapper's own <see cref="Wrappers.TransportWrapper.MaxMessageSize"/>
    /// (512 for orw).
    /// </summary>
    public int? MaxMessageSize { get; init; }

    /// <summary>Bit errors and lost bytes on both directions of the line.</summary>
    public LineNoise Noise { get; init; } = new();

    /// <summary>Password the host's link session expects (wrappers with link security, such as opt_psem); null: none.</summary>
    public System.Security.SecureString? LinkPassword { get; init; }

    /// <summary>opt_psem only: how the simulated meter negotiates (packet size, packets per message) and which optical-port faults it injects; null: the defaults.</summary>
    public Wrappers.Psem.PsemMeterSettings? OptPsemMeter { get; init; }

    /// <summary>Receives the host link session's debug lines (handshakes, resends); null: none.</summary>
    public Action<string>? LinkLog { get; init; }

    /// <summary>
    /// The factory gateway's radio endpoint (<c>host:port</c>) in range of this node, for the over-the-air test: a node whose
    /// active factory configuration names that gateway's network joins it (see docs/gateway-protocol.md). Null: no gateway in range.
    /// </summary>
    public string? Gateway { get; init; }

    /// <summary>
    /// The host platform in front of the node, answering the station's host messages (orw's non-node messages, the reliable
    /// wrapper's host frames, opt_psem's host table); the eMCM simulator is one. Null: behind an active wrapper each host
    /// message is echoed back, behind orw host messages are ignored.
    /// </summary>
    public IHostPlatform? HostPlatform { get; init; }
}

/// <summary>Faults a simulated node injects, to rehearse what the line meets.</summary>
public sealed record NodeFaults
{
    /// <summary>Refuse every firmware image at commit (ImageRejected).</summary>
    public bool RejectFirmware { get; init; }

    /// <summary>Report wrong key check values, so verification fails.</summary>
    public bool FailKeyVerification { get; init; }

    /// <summary>Drop the link (close it, like a pulled cable) once this many bytes have been received; null: never.</summary>
    public long? DropLinkAfterBytes { get; init; }

    /// <summary>
    /// Lose every byte received once this many have arrived (counted over the simulator's life), while the link stays up:
    /// a line that stops carrying, so every frame of a window is lost; null: never.
    /// </summary>
    public long? LoseAfterBytes { get; init; }

    /// <summary>
    /// For wrappers with a session of their own (reliable, opt_psem): the host restarts once this many bytes have been
    /// received (once over the simulator's life). Its session is forgotten and a new one waits for the station's handshake;
    /// the node keeps what it holds. Null: never.
    /// </summary>
    public long? RestartHostAfterBytes { get; init; }

    /// <summary>Flip one bit in every Nth byte the node sends; null: never.</summary>
    public int? CorruptEveryNthByte { get; init; }

    /// <summary>Answer nothing at all (a dead device on the port).</summary>
    public bool Silent { get; init; }

    /// <summary>
    /// Stop at a step boundary: when the first request of this type arrives, the node does not process it, sets
    /// <see cref="NodeSimulator.Held"/> and answers nothing until <see cref="NodeSimulator.Release"/>; null: never.
    /// </summary>
    public NodeMessageType? HoldAt { get; init; }
}
