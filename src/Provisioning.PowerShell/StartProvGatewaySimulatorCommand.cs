using System.Management.Automation;
using Provisioning.Core.Gateway.Simulator;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Starts a simulated factory gateway in this PowerShell process: a control port for stations and a radio endpoint where simulated nodes join.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "ProvGatewaySimulator", SupportsShouldProcess = true, DefaultParameterSetName = PlainSet)]
[OutputType(typeof(GatewaySimulator))]
public sealed class StartProvGatewaySimulatorCommand : ProvCmdlet
{
    private const string PlainSet = "Plain";
    private const string TlsSet = "Tls";

    /// <summary>Control port; 0: any free port.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(0, 65535)]
    public int ControlPort { get; set; } = Core.Gateway.GatewayOptions.DefaultControlPort;

    /// <summary>Radio endpoint's port; 0: any free port.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int RadioPort { get; set; }

    /// <summary>IP address both ports listen on.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Network served.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string NetworkId { get; set; } = "factory";

    /// <summary>Time a join takes.</summary>
    [Parameter]
    [SecondsTransformation]
    public TimeSpan JoinDelay { get; set; } = new GatewaySimulatorOptions().JoinDelay;

    /// <summary>Run as a 1.x system.</summary>
    [Parameter]
    public SwitchParameter Csys1x { get; set; }

    /// <summary>TLS on the control port.</summary>
    [Parameter(Mandatory = true, ParameterSetName = TlsSet)]
    public SwitchParameter Tls { get; set; }

    /// <summary>TLS: the gateway's certificate (PEM or PFX).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TlsSet)]
    [ValidateNotNullOrEmpty]
    public string? CertificatePath { get; set; }

    /// <summary>TLS: the certificate's PEM key when it is a separate file.</summary>
    [Parameter(ParameterSetName = TlsSet)]
    [ValidateNotNullOrEmpty]
    public string? CertificateKeyPath { get; set; }

    /// <summary>TLS: ask stations for a client certificate issued by this CA.</summary>
    [Parameter(ParameterSetName = TlsSet)]
    [ValidateNotNullOrEmpty]
    public string? ClientCaCertificatePath { get; set; }

    /// <summary>Faults to inject.</summary>
    [Parameter]
    public GatewayFaults Fault { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var options = new GatewaySimulatorOptions
        {
            ListenAddress = ListenAddress,
            ControlPort = ControlPort,
            RadioPort = RadioPort,
            NetworkId = NetworkId,
            JoinDelay = JoinDelay,
            Csys1x = Csys1x,
            Tls = Tls,
            CertificatePath = CertificatePath is null ? null : ResolvePath(CertificatePath),
            CertificateKeyPath = CertificateKeyPath is null ? null : ResolvePath(CertificateKeyPath),
            ClientCaCertificatePath = ClientCaCertificatePath is null ? null : ResolvePath(ClientCaCertificatePath),
            Faults = Fault,
        };
        string where = $"{ListenAddress}:{ControlPort}";
        if (!ShouldProcess($"gateway for network '{NetworkId}' on control port {where}", "Start gateway simulator")) return;
        try
        {
            WriteObject(Await(GatewaySimulator.StartAsync(options, Cancellation)));
        }
        catch (ArgumentException e) { WriteError(Error(e, "InvalidGatewaySimulatorOptions", ErrorCategory.InvalidArgument, where)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(Error(e, "GatewaySimulatorPortUnavailable", ErrorCategory.OpenError, where));
        }
    }
}
