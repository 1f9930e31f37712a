using Provisioning.Core.Crypto;

namespace Provisioning.Core.Packaging;

/// <summary>Where each role's files go inside a package, and which archive paths are safe to extract.</summary>
internal static class PackageLayout
{
    /// <summary>Path of the KMS public key.</summary>
    public const string KmsPublicKeyPath = "keys/" + KmsKeyPair.PublicKeyFileName;
    /// <summary>Path of the encrypted gateway key file.</summary>
    public const string GatewayKeyFilePath = "keys/" + GatewayKeyFile.FileName;
    /// <summary>Path of the gateway key file's signature.</summary>
    public const string GatewayKeySignaturePath = "keys/" + GatewayKeyFile.SignatureFileName;

    /// <summary>Largest key file (KMS and app public keys, gateway key file, signature) a package may hold; they are kept in memory.</summary>
    public const int MaxKeyFileSize = 64 * 1024;

    /// <summary>Whether the role holds a small key file, kept in memory by the verifier.</summary>
    public static bool IsKeyRole(PackageFileRole role) =>
        role is PackageFileRole.KmsPublicKey or PackageFileRole.GatewayKeyFile or PackageFileRole.GatewayKeySignature or PackageFileRole.AppPublicKey;

    /// <summary>Whether the role belongs to an application bundle (and so needs an app name).</summary>
    public static bool IsAppRole(PackageFileRole role) => role >= PackageFileRole.AppFirmware;

    /// <summary>The archive path of a file with <paramref name="role"/> whose local name is <paramref name="fileName"/>.</summary>
    public static string PathFor(PackageFileRole role, string? app, string fileName) => role switch
    {
        PackageFileRole.KmsPublicKey => KmsPublicKeyPath,
        PackageFileRole.GatewayKeyFile => GatewayKeyFilePath,
        PackageFileRole.GatewayKeySignature => GatewayKeySignaturePath,
        _ => Folder(role, app) + fileName,
    };

    /// <summary>Why <paramref name="path"/> is not where a file with <paramref name="role"/> belongs, or null.</summary>
    public static string? PlacementProblem(string path, PackageFileRole role, string? app)
    {
        string? expected = role switch
        {
            PackageFileRole.KmsPublicKey => KmsPublicKeyPath,
            PackageFileRole.GatewayKeyFile => GatewayKeyFilePath,
            PackageFileRole.GatewayKeySignature => GatewayKeySignaturePath,
            _ => null,
        };
        if (expected is not null)
            return path == expected ? null : $"a {role} file must be {expected}";
        var folder = Folder(role, app);
        return path.StartsWith(folder, StringComparison.Ordinal) && path.IndexOf('/', folder.Length) < 0
            ? null
            : $"a {role} file{(app is null ? "" : $" of application '{app}'")} must lie directly in {folder}";
    }

    private static string Folder(PackageFileRole role, string? app) => role switch
    {
        PackageFileRole.NodeFirmware => "node/firmware/",
        PackageFileRole.NodeFieldConfig => "node/field_config/",
        PackageFileRole.NodeFactoryConfig => "node/factory_config/",
        PackageFileRole.AppFirmware => $"apps/{app}/firmware/",
        PackageFileRole.AppFieldConfig => $"apps/{app}/field_config/",
        PackageFileRole.AppFactoryConfig => $"apps/{app}/factory_config/",
        PackageFileRole.AppPublicKey => $"apps/{app}/public_key/",
        _ => "keys/",
    };

    /// <summary>
    /// Why <paramref name="path"/> is not a safe relative archive path, or null: it must be '/'-separated and relative,
    /// with no empty, '.' or '..' segment, no backslash, colon (drive letters, alternate data streams) or control character.
    /// </summary>
    public static string? PathProblem(string path)
    {
        if (path.Length == 0)
            return "the path is empty";
        if (path[0] == '/')
            return "the path is absolute";
        if (path.Contains('\\'))
            return "the path contains a backslash";
        if (path.Contains(':'))
            return "the path contains ':' (a drive letter or stream name)";
        foreach (var c in path)
            if (char.IsControl(c))
                return "the path contains a control character";
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0)
                return "the path has an empty segment";
            if (segment is "." or "..")
                return $"the path contains a '{segment}' segment";
        }
        return null;
    }

    /// <summary>The entry name with one leading <c>./</c> removed (GNU tar <c>-C dir .</c> writes those); "" for the root itself.</summary>
    public static string Normalise(string entryName)
    {
        if (entryName == ".")
            return "";
        return entryName.StartsWith("./", StringComparison.Ordinal) ? entryName[2..] : entryName;
    }
}
