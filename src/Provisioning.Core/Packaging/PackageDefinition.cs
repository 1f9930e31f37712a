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
    public void Validate() => throw new NotImplementedException();
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
}
