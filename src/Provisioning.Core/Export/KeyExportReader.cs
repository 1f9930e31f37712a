using System.Globalization;
using System.Xml;
using System.Xml.Schema;
using Provisioning.Core.Api;

namespace Provisioning.Core.Export;

/// <summary>
/// Reads a key export file (docs/export-format.md) one device at a time, validating it against the embedded schema
/// (docs/schemas/device-keys.xsd) as it goes. The header is read on opening; the devices follow from
/// <see cref="Read"/> or <see cref="ReadAll"/>. The file is complete only once <see cref="Read"/> has returned null:
/// that is when the summary has been read and its count checked, so a consumer commits nothing before then.
/// Every problem is a <see cref="FormatException"/> naming the file and saying what to do.
/// </summary>
public sealed class KeyExportReader : IDisposable
{
    private const string RootName = "deviceKeys", DeviceName = "device", HostRecordName = "hostRecord", AppName = "app";

    private readonly EndTrackingStream _input;
    private readonly XmlReader _xml;
    private bool _disposed, _atDeviceEnd;
    private FormatException? _failure;

    /// <summary>Opens an export on <paramref name="input"/> and reads its header.</summary>
    /// <param name="input">The file's bytes.</param>
    /// <param name="sourceName">How messages name the file, e.g. its path.</param>
    /// <param name="leaveOpen">Leave <paramref name="input"/> open when the reader is disposed.</param>
    /// <exception cref="FormatException">The data is not a key export file this version reads.</exception>
    public KeyExportReader(Stream input, string sourceName, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        SourceName = sourceName;
        _input = new EndTrackingStream(input, leaveOpen);
        var settings = KeyExportSchema.Embedded.CreateReaderSettings();
        settings.IgnoreWhitespace = true;
        settings.CloseInput = false;
        settings.ValidationEventHandler += OnValidationProblem;
        _xml = XmlReader.Create(_input, settings);
        try
        {
            Header = ReadHeader();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Opens the export file at <paramref name="path"/> and reads its header.</summary>
    /// <exception cref="FormatException">The file is not a key export file this version reads.</exception>
    public static KeyExportReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new KeyExportReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024), path);
    }

    /// <summary>How messages name the file.</summary>
    public string SourceName { get; }

    /// <summary>What the file says about its export.</summary>
    public KeyExportHeader Header { get; }

    /// <summary>Devices read so far.</summary>
    public long Count { get; private set; }

    /// <summary>The summary's device count, once <see cref="Read"/> has reached it (and found it equal to <see cref="Count"/>); null before.</summary>
    public long? SummaryCount { get; private set; }

    /// <summary>Host records read so far.</summary>
    public long HostRecordCount { get; private set; }

    /// <summary>
    /// The next device; null after the last one, once the summary has been read and checked. Host records (which carry no
    /// root key) are passed over and counted in <see cref="HostRecordCount"/>; <see cref="ReadRecord"/> returns them too.
    /// </summary>
    /// <exception cref="FormatException">The file breaks the format, was cut short, or its summary disagrees with its content.</exception>
    public ExportedDevice? Read()
    {
        while (true)
        {
            switch (ReadRecord())
            {
                case ExportedDevice device: return device;
                case null: return null;
            }
        }
    }

    /// <summary>
    /// The next device (<see cref="ExportedDevice"/>) or host record (<see cref="ExportedHostRecord"/>) in file order; null after
    /// the last one, once the summary has been read and checked.
    /// </summary>
    /// <exception cref="FormatException">As <see cref="Read"/>.</exception>
    public object? ReadRecord()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is not null)
            throw new InvalidOperationException($"Reading {SourceName} already failed: {_failure.Message}", _failure);
        if (SummaryCount is not null)
            return null;
        try
        {
            // Each device is handed out as soon as its end tag is parsed; stepping past it waits for the next call.
            if (_atDeviceEnd)
            {
                _atDeviceEnd = false;
                _xml.Read();
            }
            if (IsElement(DeviceName))
            {
                var device = ReadDevice();
                Count++;
                return device;
            }
            if (IsElement(HostRecordName))
            {
                var host = ReadHostRecord();
                HostRecordCount++;
                return host;
            }
            ReadSummary();
            return null;
        }
        catch (XmlException ex)
        {
            throw _failure = Translate(ex);
        }
        catch (FormatException ex)
        {
            _failure = ex;
            throw;
        }
    }

    /// <summary>Every remaining device, then the summary check.</summary>
    /// <exception cref="FormatException">As <see cref="Read"/>, when the enumeration reaches the fault.</exception>
    public IEnumerable<ExportedDevice> ReadAll()
    {
        while (Read() is { } device)
            yield return device;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _disposed = true;
        _xml.Dispose();
        _input.Dispose();
    }

    private KeyExportHeader ReadHeader()
    {
        try
        {
            _xml.MoveToContent();
            if (!IsElement(RootName))
                throw NotAnExport(_xml);
            long exportId = ParseLong(Attribute("exportId"));
            var created = ParseTime(Attribute("created"));
            ulong configId = ulong.Parse(Attribute("configId"), NumberStyles.Integer, CultureInfo.InvariantCulture);
            string serverVersion = Attribute("serverVersion");

            _xml.Read();
            string? batch = _xml.GetAttribute("batch"), nodeId = _xml.GetAttribute("nodeId");
            DateTimeOffset? from = OptionalTime("from"), to = OptionalTime("to");
            bool includePending = XmlConvert.ToBoolean(Attribute("includePending"));
            _xml.Skip();
            return new KeyExportHeader(exportId, configId, created, batch, nodeId, from, to, includePending, serverVersion);
        }
        catch (XmlException ex)
        {
            throw Translate(ex);
        }
    }

    private ExportedDevice ReadDevice()
    {
        string nodeIdText = Attribute("nodeId");
        uint nodeId = uint.Parse(nodeIdText.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        ulong configId = ulong.Parse(Attribute("configId"), NumberStyles.Integer, CultureInfo.InvariantCulture);
        if (configId != Header.ConfigId)
            throw new FormatException($"{SourceName} is an export of config {Header.ConfigId}, but its device {nodeIdText} belongs to config {configId}: the file was edited or put together from several exports. Export the keys again.");
        uint batch = uint.Parse(Attribute("batch"), NumberStyles.Integer, CultureInfo.InvariantCulture);
        var timestamp = ParseTime(Attribute("timestamp"));
        string status = Attribute("status") == DeviceStatus.Pending ? DeviceStatus.Pending : DeviceStatus.Confirmed;

        _xml.Read();
        string algorithm = Attribute("algorithm"), fingerprint = Attribute("kmsKeyFingerprint");
        byte[] rootKey = Convert.FromBase64String(_xml.ReadElementContentAsString());

        var apps = ReadApps();
        _atDeviceEnd = true;
        return new ExportedDevice(nodeId, configId, batch, timestamp, status, rootKey, algorithm, fingerprint, apps);
    }

    private ExportedHostRecord ReadHostRecord()
    {
        string? nodeIdText = _xml.GetAttribute("nodeId");
        uint? nodeId = nodeIdText is null ? null : uint.Parse(nodeIdText.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        ulong configId = ulong.Parse(Attribute("configId"), NumberStyles.Integer, CultureInfo.InvariantCulture);
        if (configId != Header.ConfigId)
            throw new FormatException($"{SourceName} is an export of config {Header.ConfigId}, but its host record {HostRecordCount + 1} belongs to config {configId}: the file was edited or put together from several exports. Export the keys again.");
        uint batch = uint.Parse(Attribute("batch"), NumberStyles.Integer, CultureInfo.InvariantCulture);
        var timestamp = ParseTime(Attribute("timestamp"));
        string status = Attribute("status") == DeviceStatus.Pending ? DeviceStatus.Pending : DeviceStatus.Confirmed;
        _xml.Read();
        var apps = ReadApps();
        _atDeviceEnd = true;
        return new ExportedHostRecord(nodeId, configId, batch, timestamp, status, apps);
    }

    private List<DeviceApp> ReadApps()
    {
        var apps = new List<DeviceApp>();
        while (IsElement(AppName))
        {
            apps.Add(new DeviceApp(Attribute("name"), _xml.GetAttribute("id"), _xml.GetAttribute("key"), _xml.GetAttribute("extra")));
            _xml.Skip();
        }
        return apps;
    }

    private void ReadSummary()
    {
        // The schema allows nothing but a summary here; a file that ends instead fails inside the XmlReader.
        long declared = ParseLong(Attribute("deviceCount"));
        long declaredHosts = _xml.GetAttribute("hostRecordCount") is { } hosts ? ParseLong(hosts) : 0;
        _xml.Skip();
        while (_xml.Read())
        {
            // The root's end tag, then nothing: anything else fails validation or well-formedness.
        }
        if (declared != Count)
            throw new FormatException($"{SourceName} has a summary that counts {Devices(declared)}, but the file holds {Count}: the file was edited or damaged. Export the keys again.");
        if (declaredHosts != HostRecordCount)
            throw new FormatException($"{SourceName} has a summary that counts {declaredHosts} host records, but the file holds {HostRecordCount}: the file was edited or damaged. Export the keys again.");
        SummaryCount = declared;
    }

    private void OnValidationProblem(object? sender, ValidationEventArgs e)
    {
        // The reader stands where the schema found the fault: on the root element, its formatVersion attribute, or its end tag.
        if (sender is XmlReader at)
        {
            if (at is { NodeType: XmlNodeType.Element, Depth: 0 } && !IsElement(RootName))
                throw NotAnExport(at);
            if (at is { NodeType: XmlNodeType.Attribute, Depth: 1, LocalName: "formatVersion", NamespaceURI: "" })
                throw new FormatException($"{SourceName} is a key export of format version {at.Value}; this version of Provisioning reads format version {KeyExportWriter.FormatVersion}. Read it with a newer Provisioning.", e.Exception);
            if (at is { NodeType: XmlNodeType.EndElement, Depth: 0 })
                throw new FormatException($"{SourceName} ends after {Devices(Count)} without the summary a complete key export ends with: it was cut short or edited. Export the keys again.", e.Exception);
        }
        throw new FormatException($"{SourceName} does not match the key export schema (docs/schemas/{KeyExportSchema.FileName}) at line {e.Exception.LineNumber}, position {e.Exception.LinePosition}: {e.Message}", e.Exception);
    }

    private FormatException Translate(XmlException ex)
    {
        if (_input.WasEmpty)
            return new FormatException($"{SourceName} is empty: a key export file holds at least its header and summary. Export the keys again.", ex);
        if (_input.HeadDeclaresDtd)
            return new FormatException($"{SourceName} declares a DTD (<!DOCTYPE ...>), which a key export file never has: DTDs are refused for safety. Use the file as the server wrote it.", ex);
        // An XML error exactly at the end of the data means the data stopped mid-document.
        if (_input.ReachedEnd && ex.LineNumber == _input.LastLine && ex.LinePosition >= _input.LastLineLength)
            return new FormatException($"{SourceName} was cut short: it stops at line {ex.LineNumber} after {Devices(Count)} in full, without the summary a complete key export ends with. The export or the copy was interrupted; export the keys again.", ex);
        return new FormatException($"{SourceName} is not readable XML at line {ex.LineNumber}, position {ex.LinePosition}: {ex.Message}", ex);
    }

    private FormatException NotAnExport(XmlReader at) =>
        new($"{SourceName} is not a key export file: its root element is '{at.LocalName}' in namespace '{at.NamespaceURI}', not '{RootName}' in '{KeyExportWriter.Namespace}'.");

    private bool IsElement(string localName) =>
        _xml.NodeType == XmlNodeType.Element && _xml.LocalName == localName && _xml.NamespaceURI == KeyExportWriter.Namespace;

    // The schema makes these attributes required and checks their form, so they are present and parse.
    private string Attribute(string name) => _xml.GetAttribute(name)!;

    private DateTimeOffset? OptionalTime(string name) => _xml.GetAttribute(name) is { } text ? ParseTime(text) : null;

    private static DateTimeOffset ParseTime(string text) => XmlConvert.ToDateTimeOffset(text);

    private static string Devices(long count) => count == 1 ? "1 device" : $"{count} devices";

    private static long ParseLong(string text) => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
}
