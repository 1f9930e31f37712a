using System.Management.Automation;
using Provisioning.Core.Station;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Provisions nodes on serial or TCP ports: firmware, configuration, a unique root key recorded on the server, gateway keys, verification and lock.</para>
/// </summary>
/// <remarks>
/// Devices run in parallel up to -ThrottleLimit (see <see cref="StationCmdlet{TResult}"/>). Every device gets one result
/// object; a failed one also gets a non-terminating error whose ID names its Table 4 code.
/// </remarks>
[Cmdlet(VerbsLifecycle.Invoke, "NodeProvision", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(NodeProvisionResult))]
public sealed class InvokeNodeProvisionCommand : StationCmdlet<NodeProvisionResult>
{
    /// <summary>Writes the factory configuration instead of the field configuration.</summary>
    [Parameter]
    public SwitchParameter FactoryConfig { get; set; }

    /// <summary>Writes firmware and configuration only: no key generated, written or recorded.</summary>
    [Parameter]
    public SwitchParameter SkipKeys { get; set; }

    /// <inheritdoc/>
    protected override int OverallActivityId => 41;

    /// <inheritdoc/>
    protected override string OverallActivity => "Provisioning nodes";

    /// <inheritdoc/>
    protected override bool FactoryConfigRequested => FactoryConfig;

    /// <inheritdoc/>
    protected override bool SkipKeysRequested => SkipKeys;

    /// <inheritdoc/>
    protected override string Action(ConfigSelector selector, uint batch) => $"Provision the node with {selector}, batch {batch}";

    /// <inheritdoc/>
    protected override Task<NodeProvisionResult> StartAsync(StationRun run, ProvisionRequest request, ConfigSelector selector,
        IProgress<ProvisionProgress> progress, CancellationToken cancellationToken)
        => run.ProvisionAsync(request, selector, progress, cancellationToken);

    /// <inheritdoc/>
    protected override NodeProvisionResult Failed(string port, uint batch, ProvExitCode code, string message)
        => new(port, null, null, batch, false, code, message, TimeSpan.Zero);

    /// <inheritdoc/>
    protected override ProvExitCode CodeOf(NodeProvisionResult result) => result.Result;

    /// <inheritdoc/>
    protected override Exception FailureOf(NodeProvisionResult result) => new NodeProvisionException(result);
}
