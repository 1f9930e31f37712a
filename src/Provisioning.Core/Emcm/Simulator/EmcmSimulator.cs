using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;

namespace Provisioning.Core.Emcm.Simulator;

/// <summary>
/// A simulated eMCM meter module: the host processor (eMCM protocol, docs/emcm-protocol.md) and the node behind it on one
/// line, on a serial port or a TCP port, for rehearsal and tests. The eMCM answers the station's host messages, the node its
/// node messages, through the same transport wrapper (orw, reliable or opt_psem). Runs on background tasks until stopped.
/// </summary>
/// <remarks>
/// Both keep their flash in state files (the node's at <see cref="NodeSimulatorOptions.StatePath"/>, the eMCM's beside it), so
/// a board moved from a fixture (orw over serial) to a meter (opt_psem at 9600 baud) is started again with the same files and
/// keeps what it was given.
/// </remarks>
public sealed class EmcmSimulator : IAsyncDisposable
{
    private readonly SimulatedEmcm _emcm;

    private EmcmSimulator(EmcmSimulatorOptions options, SimulatedEmcm emcm, NodeSimulator node)
    {
        Options = options;
        _emcm = emcm;
        Node = node;
    }

    /// <summary>Starts the eMCM and its node; returns once the line is served (listening, or the serial port open).</summary>
    public static async Task<EmcmSimulator> StartAsync(EmcmSimulatorOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Node.HostPlatform is not null)
            throw new ArgumentException("The eMCM simulator is the node's host platform: leave NodeSimulatorOptions.HostPlatform unset.", nameof(options));
        var emcm = new SimulatedEmcm(options);
        var node = await NodeSimulator.StartAsync(options.Node with { HostPlatform = emcm }, cancellationToken).ConfigureAwait(false);
        return new EmcmSimulator(options, emcm, node);
    }

    /// <summary>The options it runs with.</summary>
    public EmcmSimulatorOptions Options { get; }

    /// <summary>The node behind the eMCM (and the line both share).</summary>
    public NodeSimulator Node { get; }

    /// <summary>The port a station uses: <c>tcp://127.0.0.1:port</c> or the serial device name.</summary>
    public string Endpoint => Node.Endpoint;

    /// <summary>The eMCM ID (16 hex digits).</summary>
    public string EmcmId => Options.ResolvedEmcmId;

    /// <summary>The last 8 hex digits of the eMCM ID (the label's partial MCM ID).</summary>
    public string PartialMcmId => EmcmId[^8..];

    /// <summary>What the node holds now.</summary>
    public NodeStateSnapshot State => Node.State;

    /// <summary>What the eMCM holds now.</summary>
    public EmcmStateSnapshot EmcmState => _emcm.Snapshot();

    /// <summary>A copy of the node's key in <paramref name="slot"/>, or null. For rehearsal checks; the caller zeroes it.</summary>
    public byte[]? ReadKey(NodeKeySlot slot) => Node.ReadKey(slot);

    /// <summary>A copy of the eMCM's MCM key, or null. For rehearsal checks; the caller zeroes it.</summary>
    public byte[]? ReadEmcmKey() => _emcm.ReadKey();

    /// <summary>True while the line is served.</summary>
    public bool IsRunning => Node.IsRunning;

    /// <summary>Host messages the eMCM received.</summary>
    public int HostMessagesReceived => Node.HostMessagesReceived;

    /// <summary>Bytes received on the line so far.</summary>
    public long BytesReceived => Node.BytesReceived;

    /// <summary>Bytes sent on the line so far.</summary>
    public long BytesSent => Node.BytesSent;

    /// <summary>The last error that ended a connection, or null.</summary>
    public string? LastError => Node.LastError;

    /// <summary>Stops serving and closes the port; both state files stay.</summary>
    public async Task StopAsync()
    {
        await Node.StopAsync().ConfigureAwait(false);
        _emcm.Save();
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    public ValueTask DisposeAsync() => new(StopAsync());

    /// <inheritdoc/>
    public override string ToString() => $"eMCM {EmcmId} with node {Node.Options.NodeId} (0x{Node.Options.NodeId:X8}) on {Endpoint}";
}
