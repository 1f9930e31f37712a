using System.Globalization;
using System.Text;
using System.Xml;
using Provisioning.Core.Api;

namespace Provisioning.Core.Export;

/// <summary>What the header of a key export file says about the export.</summary>
/// <param name="ExportId">The export's number in the server's export history.</param>
/// <param name="ConfigId">The configuration whose devices the file holds; every device carries the same.</param>
/// <param name="Created">When the export started.</param>
/// <param name="Batch">The batch filter as the operator gave it; null for any batch.</param>
/// <param name="NodeId">The node ID filter as the operator gave it; null for any node.</param>
/// <param name="From">Earliest provisioning time, inclusive; null for no lower bound.</param>
/// <param name="To">Latest provisioning time, inclusive; null for no upper bound.</param>
/// <param name="IncludePending">Whether pending records were asked for.</param>
/// <param name="ServerVersion">Version of the server that wrote the file.</param>
public sealed record KeyExportHeader(long ExportId, ulong ConfigId, DateTimeOffset Created, string? Batch, string? NodeId,
    DateTimeOffset? From, DateTimeOffset? To, bool IncludePending, string ServerVersion);

/// <summary>
/// Writes a key export file (docs/export-format.md, schema docs/schemas/device-keys.xsd) one device at a time,
/// so memory stays flat whatever the count. Call <see cref="CompleteAsync"/> after the last device: it writes the
/// closing summary; a file without it was cut short.
/// </summary>
/// <remarks>
/// The XML is formatted synchronously into a small chunk buffer, which goes to the output with an asynchronous
/// write each time it holds about <see cref="ChunkSize"/> bytes: per-device async XmlWriter calls would cost
/// more than the formatting itself, and the output (an HTTP response) only ever sees large writes.
/// Nothing is written to the output until a chunk is full; a writer disposed without <see cref="CompleteAsync"/>
/// drops what it holds, so a failed export leaves a file that readers reject as cut short.
/// </remarks>
public sealed class KeyExportWriter : IAsyncDisposable
{
    /// <summary>XML namespace of the export file.</summary>
    public const string Namespace = "urn:provisioning:device-keys:1";

    /// <summary>The format version this writer writes (root attribute <c>formatVersion</c>).</summary>
    public const int FormatVersion = 1;

    /// <summary>About how many bytes are gathered before each write to the output.</summary>
    public const int ChunkSize = 64 * 1024;

    private readonly Stream _output;
    private readonly MemoryStream _chunk = new(ChunkSize + 16 * 1024);
    private readonly XmlWriter _xml;
    private readonly ulong _configId;
    private readonly char[] _scratch = new char[64];
    private readonly DeviceFieldCheck _check = new();
    private long _count, _hostCount;
    private bool _completed, _disposed;

