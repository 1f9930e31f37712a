using System.CommandLine;
using System.CommandLine.Help;
using Provisioning.Cli;
using Provisioning.Core.Station;

// provisioning_client: one device per call; the exit code is the guide's Table 4 code, so a factory's batch file or
// automation tool reads the outcome the way it read the guide's client. The same program is the guide's emcm_provision
// and emcm_factory: as subcommands (provisioning_client emcm_factory ... PRETEST), or as the whole command line when the
// executable carries their name (./build.ps1 copies it as emcm_provision and emcm_factory), so the guide's command
// lines run as written.
LineOptions options = Path.GetFileNameWithoutExtension(Environment.ProcessPath ?? "").ToLowerInvariant() switch
{
    EmcmProvisionOptions.Name => new EmcmProvisionOptions(standalone: true),
    EmcmFactoryOptions.Name => new EmcmFactoryOptions(standalone: true),
    _ => new ClientOptions(),
};
var parsed = options.Command.Parse(args);
if (options is ClientOptions client && parsed.CommandResult.Command != client.Command)
    options = parsed.CommandResult.Command == client.EmcmProvision.Command ? client.EmcmProvision : client.EmcmFactory;
if (parsed.Errors.Count > 0 && parsed.Action is not HelpAction)
{
    // The guide's code 3: invalid command line arguments (corrective action: check them against the usage).
    foreach (var error in parsed.Errors)
        Console.Out.WriteLine($"CRIT  {ProvExitCodes.Interpretation(ProvExitCode.InvalidArguments)}: {error.Message}");
    Console.Out.WriteLine($"Run {options.DisplayName} --help for the options.");
    return (int)ProvExitCode.InvalidArguments;
}
if (parsed.Action is not null && parsed.Action != parsed.CommandResult.Command.Action)
    return parsed.Invoke(); // --help, --version

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the device at its next step (never confirmed); a second one ends the process at once.
    if (stop.IsCancellationRequested) return;
    e.Cancel = true;
    stop.Cancel();
};
try
{
    return await new ClientRun(options, parsed, Console.Out).RunAsync(stop.Token).ConfigureAwait(false);
}
catch (Exception e) when (e is not OperationCanceledException)
{
    Console.Out.WriteLine($"CRIT  {ProvExitCodes.Interpretation(ProvExitCode.InternalError)}: {e.GetType().Name}: {e.Message}. Keep this output and the --logfile, and report it to the line's engineer.");
    return (int)ProvExitCode.InternalError;
}
