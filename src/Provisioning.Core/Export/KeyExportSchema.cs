using System.Xml.Schema;
using Provisioning.Core.Xml;

namespace Provisioning.Core.Export;

/// <summary>
/// The schema of key export files, <c>docs/schemas/device-keys.xsd</c>, as embedded in Provisioning.Core.
/// <see cref="KeyExportReader"/> validates with it; a KMS-side tool can use it to check a file before trusting it.
/// </summary>
public static class KeyExportSchema
{
    /// <summary>Target namespace of the schema (the same as <see cref="KeyExportWriter.Namespace"/>).</summary>
    public const string Namespace = KeyExportWriter.Namespace;

    /// <summary>File name of the published schema (under <c>docs/schemas/</c>).</summary>
    public const string FileName = "device-keys.xsd";

    internal static readonly EmbeddedSchema Embedded = new("Provisioning.Core.Export.device-keys.xsd");

    /// <summary>A new compiled schema set holding the export schema. A set is not thread-safe: take one per reader or thread.</summary>
    public static XmlSchemaSet CreateSchemaSet() => Embedded.CreateSet();

    /// <summary>The schema file as published, e.g. to write it next to an export for <c>xmllint --schema</c>.</summary>
    public static Stream OpenXsd() => new MemoryStream(Embedded.Bytes.ToArray(), writable: false);
}
