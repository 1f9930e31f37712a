namespace Provisioning.Core.Station;

/// <summary>
/// A step of provisioning failed with a guide Table 4 code. <see cref="Exception.Message"/> is the detail for an
/// operator (what failed and what to do), without the code's interpretation, which the result adds.
/// </summary>
public sealed class StationFailureException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StationFailureException(ProvExitCode code, string detail, Exception? inner = null) : base(detail, inner) => Code = code;

    /// <summary>The Table 4 code.</summary>
    public ProvExitCode Code { get; }

    /// <summary>The configuration concerned, when it was resolved before the failure.</summary>
    public ulong? ConfigId { get; init; }
}

/// <summary>A failed device, for error records: its result rides along so scripts can read the code.</summary>
public sealed class NodeProvisionException : Exception
{
    /// <summary>Creates the exception from a failed result.</summary>
    public NodeProvisionException(NodeProvisionResult result)
        : base($"{result.Port}: {result.Message} (code {result.Code})") => Result = result;

    /// <summary>The device's result.</summary>
    public NodeProvisionResult Result { get; }
}
