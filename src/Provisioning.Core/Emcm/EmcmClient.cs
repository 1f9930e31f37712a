using Provisioning.Core.Node;
using Provisioning.Core.Station;

namespace Provisioning.Core.Emcm;

// CONTRACT (foundation of the eMCM work): the signatures below are what the stage flows build on. The bodies are
// written with the eMCM protocol (docs/emcm-protocol.md); until then every call throws NotImplementedException.

/// <summary>The eMCM's configuration slots and which one is active.</summary>
public enum EmcmConfigSlot : byte
{
    /// <summary>No configuration active.</summary>
    None = 0,
    /// <summary>The factory configuration (used during manufacturing, names the factory network).</summary>
    Factory = 1,
    /// <summary>The field configuration (customer operation).</summary>
    Field = 2,
}

/// <summary>What an eMCM image write targets.</summary>
public enum EmcmImageTarget : byte
{
    /// <summary>The eMCM firmware.</summary>
    Firmware = 1,
    /// <summary>The factory configuration slot.</summary>
    FactoryConfig = 2,
    /// <summary>The field configuration slot.</summary>
    FieldConfig = 3,
}

/// <summary>The last multi-stage operation an eMCM has passed (kept in its flash).</summary>
public enum EmcmStagePassed : byte
{
    /// <summary>None yet.</summary>
    None = 0,
    /// <summary>PRETEST: firmware current, factory configs applied, node cleared on the gateway.</summary>
    PreTest = 1,
    /// <summary>POSTTEST (or single-stage provisioning): field configs and keys applied.</summary>
    PostTest = 3,
}

/// <summary>The eMCM's answer to GetInfo.</summary>
/// <param name="EmcmId">The eMCM ID, hex (16 digits); its last 8 digits are the partial MCM ID printed on the label.</param>
/// <param name="HostType">The eMCM hardware/host type (firmware must be built for it).</param>
/// <param name="FirmwareVersion">Active firmware version; empty when none.</param>
/// <param name="FactoryConfigSha256">SHA-256 of the factory configuration slot as the eMCM computed it; empty when none.</param>
/// <param name="FieldConfigSha256">SHA-256 of the field configuration slot; empty when none.</param>
/// <param name="ActiveConfig">Which configuration is active.</param>
/// <param name="KeyCheckValue">Check value (3 bytes, AES-ECB of a zero block) of the MCM key it holds; null when none.</param>
/// <param name="Quiet">Quiet mode (no radio traffic during meter calibration).</param>
/// <param name="Stage">The last multi-stage operation passed.</param>
/// <param name="SelfTestPassed">Hardware self-test result.</param>
/// <param name="SelfTestDetail">What the self-test found when it failed; null when it passed.</param>
/// <param name="Locked">Debug and flash interfaces secured.</param>
public sealed record EmcmInfo(
    string EmcmId, string HostType, string FirmwareVersion, byte[] FactoryConfigSha256, byte[] FieldConfigSha256,
    EmcmConfigSlot ActiveConfig, byte[]? KeyCheckValue, bool Quiet, EmcmStagePassed Stage, bool SelfTestPassed,
    string? SelfTestDetail, bool Locked)
{
    /// <summary>The last 8 hex digits of <see cref="EmcmId"/> (the guide's partial MCM ID).</summary>
    public string PartialMcmId => EmcmId.Length <= 8 ? EmcmId : EmcmId[^8..];
}

/// <summary>What the eMCM reports about its meter link.</summary>
/// <param name="MeterId">The meter's identification as the eMCM read it.</param>
/// <param name="Detail">Free text (meter type, firmware) for logs.</param>
public sealed record EmcmMeterLink(string MeterId, string? Detail);

/// <summary>Tuning of the eMCM link; null values follow the node link's.</summary>
public sealed record EmcmClientOptions
{
    /// <summary>Wait for each eMCM answer; null: derived from the line.</summary>
    public TimeSpan? ResponseTimeout { get; init; }

    /// <summary>How many times a request is sent again before 68; null: 3.</summary>
    public int? Resends { get; init; }

    /// <summary>Receives debug lines for the device log; never key material.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>An eMCM failure, with the station's Table 4 code (68, 69, 70, 72 or 164).</summary>
public sealed class EmcmException(ProvExitCode code, string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The station's return code.</summary>
    public ProvExitCode Code { get; } = code;
}

/// <summary>
/// The station's side of the eMCM protocol (docs/emcm-protocol.md): host messages that share the line with the node's,
/// through the transport wrapper's host channel (orw, reliable, opt_psem).
/// </summary>
public sealed class EmcmClient : IAsyncDisposable
{
    /// <summary>An eMCM client on the line <paramref name="node"/> runs on.</summary>
    public EmcmClient(NodeClient node, EmcmClientOptions? options = null) => throw new NotImplementedException();

    /// <summary>Reads the eMCM's info; 68 when it never answers.</summary>
    public Task<EmcmInfo> GetInfoAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Writes an image (firmware or a configuration slot) and has the eMCM check and activate it.</summary>
    public Task WriteImageAsync(EmcmImageTarget target, ReadOnlyMemory<byte> image, string version, IProgress<long>? progress, CancellationToken cancellationToken)
        => throw new NotImplementedException();

    /// <summary>Activates a configuration slot already written.</summary>
    public Task ActivateConfigAsync(EmcmConfigSlot slot, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Writes the MCM key (16 bytes); the caller verifies it with <see cref="GetKeyCheckValueAsync"/>.</summary>
    public Task WriteKeyAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>The check value of the MCM key the eMCM holds; null when none.</summary>
    public Task<byte[]?> GetKeyCheckValueAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Sets or clears quiet mode.</summary>
    public Task SetQuietAsync(bool quiet, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Records the stage passed in the eMCM's flash.</summary>
    public Task SetStageAsync(EmcmStagePassed stage, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Has the eMCM talk to its meter; 164 when the meter does not answer.</summary>
    public Task<EmcmMeterLink> CheckMeterAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Secures the eMCM's debug and flash interfaces.</summary>
    public Task LockAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
