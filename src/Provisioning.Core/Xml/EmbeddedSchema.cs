using System.Xml;
using System.Xml.Schema;

namespace Provisioning.Core.Xml;

/// <summary>
/// An XSD embedded in Provisioning.Core (the published file under docs/schemas, so the two cannot drift),
/// handed out as a fresh schema set per reader.
/// </summary>
internal sealed class EmbeddedSchema(string resourceName)
{
    // Only the bytes are shared: an XmlSchema object is compiled by each set it joins, which is not thread-safe.
    private readonly Lazy<byte[]> _bytes = new(() => Load(resourceName));

    /// <summary>The schema file's bytes.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes.Value;

    /// <summary>A new, compiled set holding only this schema.</summary>
    public XmlSchemaSet CreateSet()
    {
        using var reader = XmlReader.Create(new MemoryStream(_bytes.Value, writable: false),
            new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        var set = new XmlSchemaSet { XmlResolver = null };
        set.Add(XmlSchema.Read(reader, null)!);
        set.Compile();
        return set;
    }

    /// <summary>
    /// Settings for reading untrusted XML against this schema: no DTD, no resolver, comments and processing instructions
    /// skipped, and validation warnings (e.g. a root element the schema does not know) reported like errors.
    /// The caller adds its handler and any limits of its own.
    /// </summary>
    public XmlReaderSettings CreateReaderSettings() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        ValidationType = ValidationType.Schema,
        Schemas = CreateSet(),
        ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    private static byte[] Load(string resourceName)
    {
        using var stream = typeof(EmbeddedSchema).Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"The embedded resource {resourceName} is missing from Provisioning.Core.");
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }
}
