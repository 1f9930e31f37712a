using System.Management.Automation;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Starts a simulated node on a serial port or a TCP port, in this PowerShell process, for rehearsing station scripts without hardware.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "ProvNodeSimulator", SupportsShouldProcess = true, DefaultParameterSetName = SerialSet)]
[OutputType(typeof(NodeSimulator))]
public class StartProvNodeSimulatorCommand : ProvCmdlet
{
    /// <summary>Parameter set of a simulator on a serial device.</summary>
    protected const string SerialSet = "Serial";
    /// <summary>Parameter set of a simulator on a TCP port.</summary>
    protected const string TcpSet = "Tcp";

    /// <summary>Serial device the node sits on.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = SerialSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [Alias("Port", "PortB")]
    [ArgumentCompleter(typeof(SerialPortCompleter))]
    public string? PortName { get; set; }

    /// <summary>tcp://127.0.0.1:port to listen on.</summary>
    [Parameter(Mandatory = true, ParameterSetName = TcpSet)]
    [ValidateNotNullOrEmpty]
    public string? Listen { get; set; }

    /// <summary>Node ID, decimal or 0x hex.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [NodeIdTransformation]
    public uint NodeId { get; set; } = 1;

    /// <summary>Node type reported.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeTypeCompleter))]
    public string? NodeType { get; set; }

    /// <summary>Hardware type reported.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HardwareType { get; set; }

    /// <summary>Firmware version at start.</summary>
    [Parameter]
    [AllowEmptyString]
    public string? FirmwareVersion { get; set; }

    /// <summary>Transport wrapper name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(WrapperCompleter))]
    public string Wrapper { get; set; } = "none";

    /// <summary>State file (the node's flash).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StatePath { get; set; }

    /// <summary>Line rate.</summary>
    [Parameter]
    [ValidateRange(300, 4_000_000)]
    public int BaudRate { get; set; } = 115200;

    /// <summary>Pace the line at the baud rate.</summary>
    [Parameter]
    public SwitchParameter Pace { get; set; }

    /// <summary>Largest configuration the node holds.</summary>
    [Parameter]
    public uint ConfigCapacity { get; set; } = 64 * 1024;

    /// <summary>Node protocol version reported.</summary>
    [Parameter]
    [ValidateRange(1, 255)]
    public byte ProtocolVersion { get; set; } = 1;

    /// <summary>Calibration state reported.</summary>
    [Parameter]
    public CalibrationStatus Calibration { get; set; } = CalibrationStatus.Valid;

    /// <summary>Fault: refuse firmware at commit.</summary>
    [Parameter]
    public SwitchParameter RejectFirmware { get; set; }

    /// <summary>Fault: report wrong key check values.</summary>
    [Parameter]
    public SwitchParameter FailKeyVerification { get; set; }

    /// <summary>Fault: drop the link after this many received bytes.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long DropLinkAfterBytes { get; set; }

    /// <summary>Fault: lose every byte received after this many, while the link stays up.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long LoseAfterBytes { get; set; }

    /// <summary>Fault (wrappers with a session, such as reliable): the host restarts after this many received bytes and forgets its session.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long RestartHostAfterBytes { get; set; }

    /// <summary>Fault: flip a bit in every Nth byte sent.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int CorruptEveryNthByte { get; set; }

    /// <summary>Fault: answer nothing.</summary>
    [Parameter]
    public SwitchParameter Silent { get; set; }

    /// <summary>Fault: stop at a step boundary: the first request of this type is not processed, and the node answers nothing until Release().</summary>
    [Parameter]
    [ValidateSet("GetInfo", "ImageBegin", "ImageChunk", "ImageCommit", "KeyWrite", "KeyCheck", "Lock", "Reset", IgnoreCase = true)]
    public NodeMessageType HoldAt { get; set; }
    /// <summary>Largest message, wrapping included, the node's host takes; longer ones are dropped unanswered (default: the wrapper's, 512 for orw).</summary>
    [Parameter]
    [ValidateRange(NodeSimulator.MinMessageSize, 65535)]
    public int MaxMessageSize { get; set; }

    /// <summary>Line noise: chance that a bit is flipped, both directions.</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double BitErrorRate { get; set; }

    /// <summary>Line noise: chance that a byte is lost, both directions.</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double ByteDropRate { get; set; }

    /// <summary>Seed of the line noise, so a run can be replayed.</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>opt_psem: the C12.18 security password the simulated meter expects before it passes node messages.</summary>
    [Parameter]
    [ValidateNotNull]
    public System.Security.SecureString? OpticalPassword { get; set; }

    /// <summary>opt_psem: largest packet the simulated meter negotiates (default 1024; with -MaxMessageSize, that buffer with one packet per message).</summary>
    [Parameter]
    [ValidateRange(Core.Wrappers.Psem.PsemPacket.DefaultPacketSize, Core.Wrappers.Psem.PsemPacket.MaxPacketSize)]
    public int OpticalPacketSize { get; set; }

    /// <summary>opt_psem: most packets per message the simulated meter negotiates (default 8).</summary>
    [Parameter]
    [ValidateRange(1, 255)]
    public int OpticalPackets { get; set; }

    /// <summary>opt_psem fault: the meter answers NAK to every packet.</summary>
    [Parameter]
    public SwitchParameter OpticalNakEveryPacket { get; set; }

