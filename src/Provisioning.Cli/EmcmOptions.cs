using System.CommandLine;
using System.CommandLine.Help;
using Provisioning.Core.Gateway;

namespace Provisioning.Cli;

/// <summary>
/// What emcm_provision and emcm_factory add to the shared options: the eMCM's partial ID and its app bundle. Each
/// command is a subcommand of provisioning_client, or the whole command line when the executable is named after it.
/// </summary>
internal abstract class EmcmOptions : LineOptions
{
    public Option<string> PartialMcmId { get; } = new("--partial_mcm_id", "--partial-mcm-id")
    {
        Description = "The last 8 hex digits of the eMCM ID (printed on its label), checked against the ID the eMCM reports; a mismatch is code 3 and nothing is written.",
        HelpName = "partial_mcm_id",
    };

    public Option<string> AppName { get; } = new("--app-name")
    {
        Description = "The app bundle of the configuration that holds the eMCM's firmware, configurations and public key (default emcm).",
        HelpName = "name",
        DefaultValueFactory = _ => "emcm",
    };

    protected EmcmOptions()
    {
        // The eMCM's messages travel as the wrapper's host messages; the none wrapper has no host channel, so the guide's
        // command lines without -wrapper mean its example wrapper.
        Wrapper.DefaultValueFactory = _ => Core.Wrappers.TransportWrappers.Orw;
        Wrapper.Description = "Protocol wrapper on the serial line (guide Appendix B), which carries the eMCM's messages beside the node's: orw (default), reliable, opt_psem (the optical port, with -b 9600).";
        Check(PartialMcmId, id => id is null || IsPartialMcmId(id.Trim()),
            "--partial_mcm_id takes the last 8 hex digits of the eMCM ID, e.g. --partial_mcm_id=0A1B2C3D.");
        Check(AppName, name => !string.IsNullOrWhiteSpace(name), "--app-name takes the name of an app bundle of the configuration, e.g. emcm.");
    }

    /// <summary>8 hex digits.</summary>
    public static bool IsPartialMcmId(string text) => text.Length == 8 && text.All(char.IsAsciiHexDigit);

    /// <summary>
    /// The command: a subcommand of provisioning_client, or (<paramref name="standalone"/>) the executable's own command
    /// line, which then has its own -h.
    /// </summary>
    protected static Command NewCommand(string name, string description, bool standalone)
    {
        var command = new Command(name, description);
        if (standalone)
        {
            command.Options.Add(new HelpOption());
            command.Options.Add(new VersionOption());
        }
        return command;
    }
}

/// <summary>The guide's emcm_provision (Tables 8-11): single-stage eMCM provisioning.</summary>
internal sealed class EmcmProvisionOptions : EmcmOptions
{
    /// <summary>The command's and the executable's name.</summary>
    public const string Name = "emcm_provision";

    private readonly Command _command;

    /// <inheritdoc/>
    public override Command Command => _command;

    public Option<bool> FactoryConfig { get; } = FactoryConfigOption("Writes the factory configurations of the eMCM and the node instead of their field configurations.");

    public Option<bool> SkipKeys { get; } = SkipKeysOption("Skips key provisioning: no node root key or eMCM key is generated, written or recorded.");

    public EmcmProvisionOptions(bool standalone = false)
    {
        DisplayName = Name;
        _command = NewCommand(Name,
            "Provisions an eMCM and its node in one stage (the guide's Appendix D.2.1): node and eMCM firmware when their versions differ, " +
            "the field configurations (factory ones with --factory-config), a fresh node root key and eMCM key (recorded on the server, " +
            "encrypted for the KMS and for the head end, before either device gets them), verification, then the locks. " +
            "The exit code is the guide's Table 4 code (0 success, 3 invalid arguments or a partial MCM ID that does not match, 68 no answer from the eMCM, ...; docs/cli.md).",
            standalone);
        AddTo(_command, [], [FactoryConfig, SkipKeys]);
        _command.Options.Add(PartialMcmId);
        _command.Options.Add(AppName);
    }
}

/// <summary>The guide's emcm_factory (Tables 12-16): one operation of multi-stage eMCM provisioning.</summary>
internal sealed class EmcmFactoryOptions : EmcmOptions
{
    /// <summary>The command's and the executable's name.</summary>
    public const string Name = "emcm_factory";

