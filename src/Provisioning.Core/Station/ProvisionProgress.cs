namespace Provisioning.Core.Station;

/// <summary>Where a device is in the provisioning flow.</summary>
public enum ProvisionStep
{
    /// <summary>Waiting for a free slot (throttle limit) or for an earlier job on the same port.</summary>
    Waiting,
    /// <summary>Fetching the configuration and its files from the server (once per run).</summary>
    FetchingConfig,
    /// <summary>Opening the port and reading the node's info.</summary>
    Connecting,
    /// <summary>Writing firmware.</summary>
    Firmware,
    /// <summary>Writing the configuration.</summary>
    Configuration,
    /// <summary>Recording the encrypted root key on the server (pending).</summary>
    RecordingKey,
    /// <summary>Writing keys to the node.</summary>
    WritingKeys,
    /// <summary>Comparing key check values.</summary>
    VerifyingKeys,
    /// <summary>Locking the host port and flash/JTAG.</summary>
    Locking,
    /// <summary>Confirming the record on the server.</summary>
    Confirming,
    /// <summary>Restarting the node.</summary>
    Resetting,
    /// <summary>Finished (successfully or not).</summary>
    Done,
    /// <summary>eMCM flows: talking to the factory gateway (clearing the node's status, waiting for it to join).</summary>
    Gateway,
    /// <summary>eMCM flows: checking the eMCM's link to its meter.</summary>
    MeterLink,
    /// <summary>eMCM flows: setting quiet mode and recording the stage passed in the eMCM.</summary>
    RecordingStage,
}

/// <summary>A progress report for one port.</summary>
/// <param name="Port">The port.</param>
/// <param name="Step">The step under way.</param>
/// <param name="Percent">Firmware or configuration transfer percentage during <see cref="ProvisionStep.Firmware"/> and
/// <see cref="ProvisionStep.Configuration"/>; -1 otherwise.</param>
/// <param name="Status">One line for an operator, e.g. "Writing firmware 2.0.1: 40,960 of 262,144 bytes".</param>
public sealed record ProvisionProgress(string Port, ProvisionStep Step, int Percent, string Status);
