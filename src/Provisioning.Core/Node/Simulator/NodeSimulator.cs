namespace Provisioning.Core.Node.Simulator;

/// <summary>What a simulated node holds: its flash, as kept in the state file.</summary>
/// <param name="NodeId">Node ID.</param>
/// <param name="FirmwareVersion">Active firmware version.</param>
/// <param name="FirmwareSha256">Hex SHA-256 of the active firmware image; empty when none.</param>
/// <param name="FieldConfigSha256">Hex SHA-256 of the field configuration; empty when none.</param>
/// <param name="FactoryConfigSha256">Hex SHA-256 of the factory configuration; empty when none.</param>
/// <param name="KeyCheckValues">Hex key check value per slot holding a key.</param>
/// <param name="Locks">Interfaces secured.</param>
/// <param name="Resets">Resets since the state was created.</param>
/// <param name="FirmwareWrites">Firmware images activated since the state was created.</param>
public sealed record NodeStateSnapshot(
    uint NodeId, string FirmwareVersion, string FirmwareSha256, string FieldConfigSha256, string FactoryConfigSha256,
    IReadOnlyDictionary<NodeKeySlot, string> KeyCheckValues, NodeLockFlags Locks, int Resets, int FirmwareWrites);

/// <summary>
/// A node that speaks the node protocol on a serial port or a TCP port, for rehearsal and tests.
/// Runs on background tasks until stopped.
/// </summary>
public sealed class NodeSimulator : IAsyncDisposable
{
    private NodeSimulator() => throw new NotImplementedException();

    /// <summary>Starts a simulator; returns once it is listening (TCP) or has opened its serial port.</summary>
    public static Task<NodeSimulator> StartAsync(NodeSimulatorOptions options, CancellationToken cancellationToken)
        => throw new NotImplementedException();

    /// <summary>The options it runs with.</summary>
    public NodeSimulatorOptions Options => throw new NotImplementedException();

    /// <summary>The port a station uses to reach it: <c>tcp://127.0.0.1:port</c> (actual port) or the serial device name given.</summary>
    public string Endpoint => throw new NotImplementedException();

    /// <summary>What the node holds now.</summary>
    public NodeStateSnapshot State => throw new NotImplementedException();

    /// <summary>A copy of the key in <paramref name="slot"/> (the device's flash), or null. For rehearsal checks; the caller zeroes it.</summary>
    public byte[]? ReadKey(NodeKeySlot slot) => throw new NotImplementedException();

    /// <summary>Bytes received and sent on the line so far.</summary>
    public (long Received, long Sent) ByteCounts => throw new NotImplementedException();

    /// <summary>The last error that ended a connection (e.g. port closed), for diagnostics; null when none.</summary>
    public string? LastError => throw new NotImplementedException();

    /// <summary>Stops serving and closes the port; the state file stays.</summary>
    public Task StopAsync() => throw new NotImplementedException();

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    public ValueTask DisposeAsync() => new(StopAsync());
}
