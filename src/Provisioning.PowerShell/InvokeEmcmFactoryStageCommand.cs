using System.Management.Automation;
using Provisioning.Core.Emcm;
using Provisioning.Core.Gateway;
using Provisioning.Core.Station;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Runs one stage of multi-stage eMCM provisioning (the guide's emcm_factory): PreTest before meter calibration, CheckConfig after assembly, PostTest after calibration.</para>
/// </summary>
/// <remarks>Meters run in parallel up to -ThrottleLimit; one result per meter, and an error for a failed one.</remarks>
[Cmdlet(VerbsLifecycle.Invoke, "EmcmFactoryStage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(EmcmProvisionResult))]
public sealed class InvokeEmcmFactoryStageCommand : EmcmStationCmdlet
{
    /// <summary>The operation (guide Table 12): PreTest, CheckConfig or PostTest.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Operation")]
    public EmcmFactoryStage Stage { get; set; }

    /// <summary>The factory gateway's host name or address (the guide's -g); default localhost.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Gateway { get; set; } = "localhost";

    /// <summary>The gateway's control port (the guide's --control_port); default 4021.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int ControlPort { get; set; } = GatewayOptions.DefaultControlPort;

    /// <summary>Speaks to a 1.x gateway (the guide's --csys_1_x); the default is 2.x.</summary>
    [Parameter]
    public SwitchParameter Csys1x { get; set; }

    /// <summary>How long PostTest waits for the node to join the factory network (the guide's -t): seconds or a TimeSpan; default 600 s.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [SecondsTransformation]
    public TimeSpan Timeout { get; set; } = EmcmRequest.DefaultOtaTimeout;

    /// <summary>TLS on the gateway's control port.</summary>
    [Parameter]
    public SwitchParameter GatewayTls { get; set; }

    /// <summary>With -GatewayTls: the CA certificate (PEM) the gateway's certificate must chain to.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? GatewayCaCertificate { get; set; }

    /// <summary>With -GatewayTls: the station's client certificate (PEM with its key, or PFX), when the gateway asks for one.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? GatewayCertificate { get; set; }

    /// <inheritdoc/>
    protected override int OverallActivityId => 81;

    /// <inheritdoc/>
    protected override string OverallActivity => $"{Stage} on eMCM meters";

    /// <inheritdoc/>
    protected override string Action(ConfigSelector selector, uint batch) => Stage switch
    {
        EmcmFactoryStage.PreTest => $"Run PreTest (firmware, factory configurations, node cleared on the gateway {Gateway}:{ControlPort}) with {selector}, batch {batch}",
        EmcmFactoryStage.CheckConfig => $"Run CheckConfig (reads only) with {selector}, batch {batch}",
        _ => $"Run PostTest (over-the-air join on {Gateway}:{ControlPort}, field configurations, keys, meter link) with {selector}, batch {batch}",
    };

    /// <inheritdoc/>
    protected override string? ValidateDevice()
    {
        if (base.ValidateDevice() is { } problem) return problem;
        if (Timeout <= TimeSpan.Zero)
            return $"-Timeout must be positive, not {Timeout.TotalSeconds} s (the guide's default is {EmcmRequest.DefaultOtaTimeout.TotalSeconds} s).";
        if (!GatewayTls && (GatewayCaCertificate is not null || GatewayCertificate is not null))
            return "-GatewayCaCertificate and -GatewayCertificate are for a gateway reached over TLS: add -GatewayTls, or leave them out.";
        return null;
    }

    /// <inheritdoc/>
    protected override EmcmRequest Request(ProvisionRequest line) => base.Request(line) with
    {
        OtaTimeout = Timeout,
        Gateway = new GatewayOptions
        {
            Host = Gateway,
            ControlPort = ControlPort,
            Csys1x = Csys1x,
            UseTls = GatewayTls,
            CaCertificatePath = GatewayCaCertificate is null ? null : ResolvePath(GatewayCaCertificate),
            CertificatePath = GatewayCertificate is null ? null : ResolvePath(GatewayCertificate),
        },
    };

    /// <inheritdoc/>
    protected override Task<EmcmProvisionResult> StartAsync(StationRun run, ProvisionRequest request, ConfigSelector selector,
        IProgress<ProvisionProgress> progress, CancellationToken cancellationToken)
        => run.RunEmcmStageAsync(Stage, Request(request), selector, progress, cancellationToken);

    /// <inheritdoc/>
    protected override EmcmProvisionResult Failed(string port, uint batch, ProvExitCode code, string message)
        => new(port, Stage.ToString(), null, null, null, batch, false, false, code, message, TimeSpan.Zero);
}
