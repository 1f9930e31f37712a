namespace Provisioning.Core.Packaging;

/// <summary>What <see cref="PackageWriter.Build"/> wrote.</summary>
/// <param name="Path">Full path of the package.</param>
/// <param name="Manifest">The manifest written into it.</param>
/// <param name="Length">Package size in bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the whole package file.</param>
public sealed record PackageBuildResult(string Path, PackageManifest Manifest, long Length, string Sha256);

/// <summary>Builds a configuration package (<c>.tar.gz</c>, manifest first) by streaming each file; memory does not grow with file size.</summary>
public static class PackageWriter
{
    /// <summary>
    /// Validates <paramref name="definition"/> (files exist, KMS key parses, gateway key signature verifies with it),
    /// then writes the package to a temporary file beside <paramref name="outputPath"/> and moves it into place,
    /// so a failure never leaves a partial package.
    /// </summary>
    public static PackageBuildResult Build(PackageDefinition definition, string outputPath, bool overwrite = false,
        IProgress<PackageProgress>? progress = null, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>The manifest <see cref="Build"/> would write (hashes every file), without writing a package.</summary>
    public static PackageManifest Describe(PackageDefinition definition, IProgress<PackageProgress>? progress = null, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();
}
