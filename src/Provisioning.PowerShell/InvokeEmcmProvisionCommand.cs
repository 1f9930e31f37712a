using System.Management.Automation;
using Provisioning.Core.Emcm;
using Provisioning.Core.Station;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Provisions eMCM meters in one stage (the guide's emcm_provision): node and eMCM firmware, configurations, a node root key and an eMCM key recorded on the server, verification and lock.</para>
/// </summary>
/// <remarks>Meters run in parallel up to -ThrottleLimit; one result per meter, and an error for a failed one.</remarks>
[Cmdlet(VerbsLifecycle.Invoke, "EmcmProvision", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(EmcmProvisionResult))]
public sealed class InvokeEmcmProvisionCommand : EmcmStationCmdlet
{
    /// <summary>Writes the factory configurations of node and eMCM instead of the field ones (the guide's --factory-config).</summary>
    [Parameter]
    public SwitchParameter FactoryConfig { get; set; }

    /// <summary>Writes firmware and configurations only: no key generated, written or recorded (the guide's --skip-keys).</summary>
    [Parameter]
    public SwitchParameter SkipKeys { get; set; }

    /// <inheritdoc/>
    protected override int OverallActivityId => 61;

    /// <inheritdoc/>
    protected override string OverallActivity => "Provisioning eMCM meters";

    /// <inheritdoc/>
    protected override bool FactoryConfigRequested => FactoryConfig;

    /// <inheritdoc/>
    protected override bool SkipKeysRequested => SkipKeys;

    /// <inheritdoc/>
    protected override string Action(ConfigSelector selector, uint batch) => $"Provision the node and eMCM with {selector}, batch {batch}";

    /// <inheritdoc/>
    protected override Task<EmcmProvisionResult> StartAsync(StationRun run, ProvisionRequest request, ConfigSelector selector,
        IProgress<ProvisionProgress> progress, CancellationToken cancellationToken)
        => run.ProvisionEmcmAsync(Request(request), selector, progress, cancellationToken);

    /// <inheritdoc/>
    protected override EmcmProvisionResult Failed(string port, uint batch, ProvExitCode code, string message)
        => new(port, "Provision", null, null, null, batch, false, false, code, message, TimeSpan.Zero);
}
