using Provisioning.Core.Gateway;
using Provisioning.Core.Node;
using Provisioning.Core.Station;

namespace Provisioning.Core.Emcm;

// CONTRACT (foundation of the eMCM stage flows): Invoke-EmcmProvision, Invoke-EmcmFactoryStage and the CLI commands
// emcm_provision and emcm_factory build on these signatures. Until the flows land every call throws NotImplementedException.

/// <summary>The multi-stage operations (guide Table 12).</summary>
public enum EmcmFactoryStage
{
    /// <summary>Firmware updates, factory configs on eMCM and node, node cleared on the gateway.</summary>
    PreTest,
    /// <summary>eMCM communication passes and PRETEST has run.</summary>
    CheckConfig,
    /// <summary>Node joined the factory network; field configs; keys for eMCM and node; meter link verified.</summary>
    PostTest,
}

/// <summary>One eMCM to provision: the node line's parameters plus the eMCM's (guide Tables 8–16).</summary>
/// <param name="Line">Port, baud rate, wrapper, batch, lock/keys/factory-config choices, timeouts and logging, as for the node.</param>
public sealed record EmcmRequest(ProvisionRequest Line)
{
    /// <summary>The guide's default OTA test timeout (Table 16, -t).</summary>
    public static readonly TimeSpan DefaultOtaTimeout = TimeSpan.FromSeconds(600);

    /// <summary>The app bundle of the configuration that holds the eMCM's files and public key.</summary>
    public string AppName { get; init; } = "emcm";

    /// <summary>The guide's --partial_mcm_id: the last 8 hex digits the eMCM's ID must end in; null: not checked.</summary>
    public string? PartialMcmId { get; init; }

    /// <summary>The factory gateway (multi-stage PRETEST and POSTTEST); null: the guide's default, localhost:4021.</summary>
    public GatewayOptions? Gateway { get; init; }

    /// <summary>How long POSTTEST waits for the node to join the factory network (the guide's -t).</summary>
    public TimeSpan OtaTimeout { get; init; } = DefaultOtaTimeout;
}

/// <summary>The outcome for one eMCM: what Invoke-EmcmProvision and Invoke-EmcmFactoryStage write per port.</summary>
/// <param name="Port">Port as given.</param>
/// <param name="Operation"><c>Provision</c> (single stage), or the stage: <c>PreTest</c>, <c>CheckConfig</c>, <c>PostTest</c>.</param>
/// <param name="NodeId">Node ID read from the node; null when it never answered.</param>
/// <param name="EmcmId">eMCM ID read from the eMCM; null when it never answered.</param>
/// <param name="ConfigId">Configuration used; null when it could not be resolved.</param>
/// <param name="Batch">Batch number.</param>
/// <param name="NodeFirmwareUpdated">A node firmware image was written.</param>
/// <param name="EmcmFirmwareUpdated">An eMCM firmware image was written.</param>
/// <param name="Result">Table 4 code by name.</param>
/// <param name="Message">Table 4 interpretation, then the detail and the Table 5 corrective action.</param>
/// <param name="Duration">Wall time.</param>
public sealed record EmcmProvisionResult(
    string Port, string Operation, uint? NodeId, string? EmcmId, ulong? ConfigId, uint Batch,
    bool NodeFirmwareUpdated, bool EmcmFirmwareUpdated, ProvExitCode Result, string Message, TimeSpan Duration)
{
    /// <summary>Table 4 code as a number (0 is success).</summary>
    public int ExitCode => (int)Result;

    /// <summary>True when the operation completed.</summary>
    public bool Succeeded => Result == ProvExitCode.Success;
}

/// <summary>
/// The station's eMCM flows (guide Appendix D): single-stage provisioning and the multi-stage PRETEST, CHECKCONFIG and
/// POSTTEST. Every failure becomes a result with its Table 4 code; only cancellation is thrown.
/// </summary>
public sealed class EmcmProvisioner
{
    /// <summary>A provisioner that takes configurations from <paramref name="sessions"/>.</summary>
    public EmcmProvisioner(StationSessions sessions, NodeClientOptions? nodeOptions = null, string? stationName = null)
        => throw new NotImplementedException();

    /// <summary>Where each device's log lines go besides its log file; null: nowhere.</summary>
    public Action<StationLogEntry>? LogSink { get; set; }

    /// <summary>Single-stage provisioning (emcm_provision).</summary>
    public Task<EmcmProvisionResult> ProvisionAsync(EmcmRequest request, ConfigSelector config, IProgress<ProvisionProgress>? progress, CancellationToken cancellationToken)
        => throw new NotImplementedException();

    /// <summary>One multi-stage operation (emcm_factory).</summary>
    public Task<EmcmProvisionResult> RunStageAsync(EmcmFactoryStage stage, EmcmRequest request, ConfigSelector config, IProgress<ProvisionProgress>? progress, CancellationToken cancellationToken)
        => throw new NotImplementedException();
}
