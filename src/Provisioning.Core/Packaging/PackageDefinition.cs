namespace Provisioning.Core.Packaging;

/// <summary>Everything needed to build one configuration package. File paths are full paths on the local disk.</summary>
public sealed class PackageDefinition
{
    /// <summary>The configuration ID.</summary>
    public ProvConfigId ConfigId { get; set; }
    /// <summary>Zero or more config aliases (stations may select a configuration by alias).</summary>
    public List<string> Aliases { get; } = new();
    /// <summary>Application label, e.g. <c>ge_sgm3000_falconv1_zigbeev2</c>.</summary>
    public string AppLabel { get; set; } = "";
    /// <summary>Node type, e.g. UNODE, DNODE, ENODE.</summary>
    public string NodeType { get; set; } = "";
    /// <summary>Node firmware version, e.g. 1.2.3.4.</summary>
    public string NodeVersion { get; set; } = "";
    /// <summary>Hardware types (board revisions) the node firmware supports, e.g. rev-a; empty means any.</summary>
    public List<string> HardwareTypes { get; } = new();
    /// <summary>Node firmware image.</summary>
    public string NodeFirmware { get; set; } = "";
    /// <summary>Node field configuration file.</summary>
    public string NodeFieldConfig { get; set; } = "";
    /// <summary>Optional node factory configuration file.</summary>
    public string? NodeFactoryConfig { get; set; }
    /// <summary>KMS public key PEM.</summary>
    public string KmsPublicKeyPath { get; set; } = "";
    /// <summary>The encrypted gateway key file (<c>gw_keys.csv.aes</c>); its signature is the file beside it with <c>.sig</c> appended.</summary>
    public string GatewayKeyFile { get; set; } = "";
    /// <summary>Application bundles (guide Appendix C.2), in order.</summary>
    public List<AppBundleDefinition> Apps { get; } = new();

    /// <summary>The signature file taken from beside <see cref="GatewayKeyFile"/>.</summary>
    public string GatewayKeySignatureFile => GatewayKeyFile + ".sig";

    /// <summary>Checks required values, names, and that every file exists. Throws <see cref="ArgumentException"/> naming the parameter.</summary>
    public void Validate()
    {
        PackageText.RequireLabel(AppLabel, nameof(AppLabel), "application label");
        PackageText.RequireLabel(NodeType, nameof(NodeType), "node type");
        PackageText.RequireLabel(NodeVersion, nameof(NodeVersion), "node version");

        RequireDistinct(Aliases, "ConfigAlias", "Config alias", "aliases", PackageText.NameProblem);
        RequireDistinct(HardwareTypes, "HardwareType", "Hardware type", "hardware types", PackageText.HardwareTypeProblem);

        RequireFile(NodeFirmware, nameof(NodeFirmware), "node firmware");
        RequireFile(NodeFieldConfig, nameof(NodeFieldConfig), "node field configuration");
        if (NodeFactoryConfig is not null)
            RequireFile(NodeFactoryConfig, nameof(NodeFactoryConfig), "node factory configuration");
        RequireFile(KmsPublicKeyPath, nameof(KmsPublicKeyPath), "KMS public key");
        RequireFile(GatewayKeyFile, nameof(GatewayKeyFile), "gateway key file");
        if (!File.Exists(GatewayKeySignatureFile))
            throw new ArgumentException(
                $"The gateway key file '{GatewayKeyFile}' has no signature file '{GatewayKeySignatureFile}': the signature {Path.GetFileName(GatewayKeySignatureFile)} must lie beside it.",
                nameof(GatewayKeyFile));

        var appNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var app in Apps)
        {
            if (PackageText.NameProblem(app.Name, "Application name") is { } problem)
                throw new ArgumentException(problem, "App");
            if (!appNames.Add(app.Name))
                throw new ArgumentException($"Application '{app.Name}' is given twice (names are compared without regard to case).", "App");
            if (PackageText.LabelProblem(app.Version, $"Application '{app.Name}' version") is { } versionProblem)
                throw new ArgumentException(versionProblem, "App");
            foreach (var (path, what) in app.Files())
                RequireFile(path, "App", $"application '{app.Name}' {what}");
        }
    }

    /// <summary>Each value valid by <paramref name="problem"/> and none given twice (ignoring case); else an exception naming <paramref name="parameter"/>.</summary>
    private static void RequireDistinct(IEnumerable<string> values, string parameter, string what, string plural, Func<string?, string, string?> problem)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values)
        {
            if (problem(value, what) is { } message)
                throw new ArgumentException(message, parameter);
            if (!seen.Add(value))
                throw new ArgumentException($"{what} '{value}' is given twice ({plural} are compared without regard to case).", parameter);
        }
    }

    private static void RequireFile(string path, string parameter, string what)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException($"The {what} is required: give it with -{parameter}.", parameter);
        if (Directory.Exists(path))
            throw new ArgumentException($"'{path}' (-{parameter}) is a folder: give the {what} file itself.", parameter);
        if (!File.Exists(path))
            throw new ArgumentException($"The {what} '{path}' (-{parameter}) does not exist.", parameter);
        if (PackageText.FileNameProblem(Path.GetFileName(path)) is { } problem)
            throw new ArgumentException($"The {what} file '{path}' (-{parameter}) cannot go into a package: {problem}", parameter);
    }
}

/// <summary>One application bundle (guide Appendix C.2): firmware, field and factory configuration, backend public key. Any file may be omitted.</summary>
public sealed class AppBundleDefinition
{
    /// <summary>Application name (e.g. emcm, zigbee); unique in the package.</summary>
    public string Name { get; set; } = "";
    /// <summary>Application firmware version.</summary>
    public string Version { get; set; } = "";
    /// <summary>Application firmware image.</summary>
    public string? Firmware { get; set; }
    /// <summary>Application field configuration.</summary>
    public string? FieldConfig { get; set; }
    /// <summary>Application factory configuration.</summary>
    public string? FactoryConfig { get; set; }
    /// <summary>Backend server RSA public key PEM that encrypts this application's device keys.</summary>
    public string? PublicKeyPath { get; set; }

    /// <summary>The files given, with what each is for in messages.</summary>
    internal IEnumerable<(string Path, string What)> Files()
    {
        if (Firmware is not null) yield return (Firmware, "firmware");
        if (FieldConfig is not null) yield return (FieldConfig, "field configuration");
        if (FactoryConfig is not null) yield return (FactoryConfig, "factory configuration");
        if (PublicKeyPath is not null) yield return (PublicKeyPath, "public key");
    }
}