    /// <summary>Starts the document on <paramref name="output"/> (left open).</summary>
    /// <exception cref="ArgumentException">The header holds a value the format cannot carry.</exception>
    public KeyExportWriter(Stream output, KeyExportHeader header)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(header);
        if (!output.CanWrite)
            throw new ArgumentException("The export output stream is not writable.", nameof(output));
        DeviceFieldCheck.CheckHeader(header);
        _output = output;
        _configId = header.ConfigId;
        _xml = XmlWriter.Create(_chunk, new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            Indent = true,
            IndentChars = "  ",
            CloseOutput = false,
        });
        WriteHeader(header);
    }

    /// <summary>Devices written so far.</summary>
    public long Count => _count;

    /// <summary>Host records written so far.</summary>
    public long HostRecordCount => _hostCount;

    /// <summary>Writes one device.</summary>
    /// <exception cref="ArgumentException">The device holds a value the format cannot carry (the message names the node and the field).</exception>
    public ValueTask WriteAsync(ExportedDevice device, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ThrowIfFinished();
        if (_hostCount > 0)
            throw new InvalidOperationException("Devices come before host records in a key export: write every device first.");
        _check.Check(device, _configId);

        _xml.WriteStartElement("device", Namespace);
        WriteNodeId("nodeId", device.NodeId);
        WriteNumber("configId", device.ConfigId);
        WriteNumber("batch", device.Batch);
        WriteTime("timestamp", device.Timestamp);
        _xml.WriteAttributeString("status", device.Status);

        _xml.WriteStartElement("rootKey", Namespace);
        _xml.WriteAttributeString("algorithm", device.KeyAlgorithm);
        _xml.WriteAttributeString("kmsKeyFingerprint", device.KmsKeyFingerprint);
        _xml.WriteBase64(device.EncryptedRootKey, 0, device.EncryptedRootKey.Length);
        _xml.WriteEndElement();

        WriteApps(device.Apps);
        _xml.WriteEndElement();
        _count++;

        // The XmlWriter hands its own buffer to the chunk every few KiB; the chunk goes out once it is large.
        return _chunk.Length >= ChunkSize ? SendChunkAsync(ct) : ValueTask.CompletedTask;
    }

    /// <summary>Writes one host record; host records follow the last device.</summary>
    /// <exception cref="ArgumentException">The record holds a value the format cannot carry.</exception>
    public ValueTask WriteAsync(ExportedHostRecord host, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ThrowIfFinished();
        DeviceFieldCheck.Check(host, _configId);
        _xml.WriteStartElement("hostRecord", Namespace);
        if (host.NodeId is { } node)
            WriteNodeId("nodeId", node);
        WriteNumber("configId", host.ConfigId);
        WriteNumber("batch", host.Batch);
        WriteTime("timestamp", host.Timestamp);
        _xml.WriteAttributeString("status", host.Status);
        WriteApps(host.Apps);
        _xml.WriteEndElement();
        _hostCount++;
        return _chunk.Length >= ChunkSize ? SendChunkAsync(ct) : ValueTask.CompletedTask;
    }

    private void WriteApps(IReadOnlyList<DeviceApp> apps)
    {
        foreach (var app in apps)
        {
            _xml.WriteStartElement("app", Namespace);
            _xml.WriteAttributeString("name", app.Name);
            WriteOptional("id", app.Id);
            WriteOptional("key", app.Key);
            WriteOptional("extra", app.Extra);
            _xml.WriteEndElement();
        }
    }

    /// <summary>Writes the summary and closes the document.</summary>
    public async ValueTask CompleteAsync(CancellationToken ct = default)
    {
        ThrowIfFinished();
        _xml.WriteStartElement("summary", Namespace);
        WriteNumber("deviceCount", (ulong)_count);
        // Written only when there are host records, so a file without them is exactly what earlier versions wrote.
        if (_hostCount > 0)
            WriteNumber("hostRecordCount", (ulong)_hostCount);
        _xml.WriteEndElement();
        _xml.WriteEndElement();
        _xml.WriteEndDocument();
        _completed = true;
        await SendChunkAsync(ct).ConfigureAwait(false);
        await _output.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            // Disposing an XmlWriter closes open elements; that goes into the chunk, which is dropped, never to the output.
            _xml.Dispose();
            _chunk.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    private void WriteHeader(KeyExportHeader header)
    {
        _xml.WriteStartDocument();
        _xml.WriteStartElement("deviceKeys", Namespace);
        WriteNumber("formatVersion", FormatVersion);
        WriteNumber("exportId", (ulong)header.ExportId);
        WriteTime("created", header.Created);
        WriteNumber("configId", header.ConfigId);
        _xml.WriteAttributeString("serverVersion", header.ServerVersion);

        _xml.WriteStartElement("filter", Namespace);
        WriteOptional("batch", header.Batch);
        WriteOptional("nodeId", header.NodeId);
        if (header.From is { } from)
            WriteTime("from", from);
        if (header.To is { } to)
            WriteTime("to", to);
        _xml.WriteAttributeString("includePending", header.IncludePending ? "true" : "false");
        _xml.WriteEndElement();
    }

    private async ValueTask SendChunkAsync(CancellationToken ct)
    {
        _xml.Flush();
        await _output.WriteAsync(_chunk.GetBuffer().AsMemory(0, (int)_chunk.Length), ct).ConfigureAwait(false);
        _chunk.SetLength(0);
    }

    private void WriteOptional(string name, string? value)
    {
        if (value is not null)
            _xml.WriteAttributeString(name, value);
    }

    // Numbers and times are formatted into a reused buffer: a string per attribute per device adds up over a million devices.
    private void WriteNumber(string name, ulong value)
    {
        value.TryFormat(_scratch, out int length, provider: CultureInfo.InvariantCulture);
        WriteScratch(name, length);
    }

    private void WriteNodeId(string name, uint value)
    {
        _scratch[0] = '0';
        _scratch[1] = 'x';
        value.TryFormat(_scratch.AsSpan(2), out int length, "X8", CultureInfo.InvariantCulture);
        WriteScratch(name, length + 2);
    }

    /// <summary>ISO 8601 in UTC with a Z, fraction of a second only as far as it is not zero.</summary>
    private void WriteTime(string name, DateTimeOffset time)
    {
        // "O" of a UTC DateTime is always yyyy-MM-ddTHH:mm:ss.fffffffZ (28 characters).
        time.UtcDateTime.TryFormat(_scratch, out _, "O", CultureInfo.InvariantCulture);
        int end = 27;
        while (_scratch[end - 1] == '0')
            end--;
        if (_scratch[end - 1] == '.')
            end--;
        _scratch[end] = 'Z';
        WriteScratch(name, end + 1);
    }

    private void WriteScratch(string name, int length)
    {
        _xml.WriteStartAttribute(name);
        _xml.WriteChars(_scratch, 0, length);
        _xml.WriteEndAttribute();
    }

    private void ThrowIfFinished()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
            throw new InvalidOperationException("The key export is already complete; start a new writer for another export.");
    }
}
