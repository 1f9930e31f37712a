namespace Provisioning.Core.Packaging;

/// <summary>Progress of building or verifying a package.</summary>
/// <param name="Activity">What is being done, e.g. "Hashing", "Writing", "Verifying".</param>
/// <param name="CurrentEntry">The entry or file being processed.</param>
/// <param name="BytesDone">Bytes processed so far.</param>
/// <param name="BytesTotal">Total bytes, or -1 when unknown.</param>
public sealed record PackageProgress(string Activity, string? CurrentEntry, long BytesDone, long BytesTotal);
