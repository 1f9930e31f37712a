using Provisioning.Core.Api;

namespace Provisioning.Core.Host;

/// <summary>
/// A configuration with every file on this machine, checked against the size, SHA-256 and MD5 the server lists (the
/// guide's <c>npt_comm.ConfigData</c> after <c>getConfig</c>, C.4): node files, and per app bundle its version, public key
/// and validated paths. <see cref="AppNames"/>, <see cref="AppVersions"/>, <see cref="AppPublicKeys"/> and <see cref="AppFiles"/>
/// are the guide's parallel lists.
/// </summary>
public sealed class HostConfigFiles
{
    internal HostConfigFiles(ConfigInfo config, string? destination, HostFilePaths node, IReadOnlyList<HostAppFiles> apps)
    {
        Config = config;
        Destination = destination;
        Node = node;
        Apps = apps;
    }

    /// <summary>The configuration as the server describes it.</summary>
    public ConfigInfo Config { get; }

    /// <summary>The configuration ID (<c>config_id</c>).</summary>
    public ulong ConfigId => Config.ConfigId;

    /// <summary>The folder the files were downloaded to; null in shared file system mode (the files stay on the share).</summary>
    public string? Destination { get; }

    /// <summary>The node's files.</summary>
    public HostFilePaths Node { get; }

    /// <summary>The app bundles, in the package's order.</summary>
    public IReadOnlyList<HostAppFiles> Apps { get; }

    /// <summary><c>app_names</c>.</summary>
    public IReadOnlyList<string> AppNames => Apps.Select(a => a.Name).ToList();

    /// <summary><c>app_versions</c>.</summary>
    public IReadOnlyList<string> AppVersions => Apps.Select(a => a.Version).ToList();

    /// <summary><c>app_pub_keys</c> (PEM; null for an app without one).</summary>
    public IReadOnlyList<string?> AppPublicKeys => Apps.Select(a => a.PublicKey).ToList();

    /// <summary><c>app_files</c>: each app's validated paths.</summary>
    public IReadOnlyList<HostFilePaths> AppFiles => Apps.Select(a => a.Files).ToList();

    /// <summary>The app bundle of this name (case-sensitive); null when the config has none.</summary>
    public HostAppFiles? App(string name) => Apps.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.Ordinal));

    /// <inheritdoc/>
    public override string ToString() => $"config {ConfigId} ({Apps.Count} app bundle(s))";
}

/// <summary>
/// Validated local paths of a target's files (guide C.4 <c>npt_comm.TargetFileInfo</c>); null when the package has no such
/// file. The paths may be the same file when the package uses one file for several roles.
/// </summary>
/// <param name="FirmwarePath"><c>firmware_path</c>.</param>
/// <param name="FieldConfigPath"><c>field_config_path</c>.</param>
/// <param name="FactoryConfigPath"><c>factory_config_path</c>.</param>
public sealed record HostFilePaths(string? FirmwarePath, string? FieldConfigPath, string? FactoryConfigPath);

/// <summary>One app bundle with its files on this machine.</summary>
/// <param name="Name">The app's name (<c>app_names[i]</c>).</param>
/// <param name="Version">Its firmware version (<c>app_versions[i]</c>).</param>
/// <param name="PublicKey">The RSA public key (PEM) its keys are encrypted for (<c>app_pub_keys[i]</c>); null when it has none.</param>
/// <param name="Files">Its validated paths (<c>app_files[i]</c>).</param>
public sealed record HostAppFiles(string Name, string Version, string? PublicKey, HostFilePaths Files)
{
    /// <summary><c>firmware_path</c>.</summary>
    public string? FirmwarePath => Files.FirmwarePath;

    /// <summary><c>field_config_path</c>.</summary>
    public string? FieldConfigPath => Files.FieldConfigPath;

    /// <summary><c>factory_config_path</c>.</summary>
    public string? FactoryConfigPath => Files.FactoryConfigPath;
}

/// <summary>Where a download of a configuration's files stands.</summary>
/// <param name="File">The file being fetched or checked (its folder and name under the destination).</param>
/// <param name="FileIndex">Its number, from 1.</param>
/// <param name="FileCount">How many files the configuration has.</param>
/// <param name="BytesDone">Bytes of all files done so far.</param>
/// <param name="BytesTotal">Bytes of all files.</param>
public sealed record HostDownloadProgress(string File, int FileIndex, int FileCount, long BytesDone, long BytesTotal);
