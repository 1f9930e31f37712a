namespace Provisioning.Core.Gateway.Simulator;

/// <summary>Faults a simulated gateway injects, to rehearse what a station meets (guide Table 4, codes 132–134).</summary>
[Flags]
public enum GatewayFaults
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>
    /// A hung or black-holed gateway: the control port's connections are taken by the operating system but never served, so a
    /// station connects and then hears nothing, not even the greeting (132). A stopped gateway, where the connection is
    /// refused, gives 132 as well.
    /// </summary>
    Unreachable = 1,

    /// <summary>Every status and clear request is answered with an error (133).</summary>
    ErrorAnswers = 2,

    /// <summary>The gateway hears nodes' join requests but never admits one, so no node ever joins (134).</summary>
    NeverJoin = 4,
}

/// <summary>How a simulated factory gateway is set up (docs/gateway-protocol.md).</summary>
public sealed record GatewaySimulatorOptions
{
    /// <summary>IP address both ports listen on.</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>Control port (the guide's default 4021); 0: any free port.</summary>
    public int ControlPort { get; init; } = GatewayOptions.DefaultControlPort;

    /// <summary>Radio endpoint's port, where simulated nodes join; 0 (the default): any free port.</summary>
    public int RadioPort { get; init; }

    /// <summary>The factory network this gateway serves: nodes whose factory configuration names it join.</summary>
    public string NetworkId { get; init; } = "factory";

    /// <summary>How long a node's join takes once the gateway hears it.</summary>
    public TimeSpan JoinDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Run as a 1.x system (greeting and message set of 1.x); the default is 2.x.</summary>
    public bool Csys1x { get; init; }

    /// <summary>TLS on the control port; needs <see cref="CertificatePath"/>.</summary>
    public bool Tls { get; init; }

    /// <summary>TLS: the gateway's certificate: PEM (with its key, or the key in <see cref="CertificateKeyPath"/>) or PFX.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>TLS: the PEM private key of <see cref="CertificatePath"/> when it is a separate file.</summary>
    public string? CertificateKeyPath { get; init; }

    /// <summary>TLS: ask stations for a client certificate issued by this CA (PEM); null: no client certificate asked for.</summary>
    public string? ClientCaCertificatePath { get; init; }

    /// <summary>Faults to inject.</summary>
    public GatewayFaults Faults { get; init; }

    /// <summary>Receives one line per event (connections, joins, clears, refusals); null: none.</summary>
    public Action<string>? Log { get; init; }
}
