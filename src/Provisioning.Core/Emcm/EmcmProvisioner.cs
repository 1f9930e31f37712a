using System.Globalization;
using System.Security.Cryptography;
using Provisioning.Core.Api;
using Provisioning.Core.Crypto;
using Provisioning.Core.Gateway;
using Provisioning.Core.Node;
using Provisioning.Core.Station;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Emcm;

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
/// POSTTEST. The node and the eMCM share one line: the node steps are the node flow's own (<see cref="NodeProvisioner"/>),
/// the eMCM's travel as the wrapper's host messages. Everything a flow writes is fetched and checked before the port is
/// touched (a config without the eMCM's bundle is 75/76 with the port untouched); keys are recorded pending on the server in
/// one record (node root key for the KMS, eMCM key for the app's head end) before either reaches a device, the eMCM's
/// first and the node's root key last, so the node's root key check value, which settles an interrupted run's record on
/// the next one, never names a record whose eMCM key the eMCM lacks. Every failure becomes a result with its Table 4 code;
/// only cancellation is thrown.
/// </summary>
public sealed class EmcmProvisioner
{
    /// <summary>eMCM (MCM) key length in bytes (AES-128).</summary>
    public const int EmcmKeyLength = 16;

    private readonly NodeSteps _steps;

    /// <summary>A provisioner that takes configurations from <paramref name="sessions"/>.</summary>
    public EmcmProvisioner(StationSessions sessions, NodeClientOptions? nodeOptions = null, string? stationName = null)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        _steps = new NodeSteps(sessions, nodeOptions, stationName);
    }

    /// <summary>Where each device's log lines go besides its log file; null: nowhere.</summary>
    public Action<StationLogEntry>? LogSink { get; set; }

    /// <summary>
    /// Single-stage provisioning (emcm_provision, guide Tables 8–11): node and eMCM firmware when their versions differ from
    /// the config's, field configurations on both (factory ones with <see cref="ProvisionRequest.FactoryConfig"/>), a node
    /// root key and an eMCM key recorded, written and verified (unless <see cref="ProvisionRequest.SkipKeys"/>), both locked
    /// (unless <see cref="ProvisionRequest.SkipLock"/>), the record confirmed and the stage recorded in the eMCM.
    /// </summary>
    public Task<EmcmProvisionResult> ProvisionAsync(EmcmRequest request, ConfigSelector config, IProgress<ProvisionProgress>? progress, CancellationToken cancellationToken)
        => RunAsync("Provision", request, config, progress, SingleStageAsync, cancellationToken);

    /// <summary>One multi-stage operation (emcm_factory, guide Tables 12–16).</summary>
    public Task<EmcmProvisionResult> RunStageAsync(EmcmFactoryStage stage, EmcmRequest request, ConfigSelector config, IProgress<ProvisionProgress>? progress, CancellationToken cancellationToken)
        => stage switch
        {
            EmcmFactoryStage.PreTest => RunAsync(nameof(EmcmFactoryStage.PreTest), request, config, progress, PreTestAsync, cancellationToken),
            EmcmFactoryStage.CheckConfig => RunAsync(nameof(EmcmFactoryStage.CheckConfig), request, config, progress, CheckConfigAsync, cancellationToken),
            EmcmFactoryStage.PostTest => RunAsync(nameof(EmcmFactoryStage.PostTest), request, config, progress, PostTestAsync, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "PreTest, CheckConfig or PostTest."),
        };

    private async Task<EmcmProvisionResult> RunAsync(string operation, EmcmRequest request, ConfigSelector config, IProgress<ProvisionProgress>? progress,
        Func<EmcmJob, StationSession, CancellationToken, Task> flow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Line);
        ArgumentNullException.ThrowIfNull(config);
        var line = request.Line;
        var job = new EmcmJob(request, operation, progress) { ConfigId = config.ConfigId, Log = DeviceLog.Open(line, LogSink) };
        job.Log?.Write(StationLogLevel.Debug, $"{EmcmJob.OperationName(operation)} on {line.Port} with {config}, batch {line.Batch}, {line.BaudRate} baud, " +
            $"wrapper {line.Wrapper}, app '{request.AppName}'{(request.PartialMcmId is { } p ? $", partial MCM ID {p}" : "")}; {_steps.Timeouts(line)}");
        return await job.RunAsync(async () =>
        {
            CheckArguments(request, operation);
            job.Report(ProvisionStep.FetchingConfig, $"Fetching {config}");
            var session = await _steps.Sessions.GetAsync(config, PathTranslation.Of(line), cancellationToken).ConfigureAwait(false);
            job.ConfigId = session.Config.ConfigId;
            await flow(job, session, cancellationToken).ConfigureAwait(false);
            return job.Result(ProvExitCode.Success, job.Summary());
        }, e =>
        {
            var (code, detail) = Classify(e, job);
            return job.Result(code, detail);
        }, result => job.Log?.Finish(result.Result, job.Device(), result.Duration, result.Message, job.LinkStatistics()), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Code 3 for what the request itself gets wrong, before the server or the port is asked anything.</summary>
    private static void CheckArguments(EmcmRequest request, string operation)
    {
        if (string.IsNullOrWhiteSpace(request.AppName))
            throw new StationFailureException(ProvExitCode.InvalidArguments, "No app name given: -AppName names the config's app bundle for the eMCM (by default 'emcm').");
        if (request.PartialMcmId is { } partial && (partial.Length != 8 || !partial.All(char.IsAsciiHexDigit)))
            throw new StationFailureException(ProvExitCode.InvalidArguments,
                $"The partial MCM ID '{partial}' is not 8 hex digits: give the last 8 characters of the eMCM ID printed on the meter's label.");
        if (operation == nameof(EmcmFactoryStage.PostTest) && request.OtaTimeout <= TimeSpan.Zero)
            throw new StationFailureException(ProvExitCode.InvalidArguments,
                $"The over-the-air test timeout must be positive, not {request.OtaTimeout.TotalSeconds} s (the guide's default is {EmcmRequest.DefaultOtaTimeout.TotalSeconds} s).");
        string wrapper = string.IsNullOrWhiteSpace(request.Line.Wrapper) ? TransportWrappers.None : request.Line.Wrapper.Trim();
        if (string.Equals(wrapper, TransportWrappers.None, StringComparison.OrdinalIgnoreCase))
            throw new StationFailureException(ProvExitCode.InvalidArguments,
                "The wrapper 'none' carries node messages only, so the eMCM cannot be reached: give -Wrapper orw, reliable or opt_psem, the one the meter's eMCM speaks.");
    }

    // ---- the flows ----

    private async Task SingleStageAsync(EmcmJob job, StationSession session, CancellationToken ct)
    {
        var line = job.Request.Line;
        bool factory = line.FactoryConfig;
        // Everything the devices get is fetched and checked before the port is touched.
        var app = session.GetApp(job.Request.AppName);
        var (nodeTarget, nodeConfig) = await NodeSteps.ConfigImageAsync(factory, session, ct).ConfigureAwait(false);
        byte[] emcmFirmware = await session.GetAppFileAsync(app.Name, AppFileRole.Firmware).WaitAsync(ct).ConfigureAwait(false);
        byte[] emcmConfig = await session.GetAppFileAsync(app.Name, factory ? AppFileRole.FactoryConfig : AppFileRole.FieldConfig).WaitAsync(ct).ConfigureAwait(false);
        using var headEnd = line.SkipKeys ? null : LoadAppPublicKey(session, app);
        if (!line.SkipKeys) await session.GetGatewayKeysAsync().WaitAsync(ct).ConfigureAwait(false);

        await using var device = await OpenAsync(job, session, nodeConfig, ct).ConfigureAwait(false);
        job.NodeFirmwareUpdated = await NodeSteps.WriteFirmwareIfNeededAsync(job, device.Node, device.NodeInfo, session, line.Force, ct).ConfigureAwait(false);
        await WriteEmcmFirmwareIfNeededAsync(job, device, app, emcmFirmware, ct).ConfigureAwait(false);
        job.Did(await WriteNodeConfigAsync(job, device, nodeTarget, nodeConfig, session, ct).ConfigureAwait(false));
        await WriteEmcmConfigIfNeededAsync(job, device, factory ? EmcmConfigSlot.Factory : EmcmConfigSlot.Field, emcmConfig, app.Version, ct).ConfigureAwait(false);

        if (headEnd is not null)
            await ProvisionKeysAsync(job, session, device, headEnd, ct).ConfigureAwait(false);
        else
            job.Did("keys skipped (-SkipKeys)");
        await SetQuietAsync(job, device, false, ct).ConfigureAwait(false);
        await LockAsync(job, device, ct).ConfigureAwait(false);
        await _steps.ConfirmAsync(job, ct).ConfigureAwait(false);
        // Only field configs with keys are the final state a POSTTEST leaves; anything less must not pass for it.
        if (!factory && headEnd is not null)
            await SetStageAsync(job, device, EmcmStagePassed.PostTest, ct).ConfigureAwait(false);
        else if (device.EmcmInfo.Stage == EmcmStagePassed.PostTest)
            await SetStageAsync(job, device, EmcmStagePassed.None, ct).ConfigureAwait(false);
        await NodeSteps.FinishAsync(job, device.Line, ct).ConfigureAwait(false);
    }

    private async Task PreTestAsync(EmcmJob job, StationSession session, CancellationToken ct)
    {
        var line = job.Request.Line;
        var app = session.GetApp(job.Request.AppName);
        var (nodeTarget, nodeConfig) = await NodeSteps.ConfigImageAsync(factory: true, session, ct).ConfigureAwait(false);
        byte[] emcmFirmware = await session.GetAppFileAsync(app.Name, AppFileRole.Firmware).WaitAsync(ct).ConfigureAwait(false);
        byte[] emcmConfig = await session.GetAppFileAsync(app.Name, AppFileRole.FactoryConfig).WaitAsync(ct).ConfigureAwait(false);
        // The gateway is asked before the port is touched: a gateway that is down fails the meter with nothing written.
        await using var gateway = await ConnectGatewayAsync(job, ct).ConfigureAwait(false);

        await using var device = await OpenAsync(job, session, nodeConfig, ct).ConfigureAwait(false);
        // Cleared before the factory configuration goes in: the join that configuration brings about is then the status
        // POSTTEST finds, and a status from an earlier run never passes for it.
        uint nodeId = device.NodeInfo.NodeId;
        job.Report(ProvisionStep.Gateway, $"Clearing node 0x{nodeId:X8} on the gateway");
        job.Doing = $"clearing node 0x{nodeId:X8} on the gateway {GatewayName(job)}";
        await gateway.ClearNodeAsync(nodeId, ct).ConfigureAwait(false);
        job.Did("node cleared on the gateway");
        // Not needed again: closed now rather than left idle through the firmware transfers.
        await gateway.DisposeAsync().ConfigureAwait(false);

        job.NodeFirmwareUpdated = await NodeSteps.WriteFirmwareIfNeededAsync(job, device.Node, device.NodeInfo, session, line.Force, ct).ConfigureAwait(false);
        await WriteEmcmFirmwareIfNeededAsync(job, device, app, emcmFirmware, ct).ConfigureAwait(false);
        job.Did(await WriteNodeConfigAsync(job, device, nodeTarget, nodeConfig, session, ct).ConfigureAwait(false));
        await WriteEmcmConfigIfNeededAsync(job, device, EmcmConfigSlot.Factory, emcmConfig, app.Version, ct).ConfigureAwait(false);
        // Meter calibration and test follow: the eMCM keeps quiet until POSTTEST.
        await SetQuietAsync(job, device, true, ct).ConfigureAwait(false);
        await SetStageAsync(job, device, EmcmStagePassed.PreTest, ct).ConfigureAwait(false);
        await NodeSteps.FinishAsync(job, device.Line, ct).ConfigureAwait(false);
    }

    private async Task CheckConfigAsync(EmcmJob job, StationSession session, CancellationToken ct)
    {
        var app = session.GetApp(job.Request.AppName);
        byte[] emcmFactoryConfig = await session.GetAppFileAsync(app.Name, AppFileRole.FactoryConfig).WaitAsync(ct).ConfigureAwait(false);

        await using var device = await OpenAsync(job, session, null, ct, resolve: false).ConfigureAwait(false);
        var info = device.EmcmInfo;
        if (info.Stage == EmcmStagePassed.PostTest)
            job.Did("POSTTEST already passed");
        else
        {
            RequirePreTest(job, info, "CHECKCONFIG");
            // "An appropriate PRETEST": the one of this config, so firmware and factory configuration are the config's.
            var wrong = new List<string>();
            if (!string.Equals(info.FirmwareVersion, app.Version, StringComparison.Ordinal))
                wrong.Add($"it runs firmware {Shown(info.FirmwareVersion)}, not the config's {app.Version}");
            if (info.ActiveConfig != EmcmConfigSlot.Factory || !SHA256.HashData(emcmFactoryConfig).AsSpan().SequenceEqual(info.FactoryConfigSha256))
                wrong.Add(info.ActiveConfig == EmcmConfigSlot.Factory ? "its factory configuration is not the config's" : $"its active configuration is {Shown(info.ActiveConfig)}, not the factory one");
            if (!string.Equals(device.NodeInfo.FirmwareVersion, session.Config.NodeVersion, StringComparison.Ordinal))
                wrong.Add($"its node runs firmware {Shown(device.NodeInfo.FirmwareVersion)}, not the config's {session.Config.NodeVersion}");
            if (wrong.Count > 0)
                throw new StationFailureException(ProvExitCode.HostVerifyFailed,
                    $"eMCM {info.EmcmId} passed a PRETEST, but not the one of config {session.Config.ConfigId}: {string.Join("; ", wrong)}. " +
                    $"Run Invoke-EmcmFactoryStage -Stage PreTest with this config again (in the fixture), or check the config ID or alias.");
            job.Did("PRETEST of this config found (firmware and factory configuration current)");
        }
        job.Did("eMCM answers and its self-test passes");
        await device.Line.CloseLinkAsync(job, ct).ConfigureAwait(false);
    }

    private async Task PostTestAsync(EmcmJob job, StationSession session, CancellationToken ct)
    {
        var line = job.Request.Line;
        var app = session.GetApp(job.Request.AppName);
        var (nodeTarget, nodeConfig) = await NodeSteps.ConfigImageAsync(factory: false, session, ct).ConfigureAwait(false);
        byte[] emcmConfig = await session.GetAppFileAsync(app.Name, AppFileRole.FieldConfig).WaitAsync(ct).ConfigureAwait(false);
        using var headEnd = LoadAppPublicKey(session, app);
        await session.GetGatewayKeysAsync().WaitAsync(ct).ConfigureAwait(false);
        await using var gateway = await ConnectGatewayAsync(job, ct).ConfigureAwait(false);

        await using var device = await OpenAsync(job, session, nodeConfig, ct).ConfigureAwait(false);
        RequirePreTest(job, device.EmcmInfo, "POSTTEST");
        var stale = new List<string>();
        if (!string.Equals(device.EmcmInfo.FirmwareVersion, app.Version, StringComparison.Ordinal))
            stale.Add($"the eMCM runs firmware {Shown(device.EmcmInfo.FirmwareVersion)}, not the config's {app.Version}");
        if (!string.Equals(device.NodeInfo.FirmwareVersion, session.Config.NodeVersion, StringComparison.Ordinal))
            stale.Add($"the node runs firmware {Shown(device.NodeInfo.FirmwareVersion)}, not the config's {session.Config.NodeVersion}");
        if (stale.Count > 0)
            throw new StationFailureException(ProvExitCode.HostVerifyFailed,
                $"eMCM {device.EmcmInfo.EmcmId} passed a PRETEST, but not the one of config {session.Config.ConfigId}: {string.Join("; ", stale)}. " +
                "Run Invoke-EmcmFactoryStage -Stage PreTest with this config first (POSTTEST writes no firmware), or check the config ID or alias.");

        // Calibration is over: the eMCM leaves quiet mode first, since a quiet eMCM may keep its node off the air, and the
        // join the over-the-air test looks for can then happen within the timeout.
        await SetQuietAsync(job, device, false, ct).ConfigureAwait(false);

        // The over-the-air test: the node, still on its factory configuration, must have joined the factory network.
        uint nodeId = device.NodeInfo.NodeId;
        job.Report(ProvisionStep.Gateway, $"Waiting up to {Seconds(job.Request.OtaTimeout)} for node 0x{nodeId:X8} to join the factory network");
        job.Doing = $"waiting for node 0x{nodeId:X8} to join the gateway {GatewayName(job)} (timeout {Seconds(job.Request.OtaTimeout)})";
        var joined = await gateway.WaitForJoinAsync(nodeId, job.Request.OtaTimeout, ct).ConfigureAwait(false);
        job.Did($"joined the factory network{(joined.NetworkId is { } network ? $" '{network}'" : "")}");
        await gateway.DisposeAsync().ConfigureAwait(false);

        job.Did(await WriteNodeConfigAsync(job, device, nodeTarget, nodeConfig, session, ct).ConfigureAwait(false));
        await WriteEmcmConfigIfNeededAsync(job, device, EmcmConfigSlot.Field, emcmConfig, app.Version, ct).ConfigureAwait(false);

        // Before any key is made: a meter that its eMCM cannot reach is set aside without a record for it.
        job.Report(ProvisionStep.MeterLink, "Checking the eMCM's link to its meter");
        job.Doing = "checking the eMCM's link to its meter";
        var meter = await device.Emcm.CheckMeterAsync(ct).ConfigureAwait(false);
        job.Log?.Write(StationLogLevel.Debug, $"Meter {meter.MeterId} answers the eMCM{(meter.Detail is { } d ? $" ({d})" : "")}");
        job.Did($"meter {meter.MeterId} answers");

        await ProvisionKeysAsync(job, session, device, headEnd, ct).ConfigureAwait(false);
        await LockAsync(job, device, ct).ConfigureAwait(false);
        await _steps.ConfirmAsync(job, ct).ConfigureAwait(false);
        await SetStageAsync(job, device, EmcmStagePassed.PostTest, ct).ConfigureAwait(false);
        await NodeSteps.FinishAsync(job, device.Line, ct).ConfigureAwait(false);
    }

    // ---- the steps ----

    /// <summary>
    /// Opens the line, reads the node (settling an earlier run's pending record unless <paramref name="resolve"/> is false)
    /// and checks it against the config, then reads the eMCM and checks its ID and self-test.
    /// </summary>
    private async Task<EmcmDevice> OpenAsync(EmcmJob job, StationSession session, ReadOnlyMemory<byte>? nodeConfig, CancellationToken ct, bool resolve = true)
    {
        var line = await _steps.OpenLineAsync(job, ct).ConfigureAwait(false);
        try
        {
            var nodeInfo = await NodeSteps.GetInfoAsync(job, line.Node, ct).ConfigureAwait(false);
            if (resolve) await _steps.ResolveAsync(job, nodeInfo, ct).ConfigureAwait(false);
            NodeSteps.CheckCompatible(nodeInfo, session.Config, nodeConfig);

            var emcm = new EmcmClient(line.Node, new EmcmClientOptions
            {
                ResponseTimeout = job.Request.Line.ResponseTimeout,
                Resends = job.Request.Line.Resends,
                Log = message => job.Log?.Write(StationLogLevel.Debug, message),
            });
            job.Report(ProvisionStep.Connecting, "Reading the eMCM's info");
            job.Doing = "reading the eMCM's info";
            var info = await emcm.GetInfoAsync(ct).ConfigureAwait(false);
            job.EmcmId = info.EmcmId;
            job.Log?.Write(StationLogLevel.Debug, $"eMCM {info.EmcmId}: host type {info.HostType}, firmware {Shown(info.FirmwareVersion)}, active config {info.ActiveConfig}, " +
                $"stage {info.Stage}, quiet {(info.Quiet ? "on" : "off")}, key {(info.KeyCheckValue is null ? "none" : "held")}, {(info.Locked ? "locked" : "unlocked")}");
            if (job.Request.PartialMcmId is { } partial && !string.Equals(info.PartialMcmId, partial, StringComparison.OrdinalIgnoreCase))
                throw new StationFailureException(ProvExitCode.InvalidArguments,
                    $"The eMCM on {job.Request.Line.Port} reports ID {info.EmcmId}, which does not end in the partial MCM ID {partial.ToUpperInvariant()} given (-PartialMcmId); " +
                    $"nothing was written. Check that the meter on this port is the one whose label was scanned, and the -PartialMcmId and -Port given for it.");
            if (!info.SelfTestPassed)
                throw new StationFailureException(ProvExitCode.HostHardwareFailed,
                    $"eMCM {info.EmcmId} reports failing hardware in its self-test ({info.SelfTestDetail ?? "no detail given"}); nothing was written. " +
                    $"Set the meter aside. {ProvExitCodes.CorrectiveAction(ProvExitCode.HostHardwareFailed)}");
            return new EmcmDevice(line, nodeInfo, emcm, info);
        }
        catch
        {
            await line.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Writes the node's configuration for this stage even when the node already holds the same bytes: a node runs the
    /// configuration committed last, and its info tells which bytes each slot holds but not which one runs, so after a
    /// PRETEST (factory config committed last) an unchanged field config must be committed again to run, and vice versa.
    /// </summary>
    private static async Task<string> WriteNodeConfigAsync(EmcmJob job, EmcmDevice device, NodeImageTarget target, ReadOnlyMemory<byte>? image, StationSession session, CancellationToken ct)
        => "node " + await NodeSteps.WriteConfigIfNeededAsync(job, device.Node, device.NodeInfo, target, image, session.Config.NodeVersion, force: true, ct).ConfigureAwait(false);

    private static async Task WriteEmcmFirmwareIfNeededAsync(EmcmJob job, EmcmDevice device, AppBundle app, byte[] image, CancellationToken ct)
    {
        if (!job.Request.Line.Force && string.Equals(device.EmcmInfo.FirmwareVersion, app.Version, StringComparison.Ordinal)) return;
        await WriteEmcmImageAsync(job, device.Emcm, EmcmImageTarget.Firmware, image, app.Version, ct).ConfigureAwait(false);
        job.EmcmFirmwareUpdated = true;
    }

    /// <summary>Writes an eMCM configuration slot unless it holds the same bytes, and makes it the active one.</summary>
    private static async Task WriteEmcmConfigIfNeededAsync(EmcmJob job, EmcmDevice device, EmcmConfigSlot slot, byte[] image, string version, CancellationToken ct)
    {
        var info = device.EmcmInfo;
        string name = slot == EmcmConfigSlot.Factory ? "eMCM factory config" : "eMCM field config";
        byte[] held = slot == EmcmConfigSlot.Factory ? info.FactoryConfigSha256 : info.FieldConfigSha256;
        if (job.Request.Line.Force || !SHA256.HashData(image).AsSpan().SequenceEqual(held))
        {
            await WriteEmcmImageAsync(job, device.Emcm, slot == EmcmConfigSlot.Factory ? EmcmImageTarget.FactoryConfig : EmcmImageTarget.FieldConfig, image, version, ct).ConfigureAwait(false);
            job.Did($"{name} written");
        }
        else if (info.ActiveConfig != slot)
        {
            job.Report(ProvisionStep.Configuration, $"Activating the {name}");
            job.Doing = $"activating the {name}";
            await device.Emcm.ActivateConfigAsync(slot, ct).ConfigureAwait(false);
            job.Did($"{name} activated");
        }
        else
            job.Did($"{name} already current");
    }

    private static async Task WriteEmcmImageAsync(EmcmJob job, EmcmClient emcm, EmcmImageTarget target, byte[] image, string version, CancellationToken ct)
    {
        string what = target switch
        {
            EmcmImageTarget.Firmware => $"eMCM firmware {version}",
            EmcmImageTarget.FactoryConfig => "the eMCM factory configuration",
            _ => "the eMCM field configuration",
        };
        var step = target == EmcmImageTarget.Firmware ? ProvisionStep.Firmware : ProvisionStep.Configuration;
        job.EmcmImage = target;
        job.ImageSize = image.Length;
        job.ImageConfirmed = 0;
        job.Doing = $"writing {what}";
        job.Report(step, $"Writing {what}", 0);
        await emcm.WriteImageAsync(target, image, version, job.TransferProgress(step, what, image.Length), ct).ConfigureAwait(false);
        job.EmcmImage = null;
    }

    /// <summary>
    /// A node root key and an eMCM key, recorded pending in one record before either reaches a device; the eMCM's written
    /// and verified first (70), then the node's with the root key last (38).
    /// </summary>
    private async Task ProvisionKeysAsync(EmcmJob job, StationSession session, EmcmDevice device, RSA headEnd, CancellationToken ct)
    {
        using var root = PinnedKey.Random(NodeProvisioner.RootKeyLength);
        using var emcmKey = PinnedKey.Random(EmcmKeyLength);
        string emcmId = device.EmcmInfo.EmcmId;
        var apps = new[] { new DeviceApp(job.Request.AppName, emcmId, AppKeyEncryption.Encrypt(headEnd, emcmKey.Span), null) };
        await _steps.RecordAsync(job, session, root, apps, ct).ConfigureAwait(false);

        job.Report(ProvisionStep.WritingKeys, "Writing the eMCM key");
        job.Doing = "writing the eMCM key";
        await device.Emcm.WriteKeyAsync(emcmKey.Memory, ct).ConfigureAwait(false);
        job.Report(ProvisionStep.VerifyingKeys, "Verifying the eMCM key check value");
        job.Doing = "reading the eMCM key check value";
        byte[]? kcv = await device.Emcm.GetKeyCheckValueAsync(ct).ConfigureAwait(false);
        string expected = GatewayKeys.CheckValue(emcmKey.Span);
        if (kcv is null || !string.Equals(Convert.ToHexString(kcv), expected, StringComparison.OrdinalIgnoreCase))
            throw new StationFailureException(ProvExitCode.HostVerifyFailed,
                $"eMCM {emcmId} reports {(kcv is null ? "no key" : $"key check value {Convert.ToHexString(kcv)}")} after the eMCM key was written, not {expected}; " +
                $"the node's keys were not written. Record {job.RequestId} stays pending on the server and is left out of a default export (a key confirmed earlier stays current); " +
                $"provision the meter again, and set it aside if this repeats. {ProvExitCodes.CorrectiveAction(ProvExitCode.HostVerifyFailed)}");

        await NodeSteps.WriteKeysAsync(job, session, device.Node, root, ct).ConfigureAwait(false);
        job.Did($"node and eMCM keys written and verified (request {job.RequestId})");
    }

    private static async Task SetQuietAsync(EmcmJob job, EmcmDevice device, bool quiet, CancellationToken ct)
    {
        if (device.EmcmInfo.Quiet == quiet) return;
        job.Report(ProvisionStep.RecordingStage, quiet ? "Putting the eMCM in quiet mode" : "Taking the eMCM out of quiet mode");
        job.Doing = quiet ? "putting the eMCM in quiet mode" : "taking the eMCM out of quiet mode";
        await device.Emcm.SetQuietAsync(quiet, ct).ConfigureAwait(false);
        job.Did(quiet ? "quiet mode on" : "quiet mode off");
    }

    private static async Task LockAsync(EmcmJob job, EmcmDevice device, CancellationToken ct)
    {
        if (job.Request.Line.SkipLock)
        {
            job.Did("left unlocked (-SkipLock)");
            return;
        }
        job.Report(ProvisionStep.Locking, "Locking the eMCM's debug and flash interfaces");
        job.Doing = "locking the eMCM";
        await device.Emcm.LockAsync(ct).ConfigureAwait(false);
        await NodeSteps.LockAsync(job, device.Node, ct).ConfigureAwait(false);
        job.Did("locked");
    }

    private static async Task SetStageAsync(EmcmJob job, EmcmDevice device, EmcmStagePassed stage, CancellationToken ct)
    {
        job.Report(ProvisionStep.RecordingStage, $"Recording stage {stage} in the eMCM");
        job.Doing = $"recording stage {stage} in the eMCM";
        await device.Emcm.SetStageAsync(stage, ct).ConfigureAwait(false);
        if (stage != EmcmStagePassed.None) job.Did($"stage {stage} recorded");
    }

    private static void RequirePreTest(EmcmJob job, EmcmInfo info, string operation)
    {
        if (info.Stage >= EmcmStagePassed.PreTest) return;
        throw new StationFailureException(ProvExitCode.HostVerifyFailed,
            $"PRETEST has not run on eMCM {info.EmcmId} (its stage is {info.Stage}), so {operation} cannot go on; nothing was written. " +
            $"Run Invoke-EmcmFactoryStage -Stage PreTest (emcm_factory … PRETEST) on the meter first.");
    }

    private static async Task<GatewayClient> ConnectGatewayAsync(EmcmJob job, CancellationToken ct)
    {
        job.Report(ProvisionStep.Gateway, $"Connecting to the gateway {GatewayName(job)}");
        job.Doing = $"connecting to the gateway {GatewayName(job)}";
        return await GatewayClient.ConnectAsync(job.Request.Gateway ?? new GatewayOptions(), ct).ConfigureAwait(false);
    }

    /// <summary>The app bundle's public key (the head end's): 76 when the bundle has none or it is not an RSA public key.</summary>
    private static RSA LoadAppPublicKey(StationSession session, AppBundle app)
    {
        string source = $"the public key of app '{app.Name}' in config {session.Config.ConfigId}";
        if (string.IsNullOrWhiteSpace(app.PublicKey))
            throw new StationFailureException(ProvExitCode.HostConfigUnavailable,
                $"The app bundle '{app.Name}' of config {session.Config.ConfigId} has no public key, so the eMCM key cannot be encrypted for the head end; nothing was written. " +
                ProvExitCodes.CorrectiveAction(ProvExitCode.HostConfigUnavailable))
            { ConfigId = session.Config.ConfigId };
        try
        {
            return KmsKeyPair.ParsePublicKey(app.PublicKey, source);
        }
        catch (KeyFileException e)
        {
            throw new StationFailureException(ProvExitCode.HostConfigUnavailable,
                $"{e.Message.TrimEnd('.')}; nothing was written. {ProvExitCodes.CorrectiveAction(ProvExitCode.HostConfigUnavailable)}", e)
            { ConfigId = session.Config.ConfigId };
        }
    }

    /// <summary>The code and detail for a failure: eMCM and gateway codes as their clients give them, with Table 5's action; the rest as the node flow's.</summary>
    private static (ProvExitCode Code, string Detail) Classify(Exception e, EmcmJob job) => e switch
    {
        // The line's timing matters to an eMCM that never answered, not to one that answered an error.
        EmcmException emcm => (emcm.Code, WithAction(emcm.Code,
            $"{emcm.Message.TrimEnd('.')}, while {job.Doing}{job.Position()}{(emcm.Code == ProvExitCode.NoDeviceHost ? job.LineDescription() : "")}.")),
        GatewayException gateway => (gateway.Code, WithAction(gateway.Code, $"{gateway.Message.TrimEnd('.')}, while {job.Doing}.")),
        StationFailureException { Code: ProvExitCode.HostFirmwareUnavailable or ProvExitCode.HostConfigUnavailable } f => (f.Code, WithAction(f.Code, f.Message)),
        _ => NodeSteps.Classify(e, job),
    };

    private static string WithAction(ProvExitCode code, string detail)
    {
        string action = ProvExitCodes.CorrectiveAction(code);
        return detail.Contains(action, StringComparison.Ordinal) ? detail : $"{detail} {action}";
    }

    private static string GatewayName(EmcmJob job)
    {
        var g = job.Request.Gateway ?? new GatewayOptions();
        return $"{g.Host}:{g.ControlPort.ToString(CultureInfo.InvariantCulture)}";
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";

    private static string Shown(object? value) => value is null || value is string { Length: 0 } ? "(none)" : value.ToString()!;
}

/// <summary>A failed eMCM operation, for error records: its result rides along so scripts can read the code.</summary>
public sealed class EmcmProvisionException : Exception
{
    /// <summary>Creates the exception from a failed result.</summary>
    public EmcmProvisionException(EmcmProvisionResult result)
        : base($"{result.Port}: {result.Message} (code {result.ExitCode})") => Result = result;

    /// <summary>The meter's result.</summary>
    public EmcmProvisionResult Result { get; }
}
