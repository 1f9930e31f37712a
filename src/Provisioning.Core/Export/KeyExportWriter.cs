namespace Provisioning.Core.Export;

/// <summary>What the header of a key export file says about the export.</summary>
public sealed record KeyExportHeader(long ExportId, ulong ConfigId, DateTimeOffset Created, string? Batch, string? NodeId,
    DateTimeOffset? From, DateTimeOffset? To, bool IncludePending, string ServerVersion);

/// <summary>
/// Writes a key export file (docs/export-format.md, schema docs/schemas/device-keys.xsd) one device at a time,
/// so memory stays flat whatever the count. Call <see cref="CompleteAsync"/> after the last device: it writes the
/// closing summary; a file without it was cut short.
/// </summary>
public sealed class KeyExportWriter : IAsyncDisposable
{
    /// <summary>XML namespace of the export file.</summary>
    public const string Namespace = "urn:provisioning:device-keys:1";

    /// <summary>Starts the document on <paramref name="output"/> (left open).</summary>
    public KeyExportWriter(Stream output, KeyExportHeader header) => throw new NotImplementedException();

    /// <summary>Devices written so far.</summary>
    public long Count => throw new NotImplementedException();

    /// <summary>Writes one device.</summary>
    public ValueTask WriteAsync(ExportedDevice device, CancellationToken ct = default) => throw new NotImplementedException();

    /// <summary>Writes the summary and closes the document.</summary>
    public ValueTask CompleteAsync(CancellationToken ct = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
