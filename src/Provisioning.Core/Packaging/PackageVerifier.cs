namespace Provisioning.Core.Packaging;

/// <summary>The kind of a verification problem.</summary>
public enum PackageProblemKind
{
    /// <summary>A file's MD5 or SHA-256 differs from the manifest.</summary>
    HashMismatch,
    /// <summary>The gateway key file's signature does not verify with the package's KMS public key.</summary>
    BadSignature,
    /// <summary>The passphrase does not open the gateway key file.</summary>
    WrongPassphrase,
    /// <summary>The gateway key file or a public key in the package is malformed.</summary>
    BadKeyFile,
}

/// <summary>One problem found while verifying; <see cref="Message"/> names the entry and never holds key material.</summary>
public sealed record PackageProblem(PackageProblemKind Kind, string? EntryName, string Message);

/// <summary>One declared file and what was found in the archive.</summary>
public sealed record VerifiedFile(string Path, PackageFileRole Role, string? App, long Size,
    string ExpectedMd5, string ActualMd5, string ExpectedSha256, string ActualSha256)
{
    /// <summary>Both hashes match the manifest.</summary>
    public bool Md5Valid => string.Equals(ExpectedMd5, ActualMd5, StringComparison.OrdinalIgnoreCase);
    /// <summary>SHA-256 matches the manifest.</summary>
    public bool Sha256Valid => string.Equals(ExpectedSha256, ActualSha256, StringComparison.OrdinalIgnoreCase);
    /// <summary>Both hashes match.</summary>
    public bool Valid => Md5Valid && Sha256Valid;
}

/// <summary>Options for <see cref="PackageVerifier.Verify(Stream, string, PackageVerifyOptions?)"/>.</summary>
public sealed class PackageVerifyOptions
{
    /// <summary>Passphrase of the gateway key file; null skips the decryption check. The caller owns and clears the array.</summary>
    public char[]? Passphrase { get; init; }
    /// <summary>When set, files are extracted below this existing folder while they are verified (removed again on failure).</summary>
    public string? ExtractTo { get; init; }
    /// <summary>Progress sink.</summary>
    public IProgress<PackageProgress>? Progress { get; init; }
    /// <summary>Total size of the input for progress, when the stream cannot tell.</summary>
    public long InputLength { get; init; } = -1;
    /// <summary>Cancellation.</summary>
    public CancellationToken CancellationToken { get; init; }
    /// <summary>
    /// Called as soon as the manifest has been read and validated, before any other file; an exception it throws ends the
    /// pass (and removes extracted files). A server uses it to claim the config ID before the rest of the upload arrives.
    /// </summary>
    public Action<PackageManifest>? ManifestRead { get; init; }
}

/// <summary>Outcome of verifying a package.</summary>
public sealed class PackageVerification
{
    /// <summary>Where the package was read from.</summary>
    public string Source { get; init; } = "";
    /// <summary>The manifest.</summary>
    public PackageManifest Manifest { get; init; } = new();
    /// <summary>Every declared file with its hashes.</summary>
    public IReadOnlyList<VerifiedFile> Files { get; init; } = Array.Empty<VerifiedFile>();
    /// <summary>Whether the gateway key file's signature verifies with the package's KMS public key.</summary>
    public bool SignatureValid { get; init; }
    /// <summary>Whether the passphrase opened the gateway key file; null when no passphrase was given.</summary>
    public bool? GatewayKeysDecrypt { get; init; }
    /// <summary>Fingerprint of the package's KMS public key.</summary>
    public string? KmsFingerprint { get; init; }
    /// <summary>Everything that is wrong; empty for a good package.</summary>
    public IReadOnlyList<PackageProblem> Problems { get; init; } = Array.Empty<PackageProblem>();
    /// <summary>No problems.</summary>
    public bool IsValid => Problems.Count == 0;
}

/// <summary>
/// Reads a package in one streaming pass: rejects unsafe or undeclared entries (throwing <see cref="PackageFormatException"/>),
/// checks every file's size and hashes, the gateway key signature, and optionally the passphrase.
/// </summary>
public static class PackageVerifier
{
    /// <summary>Verifies the package file at <paramref name="path"/>.</summary>
    public static PackageVerification Verify(string path, PackageVerifyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            throw new PackageFormatException(null, $"'{path}' is a folder, not a package file.");
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileDigest.BufferSize, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new PackageFormatException(null, $"The package '{path}' does not exist.", ex);
        }
        using (file)
        {
            options ??= new PackageVerifyOptions();
            return new PackageReadPass(file, path, options, options.InputLength >= 0 ? options.InputLength : file.Length).Run();
        }
    }

    /// <summary>Verifies a package read from <paramref name="package"/> (gzip-compressed tar); <paramref name="sourceName"/> names it in messages.</summary>
    public static PackageVerification Verify(Stream package, string sourceName, PackageVerifyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(package);
        options ??= new PackageVerifyOptions();
        long length = options.InputLength >= 0 ? options.InputLength : package.CanSeek ? package.Length - package.Position : -1;
        return new PackageReadPass(package, sourceName, options, length).Run();
    }
}