    /// <summary>opt_psem fault: the meter refuses Negotiate with this C12.18 response code (Sns: the meter lacks the service, and the station keeps the defaults).</summary>
    [Parameter]
    [ValidateSet("Err", "Sns", "Bsy", "Isss", IgnoreCase = true)]
    public Core.Wrappers.Psem.PsemResponseCode OpticalRefuseNegotiate { get; set; }

    /// <summary>opt_psem fault: the meter stops answering once this many packets arrived, until the line has been quiet for 6 s (once).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int OpticalStopAfterPackets { get; set; }

    /// <summary>The factory gateway in radio range: its RadioEndpoint (host:port) or the object Start-ProvGatewaySimulator returned.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [GatewayEndpointTransformation]
    public string? Gateway { get; set; }

    private Core.Wrappers.Psem.PsemMeterSettings? OpticalMeter()
    {
        var bound = MyInvocation.BoundParameters;
        if (!bound.ContainsKey(nameof(OpticalPacketSize)) && !bound.ContainsKey(nameof(OpticalPackets)) && !OpticalNakEveryPacket
            && !bound.ContainsKey(nameof(OpticalRefuseNegotiate)) && !bound.ContainsKey(nameof(OpticalStopAfterPackets)))
            return null;
        var meter = new Core.Wrappers.Psem.PsemMeterSettings();
        return meter with
        {
            MaxPacketSize = bound.ContainsKey(nameof(OpticalPacketSize)) ? OpticalPacketSize : meter.MaxPacketSize,
            MaxPackets = bound.ContainsKey(nameof(OpticalPackets)) ? OpticalPackets : meter.MaxPackets,
            Faults = new Core.Wrappers.Psem.PsemMeterFaults
            {
                NakEveryPacket = OpticalNakEveryPacket,
                RefuseNegotiate = bound.ContainsKey(nameof(OpticalRefuseNegotiate)) ? OpticalRefuseNegotiate : null,
                StopAnsweringAfterPackets = bound.ContainsKey(nameof(OpticalStopAfterPackets)) ? OpticalStopAfterPackets : null,
            },
        };
    }

    /// <summary>What is started, for -WhatIf and -Confirm.</summary>
    protected virtual string Describe(string where) => $"node {NodeId} (0x{NodeId:X8}) on {where}";

    /// <summary>The action, for -WhatIf and -Confirm.</summary>
    protected virtual string StartAction => "Start node simulator";

    /// <summary>Starts the simulator the parameters describe (a derived cmdlet starts what sits in front of the node).</summary>
    protected virtual object Start(NodeSimulatorOptions options) => Await(NodeSimulator.StartAsync(options, Cancellation));

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var defaults = new NodeSimulatorOptions();
        var options = defaults with
        {
            PortName = PortName,
            Listen = Listen,
            NodeId = NodeId,
            NodeType = NodeType ?? defaults.NodeType,
            HardwareType = HardwareType ?? defaults.HardwareType,
            FirmwareVersion = FirmwareVersion ?? defaults.FirmwareVersion,
            Wrapper = Wrapper,
            StatePath = StatePath is null ? null : ResolvePath(StatePath),
            BaudRate = BaudRate,
            Pace = Pace,
            ConfigCapacity = ConfigCapacity,
            Calibration = Calibration,
            ProtocolVersion = ProtocolVersion,
            MaxMessageSize = MyInvocation.BoundParameters.ContainsKey(nameof(MaxMessageSize)) ? MaxMessageSize : null,
            LinkPassword = OpticalPassword ?? defaults.LinkPassword,
            OptPsemMeter = OpticalMeter(),
            Gateway = Gateway,
            Noise = new LineNoise
            {
                BitErrorRate = BitErrorRate,
                ByteDropRate = ByteDropRate,
                Seed = MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? Seed : null,
            },
            Faults = new NodeFaults
            {
                RejectFirmware = RejectFirmware,
                FailKeyVerification = FailKeyVerification,
                DropLinkAfterBytes = MyInvocation.BoundParameters.ContainsKey(nameof(DropLinkAfterBytes)) ? DropLinkAfterBytes : null,
                CorruptEveryNthByte = MyInvocation.BoundParameters.ContainsKey(nameof(CorruptEveryNthByte)) ? CorruptEveryNthByte : null,
                LoseAfterBytes = MyInvocation.BoundParameters.ContainsKey(nameof(LoseAfterBytes)) ? LoseAfterBytes : null,
                RestartHostAfterBytes = MyInvocation.BoundParameters.ContainsKey(nameof(RestartHostAfterBytes)) ? RestartHostAfterBytes : null,
                Silent = Silent,
                HoldAt = MyInvocation.BoundParameters.ContainsKey(nameof(HoldAt)) ? HoldAt : null,
            },
        };
        string where = PortName ?? Listen!;
        if (!ShouldProcess(Describe(where), StartAction)) return;
        try
        {
            WriteObject(Start(options));
        }
        catch (ArgumentException e) { WriteError(Error(e, "InvalidSimulatorOptions", ErrorCategory.InvalidArgument, where)); }
        catch (InvalidDataException e) { WriteError(Error(e, "StateFileInvalid", ErrorCategory.InvalidData, options.StatePath)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(Error(e, "SimulatorPortUnavailable", ErrorCategory.OpenError, where));
        }
    }
}
