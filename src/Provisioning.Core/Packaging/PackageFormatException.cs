namespace Provisioning.Core.Packaging;

/// <summary>The package cannot be read safely or is structurally wrong. The message names the entry; nothing is written outside the target folder.</summary>
public sealed class PackageFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PackageFormatException(string? entryName, string message, Exception? inner = null) : base(message, inner) => EntryName = entryName;

    /// <summary>The archive entry at fault, if any.</summary>
    public string? EntryName { get; }
}
