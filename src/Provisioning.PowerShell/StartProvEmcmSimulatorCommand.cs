using System.Management.Automation;
using Provisioning.Core.Emcm.Simulator;
using Provisioning.Core.Node.Simulator;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Starts a simulated eMCM meter module (the host processor and the node behind it, on one line) on a serial port or a TCP port, in this PowerShell process.</para>
/// </summary>
/// <remarks>
/// It takes every parameter of Start-ProvNodeSimulator (the line and the node behind the eMCM) and adds the eMCM's own.
/// </remarks>
[Cmdlet(VerbsLifecycle.Start, "ProvEmcmSimulator", SupportsShouldProcess = true, DefaultParameterSetName = SerialSet)]
[OutputType(typeof(EmcmSimulator))]
public sealed class StartProvEmcmSimulatorCommand : StartProvNodeSimulatorCommand
{
    /// <summary>The eMCM ID, 16 hex digits.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidatePattern("^[0-9A-Fa-f]{16}$")]
    public string? EmcmId { get; set; }

    /// <summary>The eMCM firmware version it starts with.</summary>
    [Parameter]
    [AllowEmptyString]
    public string? EmcmFirmwareVersion { get; set; }

    /// <summary>The eMCM host type.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HostType { get; set; }

    /// <summary>What the meter answers to the eMCM's link check.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MeterId { get; set; }

    /// <summary>The eMCM's state file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EmcmStatePath { get; set; }

    /// <summary>eMCM faults to inject.</summary>
    [Parameter]
    [ValidateSet(nameof(EmcmFaults.NoAnswer), nameof(EmcmFaults.HostError), nameof(EmcmFaults.KeyVerificationFails),
        nameof(EmcmFaults.HardwareFails), nameof(EmcmFaults.MeterNotAnswering), IgnoreCase = true)]
    public EmcmFaults[]? Fault { get; set; }

    /// <inheritdoc/>
    protected override string Describe(string where) => $"eMCM {EmcmId ?? $"EC000000{NodeId:X8}"} with node {NodeId} (0x{NodeId:X8}) on {where}";

    /// <inheritdoc/>
    protected override string StartAction => "Start eMCM simulator";

    /// <inheritdoc/>
    protected override object Start(NodeSimulatorOptions options)
    {
        var defaults = new EmcmSimulatorOptions();
        var emcm = defaults with
        {
            Node = options,
            EmcmId = EmcmId,
            HostType = HostType ?? defaults.HostType,
            FirmwareVersion = EmcmFirmwareVersion ?? defaults.FirmwareVersion,
            MeterId = MeterId,
            StatePath = EmcmStatePath is null ? null : ResolvePath(EmcmStatePath),
            Faults = (Fault ?? []).Aggregate(EmcmFaults.None, static (all, f) => all | f),
        };
        return Await(EmcmSimulator.StartAsync(emcm, Cancellation));
    }
}
