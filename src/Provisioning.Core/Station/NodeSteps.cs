using System.Security.Cryptography;
using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;
using Provisioning.Core.Node;
using Provisioning.Core.Transport;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Station;

/// <summary>
/// The node's part of a station flow, step by step, shared by the node flow (<see cref="NodeProvisioner"/>) and the eMCM
/// flows: opening the line, compatibility checks, image writes, settling an earlier run's pending record by the node's
/// root key check value, recording keys before they reach a device, writing and verifying the node's keys, locking and
/// confirming. Each step throws <see cref="StationFailureException"/> (or the link's own exceptions, which
/// <see cref="Classify"/> turns into a code).
/// </summary>
internal sealed class NodeSteps
{
    /// <summary>How often a confirm that did not reach the server is sent again (it is idempotent by request ID).</summary>
    private const int ConfirmAttempts = 3;

    private readonly NodeClientOptions _nodeOptions;
    // Given options (tests, tools) keep their waits unless a request names its own; otherwise they follow baud and wrapper.
    private readonly bool _givenOptions;

    public NodeSteps(StationSessions sessions, NodeClientOptions? nodeOptions, string? stationName)
    {
        Sessions = sessions;
        _nodeOptions = nodeOptions ?? new NodeClientOptions();
        _givenOptions = nodeOptions is not null;
        StationName = stationName ?? Environment.MachineName;
    }

    public StationSessions Sessions { get; }

    public string StationName { get; }

    /// <summary>The node link's tuning for a request: its message size, and its waits (explicit, or from baud and wrapper).</summary>
    public NodeClientOptions NodeOptions(ProvisionRequest request)
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

    /// <summary>The waits in use, for the device log's first line.</summary>
    public string Timeouts(ProvisionRequest request)
    {
        var o = NodeOptions(request);
        return new StationTimeouts(o.FirstContactTimeout, o.ResponseTimeout, o.Retries).ToString();
    }

    /// <summary>
    /// Opens the request's port, the wrapper's session on it when the wrapper runs one (reliable, opt_psem), and the node
    /// link inside: 4 when the port cannot be opened, 3 when it or the wrapper is not usable.
    /// </summary>
    public async Task<StationLine> OpenLineAsync(StationJob job, CancellationToken ct)
    {
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
        var node = new NodeClient(transport, wrapper, nodeOptions);
        job.Node = node;
        return new StationLine(node, link, nodeOptions);
    }

    /// <summary>Opens the wrapper's session over the port (its handshake); on failure the port is closed again.</summary>
    private static async Task<LinkSession> OpenLinkAsync(StationJob job, LinkWrapper wrapper, INodeTransport transport, CancellationToken ct)
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

    /// <summary>The wrapper a request names; 3 when there is none of that name.</summary>
    public static TransportWrapper CreateWrapper(string name)
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

    /// <summary>Reads the node's info onto the job and logs it.</summary>
    public static async Task<NodeInfo> GetInfoAsync(StationJob job, NodeClient node, CancellationToken ct)
    {
        job.Doing = "reading the node's info";
        var info = await node.GetInfoAsync(ct).ConfigureAwait(false);
        job.NodeId = info.NodeId;
        job.Log?.Write(StationLogLevel.Debug, $"Node 0x{info.NodeId:X8}: type {info.NodeType}, hardware {info.HardwareType}, firmware {info.FirmwareVersion}, " +
            $"protocol {info.ProtocolVersion}, calibration {info.Calibration}; messages of at most {node.MaxMessageSize} bytes");
        return info;
    }

    /// <summary>The configuration the request writes: the factory one with <see cref="ProvisionRequest.FactoryConfig"/>, else the field one.</summary>
    public static Task<(NodeImageTarget Target, ReadOnlyMemory<byte>? Image)> ConfigImageAsync(ProvisionRequest request, StationSession session, CancellationToken ct)
        => ConfigImageAsync(request.FactoryConfig, session, ct);

    /// <summary>The node's factory configuration (44 when the package has none) or its field configuration (null when none).</summary>
    public static async Task<(NodeImageTarget Target, ReadOnlyMemory<byte>? Image)> ConfigImageAsync(bool factory, StationSession session, CancellationToken ct)
    {
        if (factory)
            return (NodeImageTarget.FactoryConfig, await session.GetFactoryConfigAsync().WaitAsync(ct).ConfigureAwait(false));
        return (NodeImageTarget.FieldConfig, session.FieldConfig);
    }

