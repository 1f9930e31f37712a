using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;
using Provisioning.Core.Node;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

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

    /// <summary>How often a confirm that did not reach the server is sent again (it is idempotent by request ID).</summary>
    private const int ConfirmAttempts = 3;

    private readonly StationSessions _sessions;
    private readonly NodeClientOptions _nodeOptions;
    // Given options (tests, tools) keep their waits unless a request names its own; otherwise they follow baud and wrapper.
    private readonly bool _givenOptions;
    private readonly string _stationName;

    /// <summary>A provisioner that takes configurations from <paramref name="sessions"/>.</summary>
    public NodeProvisioner(StationSessions sessions, NodeClientOptions? nodeOptions = null, string? stationName = null)
    {
        _sessions = sessions;
        _nodeOptions = nodeOptions ?? new NodeClientOptions();
        _givenOptions = nodeOptions is not null;
        _stationName = stationName ?? Environment.MachineName;
    }

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
        job.Log?.Write(StationLogLevel.Debug, $"Provisioning {request.Port} with {config}, batch {request.Batch}, {request.BaudRate} baud, wrapper {request.Wrapper}; {Timeouts(request)}");
        NodeProvisionResult? result = null;
        try
        {
            await RunAsync(job, config, cancellationToken).ConfigureAwait(false);
            return result = job.Result(ProvExitCode.Success, job.Summary());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            job.Log?.Write(StationLogLevel.Critical, $"Stopped by the operator while {job.Doing}; nothing was confirmed on the server.");
            throw;
        }
        catch (Exception e)
        {
            if (e is StationFailureException { ConfigId: { } resolved }) job.ConfigId = resolved;
            var (code, detail) = Classify(e, job);
            return result = job.Result(code, detail);
        }
        finally
        {
            if (result is not null) job.Log?.Finish(result, job.LinkStatistics());
            job.Report(ProvisionStep.Done, "Done");
        }
    }

    private async Task RunAsync(DeviceJob job, ConfigSelector selector, CancellationToken ct)
    {
        job.Report(ProvisionStep.FetchingConfig, $"Fetching {selector}");
        var session = await _sessions.GetAsync(selector, PathTranslation.Of(job.Request), ct).ConfigureAwait(false);
        var config = session.Config;
        job.ConfigId = config.ConfigId;

        // Everything the node will get is fetched before the port is touched, so a server fault never leaves a half-done node.
        var (configTarget, configImage) = await ConfigImageAsync(job.Request, session, ct).ConfigureAwait(false);

        job.Report(ProvisionStep.Connecting, $"Opening {job.Request.Port}");
        job.Doing = "opening the port";
        var wrapper = CreateWrapper(job.Request.Wrapper);
        INodeTransport transport;
        try
        {
            transport = await NodeTransport.OpenAsync(job.Request.Port, job.Request.BaudRate, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException)
        {
            throw new StationFailureException(ProvExitCode.NoDevice, $"Port {job.Request.Port} cannot be opened: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new StationFailureException(ProvExitCode.InvalidArguments, $"Port '{job.Request.Port}' is not usable: {e.Message}", e);
        }

        var nodeOptions = NodeOptions(job.Request);
        // An active wrapper (reliable, opt_psem) runs its own session on the line; the node protocol runs inside it.
        LinkSession? link = null;
        if (wrapper is LinkWrapper linkWrapper)
        {
            link = await OpenLinkAsync(job, linkWrapper, transport, ct).ConfigureAwait(false);
            (transport, wrapper) = (link, link.NodeWrapper);
            nodeOptions = nodeOptions with
            {
                MaxMessageSize = null,
                FirstContactTimeout = nodeOptions.FirstContactTimeout + link.ExtraLatency,
                ResponseTimeout = nodeOptions.ResponseTimeout + link.ExtraLatency,
            };
        }
        await using var node = new NodeClient(transport, wrapper, nodeOptions);
        job.Node = node;
        job.Doing = "reading the node's info";
        var info = await node.GetInfoAsync(ct).ConfigureAwait(false);
        job.NodeId = info.NodeId;
        job.Log?.Write(StationLogLevel.Debug, $"Node 0x{info.NodeId:X8}: type {info.NodeType}, hardware {info.HardwareType}, firmware {info.FirmwareVersion}, " +
            $"protocol {info.ProtocolVersion}, calibration {info.Calibration}; messages of at most {node.MaxMessageSize} bytes");
        await ResolveAsync(job, info, ct).ConfigureAwait(false);
        CheckCompatible(info, config, configImage);

        if (job.Request.Force || !string.Equals(info.FirmwareVersion, config.NodeVersion, StringComparison.Ordinal))
        {
            await WriteImageAsync(job, node, NodeImageTarget.Firmware, session.Firmware, config.NodeVersion, ct).ConfigureAwait(false);
            job.FirmwareUpdated = true;
        }

        string configName = configTarget == NodeImageTarget.FactoryConfig ? "factory config" : "field config";
        job.ConfigState = $"no {configName} in the package";
        if (configImage is { } image)
        {
            job.ConfigState = $"{configName} already current";
            byte[] held = configTarget == NodeImageTarget.FactoryConfig ? info.FactoryConfigDigest : info.FieldConfigDigest;
            // The node reports the SHA-256 it computed itself, so an equal digest means the same bytes are already active.
            if (job.Request.Force || !SHA256.HashData(image.Span).AsSpan().SequenceEqual(held))
            {
                await WriteImageAsync(job, node, configTarget, image, config.NodeVersion, ct).ConfigureAwait(false);
                job.ConfigState = $"{configName} written";
            }
        }

        if (!job.Request.SkipKeys)
            await ProvisionKeysAsync(job, session, node, ct).ConfigureAwait(false);
        else
            await LockAsync(job, node, ct).ConfigureAwait(false);

        if (job.RequestId is { } requestId)
            await ConfirmAsync(job, info.NodeId, requestId, ct).ConfigureAwait(false);

        job.Report(ProvisionStep.Resetting, "Restarting the node");
        job.Doing = "restarting the node";
        await node.ResetAsync(ct).ConfigureAwait(false);
        if (link is not null)
        {
            job.Doing = $"closing the {link.Wrapper.Name} session";
            await link.CloseAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Opens the wrapper's session over the port (its handshake); on failure the port is closed again.</summary>
    private static async Task<LinkSession> OpenLinkAsync(DeviceJob job, LinkWrapper wrapper, INodeTransport transport, CancellationToken ct)
    {
        job.Doing = $"opening the {wrapper.Name} session";
        var options = new LinkOptions
        {
            // The request's response timeout is the node's; the link's timers follow the wrapper's own rules and the baud rate.
            BaudRate = job.Request.BaudRate,
            Resends = job.Request.Resends,
            MaxMessageSize = job.Request.MaxMessageSize,
            Password = job.Request.LinkPassword,
        };
        try
        {
            return await wrapper.OpenAsync(transport, LinkRole.Station, options, ct).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw new StationFailureException(ProvExitCode.InvalidArguments, e.Message, e);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The node link's tuning for a request: its message size, and its waits (explicit, or from baud and wrapper).</summary>
    private NodeClientOptions NodeOptions(ProvisionRequest request)
    {
        var options = request.MaxMessageSize is { } max ? _nodeOptions with { MaxMessageSize = max } : _nodeOptions;
        if (!_givenOptions) return StationTimeouts.For(request).ApplyTo(options);
        return options with
        {
            FirstContactTimeout = request.FirstContactTimeout ?? options.FirstContactTimeout,
            ResponseTimeout = request.ResponseTimeout ?? options.ResponseTimeout,
            Retries = request.Resends ?? options.Retries,
        };
    }

    private string Timeouts(ProvisionRequest request)
    {
        var o = NodeOptions(request);
        return new StationTimeouts(o.FirstContactTimeout, o.ResponseTimeout, o.Retries).ToString();
    }

    private static async Task<(NodeImageTarget Target, ReadOnlyMemory<byte>? Image)> ConfigImageAsync(ProvisionRequest request, StationSession session, CancellationToken ct)
    {
        if (request.FactoryConfig)
            return (NodeImageTarget.FactoryConfig, await session.GetFactoryConfigAsync().WaitAsync(ct).ConfigureAwait(false));
        return (NodeImageTarget.FieldConfig, session.FieldConfig);
    }

    private static TransportWrapper CreateWrapper(string name)
    {
        try
        {
            return TransportWrappers.Create(string.IsNullOrWhiteSpace(name) ? TransportWrappers.None : name);
        }
        catch (ArgumentException e)
        {
            throw new StationFailureException(ProvExitCode.InvalidArguments, e.Message, e);
        }
    }

    /// <summary>Codes 39–43: the node must speak our protocol, be the config's node type and hardware, be calibrated and have room for the config.</summary>
    private static void CheckCompatible(NodeInfo info, ConfigInfo config, ReadOnlyMemory<byte>? configImage)
    {
        string node = $"Node 0x{info.NodeId:X8}";
        if (info.ProtocolVersion != ProtocolVersion)
            throw new StationFailureException(ProvExitCode.NodeVersionIncompatible,
                $"{node} speaks node protocol version {info.ProtocolVersion}; this station speaks version {ProtocolVersion}. Use a station module that supports the node's protocol.");
        if (!string.Equals(info.NodeType, config.NodeType, StringComparison.OrdinalIgnoreCase))
            throw new StationFailureException(ProvExitCode.FirmwareUnavailable,
                $"The firmware of config {config.ConfigId} is for node type '{config.NodeType}', but {node} is a '{info.NodeType}'. Check that the config ID or alias is the one for the devices on this line.");
        if (config.HardwareTypes is { Count: > 0 } hardware && !hardware.Contains(info.HardwareType, StringComparer.OrdinalIgnoreCase))
            throw new StationFailureException(ProvExitCode.HardwareTypeIncompatible,
                $"{node} is hardware type '{info.HardwareType}'; config {config.ConfigId} supports only {string.Join(", ", hardware.Select(h => $"'{h}'"))}. Set this device aside or use a config built for its hardware.");
        if (info.Calibration != CalibrationStatus.Valid)
            throw new StationFailureException(ProvExitCode.CalibrationIncompatible,
                $"{node} reports its calibration record as {info.Calibration.ToString().ToLowerInvariant()} (record version {info.CalibrationVersion}). Send the device back to calibration before provisioning it.");
        if (configImage is { } image && image.Length > info.ConfigCapacity)
            throw new StationFailureException(ProvExitCode.ConfigInfoIncompatible,
                $"The configuration of config {config.ConfigId} is {image.Length:N0} bytes, but {node} holds at most {info.ConfigCapacity:N0}. Use a config built for this node.");
    }

    private static async Task WriteImageAsync(DeviceJob job, NodeClient node, NodeImageTarget target, ReadOnlyMemory<byte> image, string version, CancellationToken ct)
    {
        job.Image = target;
        job.ImageSize = image.Length;
        job.ImageConfirmed = 0;
        string what = target switch
        {
            NodeImageTarget.Firmware => $"firmware {version}",
            NodeImageTarget.FactoryConfig => "the factory configuration",
            _ => "the field configuration",
        };
        var step = target == NodeImageTarget.Firmware ? ProvisionStep.Firmware : ProvisionStep.Configuration;
        job.Doing = $"writing {what}";
        job.Report(step, $"Writing {what}", 0);
        await node.WriteImageAsync(target, image, version, new InlineProgress(confirmed =>
        {
            job.ImageConfirmed = confirmed;
            int percent = image.Length == 0 ? 100 : (int)(confirmed * 100 / image.Length);
            job.Report(step, $"Writing {what}: {confirmed:N0} of {image.Length:N0} bytes", percent);
        }), ct).ConfigureAwait(false);
        job.ImageConfirmed = image.Length;
        job.Image = null;
    }

    /// <summary>
    /// Tells the server which root key the node really holds (its check value from GetInfo), before anything new is recorded:
    /// a station stopped between recording a key and confirming it leaves a pending record, and this settles it.
    /// </summary>
    private async Task ResolveAsync(DeviceJob job, NodeInfo info, CancellationToken ct)
    {
        bool hasRoot = (info.Keys & NodeKeySlots.Root) != 0;
        if (hasRoot && info.RootKeyCheckValue is null)
            return; // a node that does not report the check value cannot tell; its records stay as they are
        string? kcv = hasRoot ? Convert.ToHexString(info.RootKeyCheckValue!) : null;
        job.Doing = "reporting the node's root key check value to the server";
        try
        {
            await _sessions.Server.ResolveDeviceAsync(info.NodeId, kcv, ct).ConfigureAwait(false);
        }
        catch (ProvServerException e)
        {
            throw ServerFailures.From(e, $"reporting the root key check value of node 0x{info.NodeId:X8} to the server (nothing was written to the node)");
        }
    }

    private async Task ProvisionKeysAsync(DeviceJob job, StationSession session, NodeClient node, CancellationToken ct)
    {
        var gatewayKeys = await session.GetGatewayKeysAsync().WaitAsync(ct).ConfigureAwait(false);
        uint nodeId = job.NodeId!.Value;
        using var root = PinnedKey.Random(RootKeyLength);
        using var gateway = PinnedKey.CopyOf(gatewayKeys.GatewayKey);
        using var cdld = PinnedKey.CopyOf(gatewayKeys.CdldKey);

        // The server must know the key before the device does (ARCHITECTURE: never a key the server does not know).
        var requestId = Guid.NewGuid();
        job.Report(ProvisionStep.RecordingKey, "Recording the encrypted root key on the server");
        var record = new DeviceRecordRequest(session.Config.ConfigId, job.Request.Batch, DateTimeOffset.UtcNow,
            session.EncryptRootKey(root.Span), RootKeyEncryption.Algorithm, session.Config.KmsKeyFingerprint, null, $"{_stationName} {job.Request.Port}",
            GatewayKeys.CheckValue(root.Span));
        try
        {
            await _sessions.Server.RecordDeviceAsync(nodeId, requestId, record, ct).ConfigureAwait(false);
        }
        catch (ProvServerException e)
        {
            throw ServerFailures.From(e, $"recording node 0x{nodeId:X8} on the server (nothing was written to the node's key slots)");
        }
        job.RequestId = requestId;

        job.Report(ProvisionStep.WritingKeys, "Writing keys");
        var keys = new[] { (Slot: NodeKeySlot.Gateway, Key: gateway), (Slot: NodeKeySlot.Cdld, Key: cdld), (Slot: NodeKeySlot.Root, Key: root) };
        foreach (var (slot, key) in keys)
        {
            job.Doing = $"writing the {SlotName(slot)}";
            await node.WriteKeyAsync(slot, key.Memory, ct).ConfigureAwait(false);
        }

        job.Report(ProvisionStep.VerifyingKeys, "Verifying key check values");
        job.Doing = "reading key check values";
        var reported = await node.GetKeyCheckValuesAsync(ct).ConfigureAwait(false);
        var wrong = keys
            .Where(k => !reported.TryGetValue(k.Slot, out var kcv) || !string.Equals(Convert.ToHexString(kcv), GatewayKeys.CheckValue(k.Key.Span), StringComparison.OrdinalIgnoreCase))
            .Select(k => SlotName(k.Slot))
            .ToList();
        if (wrong.Count > 0)
            throw new StationFailureException(ProvExitCode.VerifyFailed,
                $"Node 0x{nodeId:X8} reports key check values that do not match the keys written ({string.Join(", ", wrong)}). " +
                $"Its record {requestId} stays pending on the server and is left out of a default export (a key confirmed earlier stays current); provision the device again, and set it aside if this repeats.");

        await LockAsync(job, node, ct).ConfigureAwait(false);
    }

    private static async Task LockAsync(DeviceJob job, NodeClient node, CancellationToken ct)
    {
        if (job.Request.SkipLock) return;
        job.Report(ProvisionStep.Locking, "Locking the host port and flash/JTAG");
        job.Doing = "locking the node";
        await node.LockAsync(NodeLockFlags.HostPort | NodeLockFlags.FlashJtag, ct).ConfigureAwait(false);
        job.Locked = true;
    }

    private async Task ConfirmAsync(DeviceJob job, uint nodeId, Guid requestId, CancellationToken ct)
    {
        job.Report(ProvisionStep.Confirming, "Confirming the record on the server");
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await _sessions.Server.ConfirmDeviceAsync(nodeId, requestId, ct).ConfigureAwait(false);
                return;
            }
            catch (ProvServerException e) when (e.Status is null && attempt < ConfirmAttempts)
            {
                // No answer: the confirm may or may not have landed; sending it again is harmless (same request ID).
            }
            catch (ProvServerException e)
            {
                throw ServerFailures.From(e,
                    $"confirming node 0x{nodeId:X8} (the node holds its keys; record {requestId} stays pending until the device is provisioned again)");
            }
        }
    }

    /// <summary>The code and detail for a failure at the job's current step.</summary>
    private static (ProvExitCode Code, string Detail) Classify(Exception e, DeviceJob job) => (LinkException.Find(e) ?? e) switch
    {
        StationFailureException f => (f.Code, f.Message),
        LinkException link => (link.Code,
            $"{link.Message.TrimEnd('.')}, while {job.Doing}{job.Position()}{job.LineDescription()}. " +
            (link.Advice ?? (job.Image == NodeImageTarget.Firmware ? "Provision the device again: the firmware transfer resumes where it stopped." : ProvExitCodes.CorrectiveAction(link.Code)))),
        NodeLinkException { NeverAnswered: true } link => (ProvExitCode.NoDevice,
            $"{link.Message.TrimEnd('.')}{job.LineDescription()}. {ProvExitCodes.CorrectiveAction(ProvExitCode.NoDevice)}"),
        NodeLinkException { Advice: { } advice } link => (ProvExitCode.NodeMessageFailed,
            $"{link.Message.TrimEnd('.')}, while {job.Doing}{job.Position()}{job.LineDescription()}. {advice}"),
        NodeLinkException link => (ProvExitCode.NodeMessageFailed,
            $"{link.Message.TrimEnd('.')}, while {job.Doing}{job.Position()}{job.LineDescription()}. Check the cable and the device's power, then provision it again" +
            (job.Image == NodeImageTarget.Firmware ? " (the firmware transfer resumes where it stopped)." : ".")),
        NodeErrorException node => (NodeErrorCode(node, job), $"{node.Message.TrimEnd('.')}, while {job.Doing}{job.Position()}. {NodeErrorAdvice(node, job)}"),
        _ => (ProvExitCode.InternalError, $"{e.GetType().Name} while {job.Doing}: {e.Message}. Keep this message and report it to the line's engineer."),
    };

    private static ProvExitCode NodeErrorCode(NodeErrorException e, DeviceJob job) => (job.Image, e.Code) switch
    {
        (NodeImageTarget.Firmware, Node.NodeErrorCode.DigestMismatch or Node.NodeErrorCode.ImageRejected) => ProvExitCode.FirmwareUnavailable,
        (NodeImageTarget.FieldConfig or NodeImageTarget.FactoryConfig, Node.NodeErrorCode.DigestMismatch or Node.NodeErrorCode.ImageRejected) => ProvExitCode.ConfigUnavailable,
        (NodeImageTarget.FieldConfig or NodeImageTarget.FactoryConfig, Node.NodeErrorCode.ImageTooLarge) => ProvExitCode.ConfigInfoIncompatible,
        _ => ProvExitCode.NodeError,
    };

    private static string NodeErrorAdvice(NodeErrorException e, DeviceJob job) => NodeErrorCode(e, job) switch
    {
        ProvExitCode.FirmwareUnavailable => "The node did not activate the image and keeps its old firmware. " + ProvExitCodes.CorrectiveAction(ProvExitCode.FirmwareUnavailable),
        ProvExitCode.ConfigUnavailable => "The node did not activate the configuration. " + ProvExitCodes.CorrectiveAction(ProvExitCode.ConfigUnavailable),
        ProvExitCode.ConfigInfoIncompatible => "Use a config built for this node.",
        _ => ProvExitCodes.CorrectiveAction(ProvExitCode.NodeError),
    };

    private static string SlotName(NodeKeySlot slot) => slot switch
    {
        NodeKeySlot.Gateway => "gateway key",
        NodeKeySlot.Cdld => "CDLD key",
        _ => "node root key",
    };

    /// <summary>What is known about one device as its flow runs, for progress, error messages and the result.</summary>
    private sealed class DeviceJob(ProvisionRequest request, IProgress<ProvisionProgress>? progress)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        public ProvisionRequest Request { get; } = request;
        public uint? NodeId { get; set; }
        public ulong? ConfigId { get; set; }
        public bool FirmwareUpdated { get; set; }
        public string ConfigState { get; set; } = "";
        public bool Locked { get; set; }
        public Guid? RequestId { get; set; }
        public string Doing { get; set; } = "fetching the configuration";
        public NodeImageTarget? Image { get; set; }
        public long ImageSize { get; set; }
        public long ImageConfirmed { get; set; }
        public DeviceLog? Log { get; init; }
        public NodeClient? Node { get; set; }

        public void Report(ProvisionStep step, string status, int percent = -1)
        {
            Log?.Step(step, status, LinkStatistics());
            progress?.Report(new ProvisionProgress(Request.Port, step, percent, status));
        }

        public (int Damaged, int Resends, int ChunksLost)? LinkStatistics()
            => Node is { } node ? (node.LinkStatistics.DamagedFrames, node.LinkStatistics.Resends, node.ChunksLost) : null;

        public string Position() => Image is null ? "" : $" at {ImageConfirmed.ToString(CultureInfo.InvariantCulture)} of {ImageSize.ToString(CultureInfo.InvariantCulture)} bytes";

        public string LineDescription() => NodeTransport.IsTcp(Request.Port)
            ? $" (timing assumes a {Request.BaudRate} baud line behind the device server; give -BaudRate with the device's rate)"
            : $" (line set to {Request.BaudRate} baud)";

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
            => new(Request.Port, NodeId, ConfigId, Request.Batch, FirmwareUpdated, code, $"{ProvExitCodes.Interpretation(code)}: {detail}", _clock.Elapsed);
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (Progress&lt;T&gt; would post to a context).</summary>
    private sealed class InlineProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
