using System.Xml;
using System.Xml.Linq;

namespace Provisioning.Core.Packaging;

/// <summary>What a file in a package is for.</summary>
public enum PackageFileRole
{
    /// <summary>Node firmware image.</summary>
    NodeFirmware,
    /// <summary>Node field configuration.</summary>
    NodeFieldConfig,
    /// <summary>Node factory configuration.</summary>
    NodeFactoryConfig,
    /// <summary>KMS public key PEM.</summary>
    KmsPublicKey,
    /// <summary>Encrypted gateway key file.</summary>
    GatewayKeyFile,
    /// <summary>KMS signature over the gateway key file.</summary>
    GatewayKeySignature,
    /// <summary>Application firmware image.</summary>
    AppFirmware,
    /// <summary>Application field configuration.</summary>
    AppFieldConfig,
    /// <summary>Application factory configuration.</summary>
    AppFactoryConfig,
    /// <summary>Application backend RSA public key.</summary>
    AppPublicKey,
}

/// <summary>One file declared by the manifest.</summary>
/// <param name="Path">Path inside the archive, '/'-separated, relative, e.g. <c>node/firmware/node.bin</c>.</param>
/// <param name="Role">What the file is for.</param>
/// <param name="App">Application name for app files, otherwise null.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Md5">Lower-case hex MD5 (kept for compatibility with the guide).</param>
/// <param name="Sha256">Lower-case hex SHA-256.</param>
public sealed record PackageFileEntry(string Path, PackageFileRole Role, string? App, long Size, string Md5, string Sha256);

/// <summary>An application bundle's identity as listed in the manifest.</summary>
public sealed record PackageApp(string Name, string Version);

/// <summary>The package's <c>manifest.xml</c> (format in docs/package-format.md, schema docs/schemas/package-manifest.xsd).</summary>
public sealed class PackageManifest
{
    /// <summary>Name of the manifest entry in the archive.</summary>
    public const string EntryName = "manifest.xml";
    /// <summary>XML namespace of format version 1.</summary>
    public const string Namespace = "urn:provisioning:package:1";

    /// <summary>Manifest format version (1).</summary>
    public int FormatVersion { get; init; } = 1;
    /// <summary>Configuration ID.</summary>
    public ProvConfigId ConfigId { get; init; }
    /// <summary>Config aliases.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = Array.Empty<string>();
    /// <summary>Application label.</summary>
    public string AppLabel { get; init; } = "";
    /// <summary>Node type.</summary>
    public string NodeType { get; init; } = "";
    /// <summary>Node version.</summary>
    public string NodeVersion { get; init; } = "";
    /// <summary>Hardware types (board revisions) the node firmware supports; empty means any. Written space-separated.</summary>
    public IReadOnlyList<string> HardwareTypes { get; init; } = Array.Empty<string>();
    /// <summary>Application bundles in order.</summary>
    public IReadOnlyList<PackageApp> Apps { get; init; } = Array.Empty<PackageApp>();
    /// <summary>Every file in the package except the manifest itself.</summary>
    public IReadOnlyList<PackageFileEntry> Files { get; init; } = Array.Empty<PackageFileEntry>();
    /// <summary>When the package was built (UTC).</summary>
    public DateTimeOffset Created { get; init; }
    /// <summary>What built it, e.g. <c>Provisioning 0.1.0</c>.</summary>
    public string Creator { get; init; } = "";

    /// <summary>Largest manifest the reader accepts, in bytes.</summary>
    public const int MaxSize = 1024 * 1024;

    /// <summary>Writes the manifest as UTF-8 XML.</summary>
    public void Write(Stream output)
    {
        XNamespace ns = Namespace;
        var doc = new XDocument(new XElement(ns + "package",
            new XAttribute("formatVersion", FormatVersion),
            new XElement(ns + "configId", ConfigId.ToString()),
            new XElement(ns + "aliases", Aliases.Select(a => new XElement(ns + "alias", a))),
            new XElement(ns + "appLabel", AppLabel),
            new XElement(ns + "node", new XAttribute("type", NodeType), new XAttribute("version", NodeVersion),
                HardwareTypes.Count == 0 ? null : new XAttribute("hardwareTypes", string.Join(' ', HardwareTypes))),
            new XElement(ns + "apps", Apps.Select(a => new XElement(ns + "app", new XAttribute("name", a.Name), new XAttribute("version", a.Version)))),
            new XElement(ns + "created", XmlConvert.ToString(Created)),
            new XElement(ns + "creator", Creator),
            new XElement(ns + "files", Files.Select(f => new XElement(ns + "file",
                new XAttribute("path", f.Path),
                new XAttribute("role", f.Role.ToString()),
                f.App is null ? null : new XAttribute("app", f.App),
                new XAttribute("size", f.Size),
                new XAttribute("md5", f.Md5),
                new XAttribute("sha256", f.Sha256))))));
        var settings = new XmlWriterSettings { Encoding = new System.Text.UTF8Encoding(false), Indent = true, CloseOutput = false };
        using var writer = XmlWriter.Create(output, settings);
        doc.Save(writer);
    }

    /// <summary>
    /// Reads and validates a manifest (schema, no DTD or external entities, safe unique paths).
    /// Throws <see cref="PackageFormatException"/> with <paramref name="entryName"/>.
    /// </summary>
    public static PackageManifest Read(Stream input, string entryName = EntryName) => ManifestReader.Read(input, entryName);
}
