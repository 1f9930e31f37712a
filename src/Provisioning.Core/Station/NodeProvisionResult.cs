namespace Provisioning.Core.Station;

/// <summary>The outcome for one device: what <c>Invoke-NodeProvision</c> writes for each port.</summary>
/// <param name="Port">Port as given (serial device name or <c>tcp://host:port</c>).</param>
/// <param name="NodeId">Node ID read from the device; null when the device never answered.</param>
/// <param name="ConfigId">Configuration used; null when it could not be resolved.</param>
/// <param name="Batch">Batch number (guide §7.2.4).</param>
/// <param name="FirmwareUpdated">True when a firmware image was written and activated.</param>
/// <param name="Result">Guide Table 4 return code by name (<see cref="ExitCode"/> is its number).</param>
/// <param name="Message">Table 4 interpretation, then the detail an operator can act on.</param>
/// <param name="Duration">Wall time for this device.</param>
public sealed record NodeProvisionResult(
    string Port, uint? NodeId, ulong? ConfigId, uint Batch, bool FirmwareUpdated,
    ProvExitCode Result, string Message, TimeSpan Duration)
{
    /// <summary>Guide Table 4 return code as a number, as the guide's client returns it (0 is success), like a process's exit code.</summary>
    public int ExitCode => (int)Result;

    /// <summary>Former name of <see cref="ExitCode"/>, kept so scripts written for it keep working.</summary>
    public int Code => ExitCode;

    /// <summary>True when the device was provisioned and confirmed on the server.</summary>
    public bool Succeeded => Result == ProvExitCode.Success;
}
