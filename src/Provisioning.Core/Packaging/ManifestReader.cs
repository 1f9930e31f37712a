using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using Provisioning.Core.Xml;

namespace Provisioning.Core.Packaging;

/// <summary>Reads <c>manifest.xml</c> safely (no DTD, no resolver, size cap), validates it against the embedded schema and the role rules.</summary>
internal static class ManifestReader
{
    private static readonly EmbeddedSchema Schema = new("Provisioning.Core.Packaging.package-manifest.xsd");

    public static PackageManifest Read(Stream input, string entryName)
    {
        var buffer = ReadCapped(input, entryName);
        XDocument doc;
        try
        {
            using var reader = XmlReader.Create(buffer, CreateSettings());
            doc = XDocument.Load(reader);
        }
        catch (XmlSchemaException ex) when (BadConfigId(buffer) is { } configError)
        {
            // The schema holds configId to 64 bits too; the parser's message names the value and says what is wrong.
            throw Error(entryName, $"has a bad configId: {configError}", ex);
        }
        catch (XmlSchemaException ex)
        {
            throw Error(entryName, $"does not match the package manifest schema (docs/schemas/package-manifest.xsd) at line {ex.LineNumber}, position {ex.LinePosition}: {ex.Message}", ex);
        }
        catch (XmlException ex) when (DeclaresDtd(buffer))
        {
            throw Error(entryName, "contains a DTD or entity declaration: DTDs and entities are not allowed in a package manifest.", ex);
        }
        catch (XmlException ex)
        {
            throw Error(entryName, $"is not well-formed XML: {ex.Message}", ex);
        }

        var manifest = Map(doc.Root!, entryName);
        Check(manifest, entryName);
        return manifest;
    }

    /// <summary>Why the manifest's configId does not parse, read again without the schema; null when it parses or cannot be found.</summary>
    private static string? BadConfigId(MemoryStream buffer)
    {
        buffer.Position = 0;
        try
        {
            using var reader = XmlReader.Create(buffer, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            var text = (string?)XDocument.Load(reader).Root?.Element(XName.Get("configId", PackageManifest.Namespace));
            return text is not null && !ProvConfigId.TryParse(text, out _, out var error) ? error : null;
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static MemoryStream ReadCapped(Stream input, string entryName)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = input.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + n > PackageManifest.MaxSize)
                throw Error(entryName, $"is larger than {PackageManifest.MaxSize / 1024 / 1024} MiB, the most a package manifest may be.");
            buffer.Write(chunk, 0, n);
        }
        buffer.Position = 0;
        return buffer;
    }

    private static XmlReaderSettings CreateSettings()
    {
        var settings = Schema.CreateReaderSettings();
        settings.MaxCharactersInDocument = PackageManifest.MaxSize * 2L;
        // Warnings (e.g. a root element in another namespace, which the schema cannot see) count as errors.
        settings.ValidationEventHandler += (_, e) => throw e.Exception;
        return settings;
    }

