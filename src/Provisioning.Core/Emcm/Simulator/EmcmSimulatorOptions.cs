using Provisioning.Core.Node.Simulator;

namespace Provisioning.Core.Emcm.Simulator;

/// <summary>Faults a simulated eMCM injects, each giving the station one of its Table 4 codes.</summary>
[Flags]
public enum EmcmFaults
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>The eMCM answers no host message (the node behind it still answers): 68.</summary>
    NoAnswer = 1,
    /// <summary>Every request but GetInfo gets an error answer: 69.</summary>
    HostError = 2,
    /// <summary>The key check value reported is not the key's, so the station's verification fails: 70.</summary>
    KeyVerificationFails = 4,
    /// <summary>The hardware self-test fails (GetInfo says so) and flash writes (commit, key) fail: 72.</summary>
    HardwareFails = 8,
    /// <summary>The meter behind the eMCM does not answer its link check: 164.</summary>
    MeterNotAnswering = 16,
}

/// <summary>How a simulated eMCM is set up: the node behind it, and the host processor's own identity, state file and faults.</summary>
public sealed record EmcmSimulatorOptions
{
    /// <summary>The node behind the eMCM and the line (port, wrapper, baud rate, pacing, noise, node faults, gateway).</summary>
    public NodeSimulatorOptions Node { get; init; } = new();

    /// <summary>The eMCM ID, 16 hex digits (its last 8 are the partial MCM ID on the label); null: <c>EC00</c>, 4 zeros and the node ID in hex.</summary>
    public string? EmcmId { get; init; }

    /// <summary>The eMCM hardware (host) type reported.</summary>
    public string HostType { get; init; } = "emcm-a";

    /// <summary>The eMCM firmware version it starts with (a new state file only); empty: none.</summary>
    public string FirmwareVersion { get; init; } = "1.0.0";

    /// <summary>What the meter behind it answers to the link check; null: <c>MTR</c> and the node ID in decimal.</summary>
    public string? MeterId { get; init; }

    /// <summary>
    /// The eMCM's flash (JSON), kept across restarts; null: beside the node's state file (<c>name.emcm.json</c> for
    /// <c>name.json</c>), or in memory only when the node has none.
    /// </summary>
    public string? StatePath { get; init; }

    /// <summary>Faults to inject.</summary>
    public EmcmFaults Faults { get; init; }

    /// <summary>The eMCM ID in use: <see cref="EmcmId"/>, or the one derived from the node ID.</summary>
    public string ResolvedEmcmId => (EmcmId ?? $"EC000000{Node.NodeId:X8}").ToUpperInvariant();

    /// <summary>The state file in use (see <see cref="StatePath"/>), or null.</summary>
    public string? ResolvedStatePath => StatePath ?? (Node.StatePath is { } node
        ? Path.Combine(Path.GetDirectoryName(node) ?? "", Path.GetFileNameWithoutExtension(node) + ".emcm.json")
        : null);

    /// <summary>Throws <see cref="ArgumentException"/> for options that cannot run.</summary>
    public void Validate()
    {
        string id = ResolvedEmcmId;
        if (id.Length != 2 * EmcmMessages.IdLength || !id.All(Uri.IsHexDigit))
            throw new ArgumentException($"An eMCM ID is {2 * EmcmMessages.IdLength} hex digits (its last 8 are the partial MCM ID); '{id}' is not.", nameof(EmcmId));
        if (System.Text.Encoding.UTF8.GetByteCount(HostType) is 0 or > EmcmMessages.MaxName)
            throw new ArgumentException($"The eMCM host type is 1 to {EmcmMessages.MaxName} bytes; '{HostType}' is not.", nameof(HostType));
        if (System.Text.Encoding.UTF8.GetByteCount(FirmwareVersion) > EmcmMessages.MaxName)
            throw new ArgumentException($"The eMCM firmware version is at most {EmcmMessages.MaxName} bytes; '{FirmwareVersion}' is longer.", nameof(FirmwareVersion));
        if (MeterId is { } meter && System.Text.Encoding.UTF8.GetByteCount(meter) is 0 or > EmcmMessages.MaxName)
            throw new ArgumentException($"The meter ID is 1 to {EmcmMessages.MaxName} bytes; '{meter}' is not.", nameof(MeterId));
        if (Node.StatePath is { } nodePath && ResolvedStatePath is { } emcmPath
            && string.Equals(Path.GetFullPath(nodePath), Path.GetFullPath(emcmPath), StringComparison.Ordinal))
            throw new ArgumentException($"The eMCM's state file cannot be the node's ('{nodePath}').", nameof(StatePath));
    }
}

/// <summary>What a simulated eMCM holds: its flash, as kept in its state file.</summary>
/// <param name="EmcmId">The eMCM ID (16 hex digits).</param>
/// <param name="HostType">Host type.</param>
/// <param name="FirmwareVersion">Active firmware version; empty when none.</param>
/// <param name="FirmwareSha256">Hex SHA-256 of the active firmware written to it; empty when none was written.</param>
/// <param name="FactoryConfigSha256">Hex SHA-256 of the factory configuration slot; empty when none.</param>
/// <param name="FieldConfigSha256">Hex SHA-256 of the field configuration slot; empty when none.</param>
/// <param name="ActiveConfig">The active configuration slot.</param>
/// <param name="KeyCheckValue">Hex check value of the MCM key held (the true one, whatever a fault reports); null when none.</param>
/// <param name="Quiet">Quiet mode.</param>
/// <param name="Stage">The last multi-stage operation passed.</param>
/// <param name="Locked">Debug and flash interfaces secured.</param>
/// <param name="SelfTestPassed">The hardware self-test result.</param>
/// <param name="FirmwareWrites">Firmware images activated since the state was created.</param>
/// <param name="Requests">Requests handled since the simulator started (repeats answered from memory not counted).</param>
public sealed record EmcmStateSnapshot(
    string EmcmId, string HostType, string FirmwareVersion, string FirmwareSha256, string FactoryConfigSha256, string FieldConfigSha256,
    EmcmConfigSlot ActiveConfig, string? KeyCheckValue, bool Quiet, EmcmStagePassed Stage, bool Locked, bool SelfTestPassed,
    int FirmwareWrites, int Requests)
{
    /// <summary>The last 8 hex digits of the eMCM ID.</summary>
    public string PartialMcmId => EmcmId[^8..];
}
