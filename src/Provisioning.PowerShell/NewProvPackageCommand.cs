using System.Collections;
using System.Management.Automation;
using Provisioning.Core.Crypto;
using Provisioning.Core.Packaging;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Builds a configuration package (.tar.gz with manifest.xml, files, hashes and keys) for one provisioning configuration.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "ProvPackage", SupportsShouldProcess = true, DefaultParameterSetName = ParametersSet)]
[OutputType(typeof(ProvPackageInfo))]
public sealed class NewProvPackageCommand : ProvCmdlet
{
    private const string ParametersSet = "Parameters";
    private const string DefinitionSet = "Definition";

    /// <summary>A package definition file (.psd1) whose keys are this cmdlet's parameter names; parameters given on the command line override it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DefinitionSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string DefinitionPath { get; set; } = "";

    /// <summary>The 64-bit provisioning configuration ID, decimal or 0x hex.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParametersSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = DefinitionSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string ConfigId { get; set; } = "";

    /// <summary>Config aliases stations may use instead of the ID.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? ConfigAlias { get; set; }

    /// <summary>Application label.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParametersSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = DefinitionSet, ValueFromPipelineByPropertyName = true)]
    public string AppLabel { get; set; } = "";

    /// <summary>Node type, e.g. UNODE, DNODE, ENODE.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParametersSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = DefinitionSet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NodeTypeCompleter))]
    public string NodeType { get; set; } = "";

    /// <summary>Node firmware version, e.g. 1.2.3.4.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParametersSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = DefinitionSet, ValueFromPipelineByPropertyName = true)]
    public string NodeVersion { get; set; } = "";

    /// <summary>Hardware types (board revisions) the node firmware supports, e.g. rev-a, rev-b; none means any.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? HardwareType { get; set; }

    /// <summary>Node firmware image.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParametersSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = DefinitionSet, ValueFromPipelineByPropertyName = true)]
    public string NodeFirmware { get; set; } = "";

    /// <summary>Node field configuration file.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParametersSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = DefinitionSet, ValueFromPipelineByPropertyName = true)]
    public string NodeFieldConfig { get; set; } = "";

    /// <summary>Optional node factory configuration file.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? NodeFactoryConfig { get; set; }

    /// <summary>The KMS public key PEM (kms_key.pub.pem). -KmsPublicKeyPath is the older name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParametersSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = DefinitionSet, ValueFromPipelineByPropertyName = true)]
    [Alias("KmsPublicKeyPath")]
    public string KmsPublicKeyFile { get; set; } = "";

    /// <summary>The encrypted gateway key file (gw_keys.csv.aes); its .sig is taken from beside it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParametersSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = DefinitionSet, ValueFromPipelineByPropertyName = true)]
    public string GatewayKeyFile { get; set; } = "";

    /// <summary>Application bundles: hashtables with Name, Version, Firmware, FieldConfig, FactoryConfig, PublicKeyFile.</summary>
    [Parameter]
    public Hashtable[]? App { get; set; }

    /// <summary>The package file to write (.tar.gz).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Replaces an existing package file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        // Each package (a CSV row, say) stands alone: its failure is a non-terminating error and the next one is still built.
        PackageDefinition definition;
        try { definition = BuildDefinition(); }
        catch (Exception e) when (e is ArgumentException or FormatException or FileNotFoundException)
        {
            WriteError(Error(e, "InvalidPackageDefinition", ErrorCategory.InvalidArgument, e is ArgumentException a ? a.ParamName : DefinitionPath));
            return;
        }

        string output = ResolvePath(Path);
        if (!Force && File.Exists(output))
        {
            // Checked before -WhatIf answers, so that -WhatIf predicts the refusal.
            WriteError(Error(new IOException($"The package '{output}' already exists; use -Force to replace it."), "PackageExists", ErrorCategory.ResourceExists, output));
            return;
        }
        string what = $"Build package for config {definition.ConfigId} ({definition.AppLabel}, {definition.NodeType} {definition.NodeVersion}, {definition.Apps.Count} app bundle(s))";
        if (!ShouldProcess(output, what)) return;