    private static bool DeclaresDtd(MemoryStream buffer)
    {
        buffer.Position = 0;
        using var text = new StreamReader(buffer, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var content = text.ReadToEnd();
        return content.Contains("<!DOCTYPE", StringComparison.Ordinal) || content.Contains("<!ENTITY", StringComparison.Ordinal);
    }

    private static PackageManifest Map(XElement root, string entryName)
    {
        XNamespace ns = PackageManifest.Namespace;
        var configText = (string)root.Element(ns + "configId")!;
        if (!ProvConfigId.TryParse(configText, out var configId, out var configError))
            throw Error(entryName, $"has a bad configId: {configError}");
        var node = root.Element(ns + "node")!;
        return new PackageManifest
        {
            FormatVersion = (int)root.Attribute("formatVersion")!,
            ConfigId = configId,
            Aliases = root.Element(ns + "aliases")!.Elements(ns + "alias").Select(a => a.Value).ToArray(),
            AppLabel = (string)root.Element(ns + "appLabel")!,
            NodeType = (string)node.Attribute("type")!,
            NodeVersion = (string)node.Attribute("version")!,
            HardwareTypes = PackageText.SplitList((string?)node.Attribute("hardwareTypes")),
            Apps = root.Element(ns + "apps")!.Elements(ns + "app")
                .Select(a => new PackageApp((string)a.Attribute("name")!, (string)a.Attribute("version")!)).ToArray(),
            Created = XmlConvert.ToDateTimeOffset((string)root.Element(ns + "created")!),
            Creator = (string)root.Element(ns + "creator")!,
            Files = root.Element(ns + "files")!.Elements(ns + "file").Select(f => new PackageFileEntry(
                (string)f.Attribute("path")!,
                Enum.Parse<PackageFileRole>((string)f.Attribute("role")!),
                (string?)f.Attribute("app"),
                long.Parse((string)f.Attribute("size")!, NumberStyles.None, CultureInfo.InvariantCulture),
                (string)f.Attribute("md5")!,
                (string)f.Attribute("sha256")!)).ToArray(),
        };
    }

    /// <summary>The rules the schema cannot express.</summary>
    private static void Check(PackageManifest m, string entryName)
    {
        foreach (var (text, what) in new[] { (m.AppLabel, "appLabel"), (m.NodeType, "node type"), (m.NodeVersion, "node version"), (m.Creator, "creator") }
                     .Concat(m.Apps.Select(a => (a.Version, $"version of app '{a.Name}'"))))
            if (PackageText.LabelProblem(text, what) is { } problem)
                throw Error(entryName, $"is wrong: {problem}");
        foreach (var hardwareType in m.HardwareTypes)
            if (PackageText.HardwareTypeProblem(hardwareType, "hardware type") is { } problem)
                throw Error(entryName, $"is wrong: {problem}");
        RequireUnique(m.Aliases, "alias", entryName);
        RequireUnique(m.HardwareTypes, "hardware type", entryName);
        RequireUnique(m.Apps.Select(a => a.Name), "app", entryName);

        var apps = new HashSet<string>(m.Apps.Select(a => a.Name), StringComparer.Ordinal);
        var paths = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var roles = new HashSet<(PackageFileRole, string?)>();
        foreach (var f in m.Files)
        {
            string where = $"declares the file '{PackageText.Printable(f.Path)}'";
            if (PackageLayout.PathProblem(f.Path) is { } pathProblem)
                throw Error(entryName, $"{where}, which is unsafe: {pathProblem}.");
            if (string.Equals(f.Path, PackageManifest.EntryName, StringComparison.OrdinalIgnoreCase))
                throw Error(entryName, $"{where}: that name is reserved for the manifest itself.");
            if (!paths.Add(f.Path))
                throw Error(entryName, $"{where} twice (paths are compared without regard to case).");
            if (PackageLayout.IsAppRole(f.Role))
            {
                if (f.App is null)
                    throw Error(entryName, $"{where} with role {f.Role} but no app attribute.");
                if (!apps.Contains(f.App))
                    throw Error(entryName, $"{where} for app '{f.App}', which the manifest does not declare under <apps>.");
            }
            else if (f.App is not null)
                throw Error(entryName, $"{where} with role {f.Role} and an app attribute; only application files name an app.");
            if (!roles.Add((f.Role, f.App)))
                throw Error(entryName, $"{where} as a second {f.Role}{(f.App is null ? "" : $" of app '{f.App}'")}; there may be only one.");
            if (PackageLayout.PlacementProblem(f.Path, f.Role, f.App) is { } placement)
                throw Error(entryName, $"{where} in the wrong place: {placement}.");
        }

        foreach (var required in new[] { PackageFileRole.NodeFirmware, PackageFileRole.NodeFieldConfig, PackageFileRole.KmsPublicKey,
                     PackageFileRole.GatewayKeyFile, PackageFileRole.GatewayKeySignature })
            if (!roles.Contains((required, null)))
                throw Error(entryName, $"declares no {required} file; a package must have exactly one.");
    }

    private static void RequireUnique(IEnumerable<string> names, string what, string entryName)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
            if (!seen.Add(name))
                throw Error(entryName, $"declares the {what} '{name}' twice (compared without regard to case).");
    }

    private static PackageFormatException Error(string entryName, string message, Exception? inner = null) =>
        new(entryName, $"{entryName} {message}", inner);
}
