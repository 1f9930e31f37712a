using System.Management.Automation;
using Provisioning.Core.Emcm;
using Provisioning.Core.Station;
using Provisioning.Core.Wrappers;

namespace Provisioning.PowerShell;

/// <summary>
/// Base of the eMCM station cmdlets (Invoke-EmcmProvision, Invoke-EmcmFactoryStage): the node line's parameters plus the
/// eMCM's (-PartialMcmId, -AppName); -Wrapper defaults to orw, because the none wrapper has no channel for the eMCM.
/// </summary>
public abstract class EmcmStationCmdlet : StationCmdlet<EmcmProvisionResult>
{
    /// <summary>The eMCM flows need a wrapper with a host channel: orw unless the line says otherwise.</summary>
    protected EmcmStationCmdlet() => Wrapper = TransportWrappers.Orw;

    /// <summary>
    /// The guide's --partial_mcm_id: the last 8 hex digits of the eMCM ID (as on the meter's label); the eMCM on the port
    /// must report an ID ending in them (code 3 otherwise, nothing written).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [Alias("McmId")]
    public string? PartialMcmId { get; set; }

    /// <summary>The config's app bundle that holds the eMCM's firmware, configurations and the head end's public key.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string AppName { get; set; } = "emcm";

    /// <inheritdoc/>
    protected override string? ValidateDevice()
    {
        if (PartialMcmId is { } partial && (partial.Length != 8 || !partial.All(char.IsAsciiHexDigit)))
            return $"The partial MCM ID '{partial}' is not 8 hex digits: give -PartialMcmId the last 8 characters of the eMCM ID printed on the meter's label.";
        return null;
    }

    /// <summary>The eMCM request for a device's line.</summary>
    protected virtual EmcmRequest Request(ProvisionRequest line) => new(line) { AppName = AppName, PartialMcmId = PartialMcmId };

    /// <inheritdoc/>
    protected override IEnumerable<string> DescribeChoices()
    {
        if (PartialMcmId is { } partial) yield return $"eMCM ID ending in {partial.ToUpperInvariant()}";
        if (AppName != "emcm") yield return $"app '{AppName}'";
    }

    /// <inheritdoc/>
    protected override ProvExitCode CodeOf(EmcmProvisionResult result) => result.Result;

    /// <inheritdoc/>
    protected override Exception FailureOf(EmcmProvisionResult result) => new EmcmProvisionException(result);
}
