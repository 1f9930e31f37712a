using Provisioning.Core.Station;

namespace Provisioning.Core.Gateway;

// CONTRACT (foundation of the gateway work): the signatures below are what the stage flows build on. The bodies are
// written with the gateway control protocol (docs/gateway-protocol.md); until then every call throws NotImplementedException.

/// <summary>Where the factory gateway's control port is and how to reach it (guide Table 13: -g, --control_port, --csys_1_x).</summary>
public sealed record GatewayOptions
{
    /// <summary>The guide's default control port.</summary>
    public const int DefaultControlPort = 4021;

    /// <summary>Gateway host name or address (the guide's default is localhost).</summary>
    public string Host { get; init; } = "localhost";

    /// <summary>Control port.</summary>
    public int ControlPort { get; init; } = DefaultControlPort;

    /// <summary>Speak to a 1.x gateway (the guide's --csys_1_x); the default is 2.x.</summary>
    public bool Csys1x { get; init; }

    /// <summary>TLS on the control port.</summary>
    public bool UseTls { get; init; }

    /// <summary>TLS: the CA certificate (PEM) the gateway's certificate must chain to; 141 when the file is missing.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>TLS: the station's client certificate (PEM with its key, or PFX) when the gateway asks for one; 141 when missing.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>How long to wait to connect and for each answer.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>A node's state as the gateway sees it.</summary>
public enum GatewayNodeState
{
    /// <summary>Not heard since it was cleared (or ever).</summary>
    Unknown,
    /// <summary>Joined the gateway's network.</summary>
    Joined,
}

/// <summary>The gateway's answer to a node status query.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="State">Joined or not.</param>
/// <param name="JoinedAt">When it joined; null when it has not.</param>
/// <param name="NetworkId">The network it joined; null when it has not.</param>
public sealed record GatewayNodeStatus(uint NodeId, GatewayNodeState State, DateTimeOffset? JoinedAt, string? NetworkId);

/// <summary>A gateway failure, with the station's Table 4 code (132, 133, 134, 140 or 141).</summary>
public sealed class GatewayException(ProvExitCode code, string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The station's return code.</summary>
    public ProvExitCode Code { get; } = code;
}

/// <summary>The station's side of the gateway control protocol (docs/gateway-protocol.md).</summary>
public sealed class GatewayClient : IAsyncDisposable
{
    private GatewayClient() { }

    /// <summary>Connects to the control port; 132 when nothing answers, 141 when TLS certificate files are missing, 140 when the gateway's system version has no message set here.</summary>
    public static Task<GatewayClient> ConnectAsync(GatewayOptions options, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>The node's status; 133 on an error answer.</summary>
    public Task<GatewayNodeStatus> GetNodeStatusAsync(uint nodeId, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Clears the node's status (PRETEST does, so POSTTEST finds an up-to-date one).</summary>
    public Task ClearNodeAsync(uint nodeId, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Waits until the node has joined; 134 once <paramref name="timeout"/> has passed without it, never earlier.</summary>
    public Task<GatewayNodeStatus> WaitForJoinAsync(uint nodeId, TimeSpan timeout, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