    /// <summary>Codes 39–43: the node must speak our protocol, be the config's node type and hardware, be calibrated and have room for the config.</summary>
    public static void CheckCompatible(NodeInfo info, ConfigInfo config, ReadOnlyMemory<byte>? configImage)
    {
        string node = $"Node 0x{info.NodeId:X8}";
        if (info.ProtocolVersion != NodeProvisioner.ProtocolVersion)
            throw new StationFailureException(ProvExitCode.NodeVersionIncompatible,
                $"{node} speaks node protocol version {info.ProtocolVersion}; this station speaks version {NodeProvisioner.ProtocolVersion}. Use a station module that supports the node's protocol.");
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

    /// <summary>Writes the config's node firmware when the node runs another version (or <paramref name="force"/>); true when written.</summary>
    public static async Task<bool> WriteFirmwareIfNeededAsync(StationJob job, NodeClient node, NodeInfo info, StationSession session, bool force, CancellationToken ct)
    {
        if (!force && string.Equals(info.FirmwareVersion, session.Config.NodeVersion, StringComparison.Ordinal)) return false;
        await WriteImageAsync(job, node, NodeImageTarget.Firmware, session.Firmware, session.Config.NodeVersion, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Writes a node configuration unless the node already holds the same bytes (or <paramref name="force"/>); returns what
    /// became of it, for the result ("field config written", "… already current", "no … in the package").
    /// </summary>
    public static async Task<string> WriteConfigIfNeededAsync(StationJob job, NodeClient node, NodeInfo info, NodeImageTarget target,
        ReadOnlyMemory<byte>? image, string version, bool force, CancellationToken ct)
    {
        string configName = target == NodeImageTarget.FactoryConfig ? "factory config" : "field config";
        if (image is not { } bytes) return $"no {configName} in the package";
        byte[] held = target == NodeImageTarget.FactoryConfig ? info.FactoryConfigDigest : info.FieldConfigDigest;
        // The node reports the SHA-256 it computed itself, so an equal digest means the same bytes are already active.
        if (!force && SHA256.HashData(bytes.Span).AsSpan().SequenceEqual(held)) return $"{configName} already current";
        await WriteImageAsync(job, node, target, bytes, version, ct).ConfigureAwait(false);
        return $"{configName} written";
    }

    public static async Task WriteImageAsync(StationJob job, NodeClient node, NodeImageTarget target, ReadOnlyMemory<byte> image, string version, CancellationToken ct)
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
        await node.WriteImageAsync(target, image, version, job.TransferProgress(step, what, image.Length), ct).ConfigureAwait(false);
        job.ImageConfirmed = image.Length;
        job.Image = null;
    }

    /// <summary>
    /// Tells the server which root key the node really holds (its check value from GetInfo), before anything new is recorded:
    /// a station stopped between recording a key and confirming it leaves a pending record, and this settles it.
    /// </summary>
    public async Task ResolveAsync(StationJob job, NodeInfo info, CancellationToken ct)
    {
        bool hasRoot = (info.Keys & NodeKeySlots.Root) != 0;
        if (hasRoot && info.RootKeyCheckValue is null)
            return; // a node that does not report the check value cannot tell; its records stay as they are
        string? kcv = hasRoot ? Convert.ToHexString(info.RootKeyCheckValue!) : null;
        job.Doing = "reporting the node's root key check value to the server";
        try
        {
            await Sessions.Server.ResolveDeviceAsync(info.NodeId, kcv, ct).ConfigureAwait(false);
        }
        catch (ProvServerException e)
        {
            throw ServerFailures.From(e, $"reporting the root key check value of node 0x{info.NodeId:X8} to the server (nothing was written to the node)");
        }
    }

    /// <summary>
    /// Records the device pending on the server: the root key encrypted for the KMS and <paramref name="apps"/> (keys already
    /// encrypted for their head ends). Must come before any of these keys reaches a device.
    /// </summary>
    public async Task RecordAsync(StationJob job, StationSession session, PinnedKey rootKey, IReadOnlyList<DeviceApp>? apps, CancellationToken ct)
    {
        uint nodeId = job.NodeId!.Value;
        var requestId = Guid.NewGuid();
        job.Report(ProvisionStep.RecordingKey, apps is { Count: > 0 } ? "Recording the encrypted keys on the server" : "Recording the encrypted root key on the server");
        job.Doing = "recording the device on the server";
        var record = new DeviceRecordRequest(session.Config.ConfigId, job.Request.Batch, DateTimeOffset.UtcNow,
            session.EncryptRootKey(rootKey.Span), RootKeyEncryption.Algorithm, session.Config.KmsKeyFingerprint, apps, $"{StationName} {job.Request.Port}",
            GatewayKeys.CheckValue(rootKey.Span));
        try
        {
            await Sessions.Server.RecordDeviceAsync(nodeId, requestId, record, ct).ConfigureAwait(false);
        }
        catch (ProvServerException e)
        {
            throw ServerFailures.From(e, $"recording node 0x{nodeId:X8} on the server (nothing was written to the device's key slots)");
        }
        job.RequestId = requestId;
    }

    /// <summary>Writes the gateway, CDLD and (last) root keys to the node and compares the check values it reports: 38 when they differ.</summary>
    public static async Task WriteKeysAsync(StationJob job, StationSession session, NodeClient node, PinnedKey root, CancellationToken ct)
    {
        var gatewayKeys = await session.GetGatewayKeysAsync().WaitAsync(ct).ConfigureAwait(false);
        using var gateway = PinnedKey.CopyOf(gatewayKeys.GatewayKey);
        using var cdld = PinnedKey.CopyOf(gatewayKeys.CdldKey);
        uint nodeId = job.NodeId!.Value;

        job.Report(ProvisionStep.WritingKeys, "Writing keys");
        // The root key goes last: the node's root key check value is what tells the server, after a crash, which record it holds.
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
                $"Its record {job.RequestId} stays pending on the server and is left out of a default export (a key confirmed earlier stays current); provision the device again, and set it aside if this repeats.");
    }

    /// <summary>Locks the node's host port and flash/JTAG unless the request says -SkipLock.</summary>
    public static async Task LockAsync(StationJob job, NodeClient node, CancellationToken ct)
    {
        if (job.Request.SkipLock) return;
        job.Report(ProvisionStep.Locking, "Locking the host port and flash/JTAG");
        job.Doing = "locking the node";
        await node.LockAsync(NodeLockFlags.HostPort | NodeLockFlags.FlashJtag, ct).ConfigureAwait(false);
        job.Locked = true;
    }

    /// <summary>Confirms the job's record: the device holds its keys. A confirm that got no answer is sent again (same request ID).</summary>
    public async Task ConfirmAsync(StationJob job, CancellationToken ct)
    {
        if (job.RequestId is not { } requestId) return;
        uint nodeId = job.NodeId!.Value;
        job.Report(ProvisionStep.Confirming, "Confirming the record on the server");
        job.Doing = "confirming the record on the server";
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await Sessions.Server.ConfirmDeviceAsync(nodeId, requestId, ct).ConfigureAwait(false);
                return;
            }
            catch (ProvServerException e) when (e.Status is null && attempt < ConfirmAttempts)
            {
                // No answer: the confirm may or may not have landed; sending it again is harmless (same request ID).
            }
            catch (ProvServerException e)
            {
                throw ServerFailures.From(e,
                    $"confirming node 0x{nodeId:X8} (the device holds its keys; record {requestId} stays pending until the device is provisioned again)");
            }
        }
    }

    /// <summary>Restarts the node and closes the wrapper's session, if any.</summary>
    public static async Task FinishAsync(StationJob job, StationLine line, CancellationToken ct)
    {
        job.Report(ProvisionStep.Resetting, "Restarting the node");
        job.Doing = "restarting the node";
        await line.Node.ResetAsync(ct).ConfigureAwait(false);
        await line.CloseLinkAsync(job, ct).ConfigureAwait(false);
    }

    /// <summary>The code and detail for a failure of a node step at the job's current step.</summary>
    public static (ProvExitCode Code, string Detail) Classify(Exception e, StationJob job) => (LinkException.Find(e) ?? e) switch
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

    private static ProvExitCode NodeErrorCode(NodeErrorException e, StationJob job) => (job.Image, e.Code) switch
    {
        (NodeImageTarget.Firmware, Node.NodeErrorCode.DigestMismatch or Node.NodeErrorCode.ImageRejected) => ProvExitCode.FirmwareUnavailable,
        (NodeImageTarget.FieldConfig or NodeImageTarget.FactoryConfig, Node.NodeErrorCode.DigestMismatch or Node.NodeErrorCode.ImageRejected) => ProvExitCode.ConfigUnavailable,
        (NodeImageTarget.FieldConfig or NodeImageTarget.FactoryConfig, Node.NodeErrorCode.ImageTooLarge) => ProvExitCode.ConfigInfoIncompatible,
        _ => ProvExitCode.NodeError,
    };

    private static string NodeErrorAdvice(NodeErrorException e, StationJob job) => NodeErrorCode(e, job) switch
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
}

/// <summary>An open line to a device: the node link, and the wrapper's session under it when the wrapper runs one.</summary>
internal sealed class StationLine(NodeClient node, LinkSession? link, NodeClientOptions nodeOptions) : IAsyncDisposable
{
    public NodeClient Node { get; } = node;

    public LinkSession? Link { get; } = link;

    /// <summary>The node link's waits in use (the host link derives its own from them).</summary>
    public NodeClientOptions NodeOptions { get; } = nodeOptions;

    /// <summary>Ends the wrapper's session cleanly (the meter logs off) before the port closes.</summary>
    public async Task CloseLinkAsync(StationJob job, CancellationToken ct)
    {
        if (Link is null) return;
        job.Doing = $"closing the {Link.Wrapper.Name} session";
        await Link.CloseAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Closes the port (the node link owns it).</summary>
    public ValueTask DisposeAsync() => Node.DisposeAsync();
}