    /// <summary>The operations of Table 12, as the guide writes them.</summary>
    public static readonly IReadOnlyList<string> Operations = ["PRETEST", "CHECKCONFIG", "POSTTEST"];

    private readonly Command _command;

    /// <inheritdoc/>
    public override Command Command => _command;

    public Argument<string?> Operation { get; } = new("operation")
    {
        Description = "PRETEST (firmware, factory configurations, node cleared on the gateway), CHECKCONFIG (the eMCM answers and PRETEST has run) " +
            "or POSTTEST (the node joined the factory network; field configurations; keys for eMCM and node; the meter link).",
        HelpName = "PRETEST|CHECKCONFIG|POSTTEST",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public Option<string> Gateway { get; } = new("--gateway", "-g")
    {
        Description = "The factory gateway's host name or IP address (default localhost).",
        HelpName = "Gateway Address",
        DefaultValueFactory = _ => "localhost",
    };

    public Option<int> ControlPort { get; } = new("--control_port", "--control-port")
    {
        Description = "The gateway's control port (default 4021).",
        HelpName = "port",
        DefaultValueFactory = _ => GatewayOptions.DefaultControlPort,
    };

    public Option<bool> Csys1x { get; } = new("--csys_1_x", "--csys-1-x")
    {
        Description = "Speaks to a 1.x gateway for the over-the-air test; the default is 2.x.",
    };

    public Option<double> Timeout { get; } = new("--timeout", "-t")
    {
        Description = "The over-the-air test timeout in seconds: how long POSTTEST waits for the node to join the factory network (default 600).",
        HelpName = "Timeout Value",
        DefaultValueFactory = _ => Core.Emcm.EmcmRequest.DefaultOtaTimeout.TotalSeconds,
    };

    public Option<bool> EnableSsl { get; } = new("--enable-ssl", "--enable_ssl")
    {
        Description = "HTTPS to the provisioning server. This client speaks HTTPS unless --disable-ssl, so the option only confirms it.",
    };

    public Option<bool> GatewayTls { get; } = new("--gateway-tls")
    {
        Description = "TLS on the gateway's control port.",
    };

    public Option<string> GatewayCaCertificate { get; } = new("--gateway-ca-certificate")
    {
        Description = "With --gateway-tls: the CA certificate (PEM) the gateway's certificate must chain to. A missing file is code 141.",
        HelpName = "path",
    };

    public Option<string> GatewayCertificate { get; } = new("--gateway-certificate")
    {
        Description = "With --gateway-tls: the station's client certificate with its key (PEM, or a PFX without a password) for a gateway that asks for one. A missing file is code 141.",
        HelpName = "path",
    };

    public EmcmFactoryOptions(bool standalone = false)
    {
        DisplayName = Name;
        // An unknown option before the operation lands in the operation's place: name it as what it is.
        Operation.Validators.Add(result =>
        {
            if (result.Tokens is [{ Value: ['-', ..] value }, ..]) result.AddError($"Unrecognized option '{value}'.");
        });
        Check(ControlPort, p => p is >= 1 and <= 65535, "--control_port takes a TCP port from 1 to 65535 (the gateway's default is 4021).");
        Check(Timeout, t => double.IsFinite(t) && t > 0 && t <= 86_400, "--timeout takes the over-the-air test timeout in seconds, more than 0 and at most 86400 (default 600).");
        _command = NewCommand(Name,
            "Runs one operation of multi-stage eMCM provisioning (the guide's Appendix D.2.2) on an eMCM and its node: PRETEST, CHECKCONFIG or POSTTEST, " +
            "given as the last argument. Each operation is safe to repeat. " +
            "The exit code is the guide's Table 4 code (0 success, 3 invalid arguments, 68 no answer from the eMCM, 132 gateway unreachable, 134 the node did not join, 164 no meter; docs/cli.md).",
            standalone);
        _command.Arguments.Add(Operation);
        AddTo(_command, [Gateway, ControlPort, Csys1x, EnableSsl, GatewayTls, GatewayCaCertificate, GatewayCertificate], []);
        _command.Options.Add(PartialMcmId);
        _command.Options.Add(Timeout);
        _command.Options.Add(AppName);
    }
}
