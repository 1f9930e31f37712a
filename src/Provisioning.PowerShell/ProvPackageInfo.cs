using Provisioning.Core.Packaging;

namespace Provisioning.PowerShell;

/// <summary>What identifies a package: the guide's "Uploaded Package Information".</summary>
public abstract class ProvPackageIdentity
{
    /// <summary>From a manifest; null for a package too damaged to read one.</summary>
    private protected ProvPackageIdentity(string path, PackageManifest? manifest)
    {
        Path = path;
        ConfigId = manifest?.ConfigId.Value;
        Aliases = manifest?.Aliases.ToArray() ?? Array.Empty<string>();
        AppLabel = manifest?.AppLabel;
        NodeType = manifest?.NodeType;
        NodeVersion = manifest?.NodeVersion;
        HardwareTypes = manifest?.HardwareTypes.ToArray() ?? Array.Empty<string>();
        Apps = manifest?.Apps.ToArray() ?? Array.Empty<PackageApp>();
        Created = manifest?.Created;
    }

    /// <summary>Full path of the package.</summary>
    public string Path { get; }
    /// <summary>Configuration ID (empty when the package could not be read).</summary>
    public ulong? ConfigId { get; }
    /// <summary>Config aliases.</summary>
    public string[] Aliases { get; }
    /// <summary>Application label.</summary>
    public string? AppLabel { get; }
    /// <summary>Node type.</summary>
    public string? NodeType { get; }
    /// <summary>Node version.</summary>
    public string? NodeVersion { get; }
    /// <summary>Hardware types the node firmware supports; empty means any.</summary>
    public string[] HardwareTypes { get; }
    /// <summary>Application bundles (name, version).</summary>
    public PackageApp[] Apps { get; }
    /// <summary>When the package was built.</summary>
    public DateTimeOffset? Created { get; }
}

/// <summary>A package written by New-ProvPackage.</summary>
public sealed class ProvPackageInfo : ProvPackageIdentity
{
    internal ProvPackageInfo(PackageBuildResult result) : base(result.Path, result.Manifest)
    {
        Files = result.Manifest.Files.ToArray();
        Length = result.Length;
        Sha256 = result.Sha256;
    }

    /// <summary>Files in the package with their hashes.</summary>
    public PackageFileEntry[] Files { get; }
    /// <summary>Package size in bytes.</summary>
    public long Length { get; }
    /// <summary>SHA-256 of the package file.</summary>
    public string Sha256 { get; }
}

/// <summary>What Test-ProvPackage found: the package's identity plus every check.</summary>
public sealed class ProvPackageVerification : ProvPackageIdentity
{
    internal ProvPackageVerification(PackageVerification v) : base(v.Source, v.Manifest)
    {
        Files = v.Files.ToArray();
        SignatureValid = v.SignatureValid;
        GatewayKeysDecrypt = v.GatewayKeysDecrypt;
        KmsFingerprint = v.KmsFingerprint;
        Problems = v.Problems.Select(p => p.Message).ToArray();
        IsValid = v.IsValid;
    }

    /// <summary>A package that could not be read safely: no identity, one problem saying why.</summary>
    internal ProvPackageVerification(string path, string problem) : base(path, null)
    {
        Files = Array.Empty<VerifiedFile>();
        Problems = new[] { problem };
    }

    /// <summary>Every file with expected and actual hashes.</summary>
    public VerifiedFile[] Files { get; }
    /// <summary>Whether the gateway key file's KMS signature verifies.</summary>
    public bool SignatureValid { get; }
    /// <summary>Whether the passphrase opened the gateway key file; empty when no passphrase was given.</summary>
    public bool? GatewayKeysDecrypt { get; }
    /// <summary>Fingerprint of the package's KMS public key.</summary>
    public string? KmsFingerprint { get; }
    /// <summary>What is wrong; empty for a good package.</summary>
    public string[] Problems { get; }
    /// <summary>True when every check passed.</summary>
    public bool IsValid { get; }
}
