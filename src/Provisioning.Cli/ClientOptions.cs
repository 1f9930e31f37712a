using System.CommandLine;

namespace Provisioning.Cli;

/// <summary>
/// The command line of <c>provisioning_client</c>: the guide's client options (Table 3, Tables 8-11) under the guide's
/// names and spellings, plus what a secure server needs (token, client certificate, server trust) and the station's
/// timeouts; and the eMCM commands <c>emcm_provision</c> and <c>emcm_factory</c> as subcommands. docs/cli.md maps each
/// option to the guide.
/// </summary>
internal sealed class ClientOptions : LineOptions
{
    private readonly RootCommand _command;

    /// <inheritdoc/>
    public override Command Command => _command;

    public Option<bool> FactoryConfig { get; } = FactoryConfigOption("Writes the factory configuration instead of the field configuration.");

    public Option<bool> SkipKeys { get; } = SkipKeysOption("Skips key provisioning: firmware and configuration only, nothing recorded on the server.");

    /// <summary>emcm_provision as a subcommand (provisioning_client emcm_provision ...).</summary>
    public EmcmProvisionOptions EmcmProvision { get; } = new() { DisplayName = "provisioning_client " + EmcmProvisionOptions.Name };

    /// <summary>emcm_factory as a subcommand (provisioning_client emcm_factory ... PRETEST).</summary>
    public EmcmFactoryOptions EmcmFactory { get; } = new() { DisplayName = "provisioning_client " + EmcmFactoryOptions.Name };

    public ClientOptions()
    {
        _command = new RootCommand(
            "Provisions the node on one port with a configuration of the provisioning server: firmware, configuration, a fresh root key " +
            "(recorded on the server, encrypted for the KMS, before the node gets it), gateway keys, verification and lock. " +
            "The exit code is the guide's Table 4 code (0 success, 3 invalid arguments, 4 no device, 36 message to node failed, ...; docs/cli.md). " +
            "The subcommands provision an eMCM and its node (the guide's Appendix D).");
        AddTo(_command, [], [FactoryConfig, SkipKeys]);
        _command.Subcommands.Add(EmcmProvision.Command);
        _command.Subcommands.Add(EmcmFactory.Command);
        // Program.cs runs the command itself (it owns Ctrl+C); an action makes the root runnable without a subcommand.
        _command.SetAction(_ => 0);
    }
}