        var progress = NewProgress<PackageProgress>(1, $"Building package {System.IO.Path.GetFileName(output)}", p =>
            ($"{p.Activity} {p.CurrentEntry}", p.BytesTotal > 0 ? (int)(p.BytesDone * 100 / p.BytesTotal) : 0));
        try
        {
            var result = PackageWriter.Build(definition, output, Force.IsPresent, progress, Cancellation);
            WriteObject(new ProvPackageInfo(result));
        }
        catch (OperationCanceledException) { throw new PipelineStoppedException(); }
        catch (KeyFileException e) { WriteError(Error(e, "InvalidKeyFile", ErrorCategory.InvalidData, output)); }
        catch (ArgumentException e) { WriteError(Error(e, "InvalidPackageDefinition", ErrorCategory.InvalidArgument, e.ParamName)); }
        catch (Exception e) when (FileErrorCategory(e, ErrorCategory.WriteError) is { } category) { WriteError(Error(e, "PackageNotWritten", category, output)); }
        finally { progress.Complete(); }
    }

    /// <summary>Merges the definition file (if any) with the parameters given; parameters win.</summary>
    private PackageDefinition BuildDefinition()
    {
        var bound = MyInvocation.BoundParameters;
        Hashtable file = new(StringComparer.OrdinalIgnoreCase);
        string baseFolder = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        if (ParameterSetName == DefinitionSet)
        {
            string definitionPath = ResolveOneExistingPath(DefinitionPath, nameof(DefinitionPath));
            file = PackageDefinitionFile.Read(definitionPath);
            baseFolder = System.IO.Path.GetDirectoryName(definitionPath)!;
        }

        // A value from the command line resolves against the current location, one from the file against the file's folder.
        string? Value(string name, string parameterValue) =>
            bound.ContainsKey(name) ? parameterValue : file[name]?.ToString();
        string? FilePath(string name, string? parameterValue)
        {
            if (bound.ContainsKey(name)) return string.IsNullOrEmpty(parameterValue) ? null : ResolveOneExistingPath(parameterValue, name);
            return file[name]?.ToString() is { Length: > 0 } p ? System.IO.Path.GetFullPath(p, baseFolder) : null;
        }

        string configId = Value(nameof(ConfigId), ConfigId)
            ?? throw new ArgumentException("A configuration ID is required (-ConfigId, or ConfigId in the definition file).", nameof(ConfigId));
        var definition = new PackageDefinition
        {
            ConfigId = ProvConfigId.Parse(configId),
            AppLabel = Value(nameof(AppLabel), AppLabel) ?? "",
            NodeType = Value(nameof(NodeType), NodeType) ?? "",
            NodeVersion = Value(nameof(NodeVersion), NodeVersion) ?? "",
            NodeFirmware = FilePath(nameof(NodeFirmware), NodeFirmware) ?? "",
            NodeFieldConfig = FilePath(nameof(NodeFieldConfig), NodeFieldConfig) ?? "",
            NodeFactoryConfig = FilePath(nameof(NodeFactoryConfig), NodeFactoryConfig),
            KmsPublicKeyPath = FilePath(nameof(KmsPublicKeyFile), KmsPublicKeyFile) ?? "",
            GatewayKeyFile = FilePath(nameof(GatewayKeyFile), GatewayKeyFile) ?? "",
        };

        IEnumerable<string> aliases = bound.ContainsKey(nameof(ConfigAlias)) ? ConfigAlias ?? Array.Empty<string>() : AsStrings(file["ConfigAlias"]);
        // A CSV cell holds several aliases as "a;b"; neither ';' nor ',' can be part of an alias.
        definition.Aliases.AddRange(aliases.SelectMany(a => a.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));

        IEnumerable<string> hardwareTypes = bound.ContainsKey(nameof(HardwareType)) ? HardwareType ?? Array.Empty<string>() : AsStrings(file["HardwareType"]);
        // As with aliases, a CSV cell holds several as "rev-a;rev-b"; blanks also separate them, as in the manifest.
        definition.HardwareTypes.AddRange(hardwareTypes.SelectMany(h => h.Split(new[] { ';', ',', ' ' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));

        if (bound.ContainsKey(nameof(App)))
            definition.Apps.AddRange((App ?? Array.Empty<Hashtable>()).Select(a => PackageDefinitionFile.ToApp(a, p => ResolveOneExistingPath(p, nameof(App)))));
        else
            definition.Apps.AddRange(AsDictionaries(file["App"]).Select(a => PackageDefinitionFile.ToApp(a, p => System.IO.Path.GetFullPath(p, baseFolder))));

        definition.Validate();
        return definition;
    }

    private static IEnumerable<string> AsStrings(object? value) => value switch
    {
        null => Array.Empty<string>(),
        string s => new[] { s },
        IEnumerable e => e.Cast<object>().Select(o => o.ToString() ?? ""),
        _ => new[] { value.ToString() ?? "" },
    };

    private static IEnumerable<IDictionary> AsDictionaries(object? value) => value switch
    {
        null => Array.Empty<IDictionary>(),
        IDictionary d => new[] { d },
        IEnumerable e => e.Cast<object>().Select(o => o as IDictionary
            ?? throw new ArgumentException("Each App entry in the definition file must be a hashtable @{ Name = ...; Version = ... }.", "App")),
        _ => throw new ArgumentException("App in the definition file must be a hashtable or an array of hashtables.", "App"),
    };
}
