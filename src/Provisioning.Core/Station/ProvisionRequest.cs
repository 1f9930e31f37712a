namespace Provisioning.Core.Station;

/// <summary>One device to provision: the parameters of guide Table 3 for one port.</summary>
/// <param name="Port">Serial port name or <c>tcp://host:port</c>.</param>
/// <param name="BaudRate">Serial line rate; for <c>tcp://</c>, the rate of the line behind the device server (timeouts follow it).</param>
/// <param name="Batch">Batch number.</param>
/// <param name="Wrapper">Transport wrapper name.</param>
/// <param name="FactoryConfig">Write the factory configuration instead of the field configuration.</param>
/// <param name="SkipKeys">Do not generate or write keys (firmware and configuration only; nothing recorded).</param>
/// <param name="SkipLock">Leave the host port and flash/JTAG unlocked.</param>
/// <param name="Force">Write firmware even when the node already runs the configuration's version.</param>
public sealed record ProvisionRequest(
    string Port, int BaudRate, uint Batch, string Wrapper, bool FactoryConfig, bool SkipKeys, bool SkipLock, bool Force)
{
    /// <summary>Largest message, wrapping included, the host takes; null: the wrapper's own (512 for orw).</summary>
    public int? MaxMessageSize { get; init; }

    /// <summary>
    /// The guide's <c>--path_trans_from</c>: the start of the configuration's file paths, as the server names them, to
    /// rewrite (shared file repository mode). Null: paths are used as the server gives them.
    /// </summary>
    public string? PathTranslateFrom { get; init; }

    /// <summary>The guide's <c>--path_trans_to</c>: what <see cref="PathTranslateFrom"/> becomes on this station.</summary>
    public string? PathTranslateTo { get; init; }

    /// <summary>Wait for the node's first answer; null: derived from the baud rate and wrapper.</summary>
    public TimeSpan? FirstContactTimeout { get; init; }

    /// <summary>Base wait for each answer; null: derived from the baud rate and wrapper.</summary>
    public TimeSpan? ResponseTimeout { get; init; }

    /// <summary>How many times a message is sent again; null: the default for the wrapper.</summary>
    public int? Resends { get; init; }

    /// <summary>Folder or file for this device's timestamped log (port, node ID, step timings, resends, codes); null: none.</summary>
    public string? LogPath { get; init; }

    /// <summary>
    /// The password the wrapper's session presents (opt_psem: the meter's C12.18 security password, sent in the Security
    /// request and cleared after use); null: none. Never logged.
    /// </summary>
    public System.Security.SecureString? LinkPassword { get; init; }
}
