using Provisioning.Core.Crypto;
using Provisioning.Core.Node;

namespace Provisioning.Core.Station;

/// <summary>
/// The station's flow for one device (guide §3.2 steps 4–5): configuration → node info → compatibility checks → firmware
/// when the version differs → configuration → root key, encrypted for the KMS and recorded pending on the server before
/// any key reaches the node → keys → key check values → lock → confirm → reset. Right after GetInfo the station reports the
/// check value of the root key the node holds, so a record left pending by an earlier, interrupted run is settled. Every failure becomes a result with its
/// Table 4 code; only cancellation is thrown.
/// </summary>
public sealed class NodeProvisioner
{
    /// <summary>The node protocol version this station speaks.</summary>
    public const byte ProtocolVersion = 1;

    /// <summary>Root key length in bytes (AES-128).</summary>
    public const int RootKeyLength = 16;

    private readonly NodeSteps _steps;

    /// <summary>A provisioner that takes configurations from <paramref name="sessions"/>.</summary>
    public NodeProvisioner(StationSessions sessions, NodeClientOptions? nodeOptions = null, string? stationName = null)
        => _steps = new NodeSteps(sessions, nodeOptions, stationName);

    /// <summary>Where each device's log lines go besides its <see cref="ProvisionRequest.LogPath"/> file (a cmdlet's streams, a console); null: nowhere.</summary>
    public Action<StationLogEntry>? LogSink { get; set; }

    /// <summary>
    /// Provisions the device on <paramref name="request"/>'s port with <paramref name="config"/>. Never throws for the device's
    /// failure: the result carries the code and a message an operator can act on. Throws <see cref="OperationCanceledException"/>
    /// when cancelled; a device stopped that way is never confirmed on the server.
    /// </summary>
    public async Task<NodeProvisionResult> ProvisionAsync(ProvisionRequest request, ConfigSelector config,
        IProgress<ProvisionProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(config);
        var job = new DeviceJob(request, progress) { ConfigId = config.ConfigId, Log = DeviceLog.Open(request, LogSink) };
        job.Log?.Write(StationLogLevel.Debug, $"Provisioning {request.Port} with {config}, batch {request.Batch}, {request.BaudRate} baud, wrapper {request.Wrapper}; {_steps.Timeouts(request)}");
        return await job.RunAsync(async () =>
        {
            await RunAsync(job, config, cancellationToken).ConfigureAwait(false);
            return job.Result(ProvExitCode.Success, job.Summary());
        }, e =>
        {
            var (code, detail) = NodeSteps.Classify(e, job);
            return job.Result(code, detail);
        }, result => job.Log?.Finish(result, job.LinkStatistics()), cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync(DeviceJob job, ConfigSelector selector, CancellationToken ct)
    {
        job.Report(ProvisionStep.FetchingConfig, $"Fetching {selector}");
        var session = await _steps.Sessions.GetAsync(selector, PathTranslation.Of(job.Request), ct).ConfigureAwait(false);
        var config = session.Config;
        job.ConfigId = config.ConfigId;

        // Everything the node will get is fetched before the port is touched, so a server fault never leaves a half-done node.
        var (configTarget, configImage) = await NodeSteps.ConfigImageAsync(job.Request, session, ct).ConfigureAwait(false);

        await using var line = await _steps.OpenLineAsync(job, ct).ConfigureAwait(false);
        var node = line.Node;
        var info = await NodeSteps.GetInfoAsync(job, node, ct).ConfigureAwait(false);
        await _steps.ResolveAsync(job, info, ct).ConfigureAwait(false);
        NodeSteps.CheckCompatible(info, config, configImage);

        job.FirmwareUpdated = await NodeSteps.WriteFirmwareIfNeededAsync(job, node, info, session, job.Request.Force, ct).ConfigureAwait(false);
        job.ConfigState = await NodeSteps.WriteConfigIfNeededAsync(job, node, info, configTarget, configImage, config.NodeVersion, job.Request.Force, ct).ConfigureAwait(false);

        if (!job.Request.SkipKeys)
        {
            using var root = PinnedKey.Random(RootKeyLength);
            // The server must know the key before the device does (ARCHITECTURE: never a key the server does not know).
            await _steps.RecordAsync(job, session, root, null, ct).ConfigureAwait(false);
            await NodeSteps.WriteKeysAsync(job, session, node, root, ct).ConfigureAwait(false);
        }
        await NodeSteps.LockAsync(job, node, ct).ConfigureAwait(false);
        await _steps.ConfirmAsync(job, ct).ConfigureAwait(false);
        await NodeSteps.FinishAsync(job, line, ct).ConfigureAwait(false);
    }

    /// <summary>What is known about one device as its flow runs, for progress, error messages and the result.</summary>
    private sealed class DeviceJob(ProvisionRequest request, IProgress<ProvisionProgress>? progress) : StationJob(request, progress)
    {
        public bool FirmwareUpdated { get; set; }
        public string ConfigState { get; set; } = "";

        public string Summary()
        {
            var parts = new List<string>
            {
                FirmwareUpdated ? "firmware written" : "firmware already current",
                ConfigState,
                Request.SkipKeys ? "keys skipped (-SkipKeys)" : $"keys written, verified and confirmed (request {RequestId})",
                Locked ? "locked" : "left unlocked (-SkipLock)",
            };
            return $"node 0x{NodeId:X8} provisioned with config {ConfigId}: {string.Join("; ", parts)}.";
        }

        public NodeProvisionResult Result(ProvExitCode code, string detail)
            => new(Request.Port, NodeId, ConfigId, Request.Batch, FirmwareUpdated, code, $"{ProvExitCodes.Interpretation(code)}: {detail}", Elapsed);
    }
}
