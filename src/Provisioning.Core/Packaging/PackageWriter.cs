using System.Formats.Tar;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using Provisioning.Core.Crypto;

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
    /// <summary>Mode of every file in a package (0644).</summary>
    internal const UnixFileMode FileMode0644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>
    /// Validates <paramref name="definition"/> (files exist, KMS key parses, gateway key signature verifies with it),
    /// then writes the package to a temporary file beside <paramref name="outputPath"/> and moves it into place,
    /// so a failure never leaves a partial package.
    /// </summary>
    /// <exception cref="ArgumentException">The definition is incomplete or names a missing file (ParamName is the cmdlet parameter).</exception>
    /// <exception cref="KeyFileException">A public key does not parse, or the gateway key signature does not verify with the KMS public key.</exception>
    /// <exception cref="IOException">The package already exists and <paramref name="overwrite"/> is off, or a file changed while it was packed.</exception>
    public static PackageBuildResult Build(PackageDefinition definition, string outputPath, bool overwrite = false,
        IProgress<PackageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        definition.Validate();
        var fullPath = Path.GetFullPath(outputPath);
        if (Directory.Exists(fullPath))
            throw new IOException($"'{fullPath}' is a folder: give the package file to write, e.g. {Path.Combine(fullPath, "package.tar.gz")}.");
        if (!overwrite && File.Exists(fullPath))
            throw new IOException($"The package '{fullPath}' already exists; use -Force to replace it.");
        CheckKeys(definition);

        var plan = Plan(definition);
        var manifest = Hash(definition, plan, progress, cancellationToken);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var partial = $"{fullPath}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.partial";
        try
        {
            long length;
            string sha256;
            using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileDigest.BufferSize))
            {
                using (var hashing = new HashingWriteStream(file))
                {
                    WriteArchive(hashing, manifest, plan, progress, cancellationToken);
                    length = hashing.BytesWritten;
                    sha256 = hashing.Sha256();
                }
                file.Flush(flushToDisk: true);
            }
            File.Move(partial, fullPath, overwrite);
            return new PackageBuildResult(fullPath, manifest, length, sha256);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    /// <summary>The manifest <see cref="Build"/> would write (hashes every file), without writing a package.
    /// It validates the definition but does not check the keys.</summary>
    public static PackageManifest Describe(PackageDefinition definition, IProgress<PackageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        definition.Validate();
        return Hash(definition, Plan(definition), progress, cancellationToken);
    }

    /// <summary>The crypto checks, kept together: KMS key and app keys parse, the gateway key signature verifies.</summary>
    private static void CheckKeys(PackageDefinition definition)
    {
        using var kms = KmsKeyPair.ParsePublicKey(File.ReadAllText(RequireSmall(definition.KmsPublicKeyPath)), definition.KmsPublicKeyPath);
        var encrypted = File.ReadAllBytes(RequireSmall(definition.GatewayKeyFile));
        var signature = File.ReadAllBytes(RequireSmall(definition.GatewayKeySignatureFile));
        if (!GatewayKeyFile.VerifySignature(encrypted, signature, kms))
            throw new KeyFileException(
                $"The gateway key file signature does not verify with the KMS public key {definition.KmsPublicKeyPath}: the files belong to different KMS keys.");
        foreach (var app in definition.Apps.Where(a => a.PublicKeyPath is not null))
            KmsKeyPair.ParsePublicKey(File.ReadAllText(RequireSmall(app.PublicKeyPath!)), app.PublicKeyPath!).Dispose();
    }

    private static string RequireSmall(string path)
    {
        if (new FileInfo(path).Length > PackageLayout.MaxKeyFileSize)
            throw new KeyFileException($"The key file '{path}' is larger than {PackageLayout.MaxKeyFileSize / 1024} KiB; it is not a key file.");
        return path;
    }

    private sealed record PlannedFile(string LocalPath, PackageFileRole Role, string? App, string ArchivePath);

    private static List<PlannedFile> Plan(PackageDefinition d)
    {
        var plan = new List<PlannedFile>();
        void Add(string? local, PackageFileRole role, string? app = null)
        {
            if (local is not null)
                plan.Add(new PlannedFile(Path.GetFullPath(local), role, app, PackageLayout.PathFor(role, app, Path.GetFileName(local))));
        }
        Add(d.NodeFirmware, PackageFileRole.NodeFirmware);
        Add(d.NodeFieldConfig, PackageFileRole.NodeFieldConfig);
        Add(d.NodeFactoryConfig, PackageFileRole.NodeFactoryConfig);
        Add(d.KmsPublicKeyPath, PackageFileRole.KmsPublicKey);
        Add(d.GatewayKeyFile, PackageFileRole.GatewayKeyFile);
        Add(d.GatewayKeySignatureFile, PackageFileRole.GatewayKeySignature);
        foreach (var app in d.Apps)
        {
            Add(app.Firmware, PackageFileRole.AppFirmware, app.Name);
            Add(app.FieldConfig, PackageFileRole.AppFieldConfig, app.Name);
            Add(app.FactoryConfig, PackageFileRole.AppFactoryConfig, app.Name);
            Add(app.PublicKeyPath, PackageFileRole.AppPublicKey, app.Name);
        }
        return plan;
    }

    private static PackageManifest Hash(PackageDefinition d, List<PlannedFile> plan, IProgress<PackageProgress>? progress, CancellationToken ct)
    {
        long total = plan.Sum(p => new FileInfo(p.LocalPath).Length), done = 0;
        var buffer = new byte[FileDigest.BufferSize];
        var files = new List<PackageFileEntry>(plan.Count);
        foreach (var p in plan)
        {
            using var digest = new FileDigest();
            using (var source = FileDigest.OpenRead(p.LocalPath))
            {
                int n;
                while ((n = source.Read(buffer)) > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    digest.Append(buffer.AsSpan(0, n));
                    done += n;
                    progress?.Report(new PackageProgress("Hashing", p.ArchivePath, done, total));
                }
            }
            var (md5, sha256) = digest.Finish();
            files.Add(new PackageFileEntry(p.ArchivePath, p.Role, p.App, digest.Length, md5, sha256));
        }
        return new PackageManifest
        {
            ConfigId = d.ConfigId,
            Aliases = d.Aliases.ToArray(),
            AppLabel = d.AppLabel,
            NodeType = d.NodeType,
            NodeVersion = d.NodeVersion,
            HardwareTypes = d.HardwareTypes.ToArray(),
            Apps = d.Apps.Select(a => new PackageApp(a.Name, a.Version)).ToArray(),
            Files = files,
            Created = DateTimeOffset.UtcNow,
            Creator = Creator,
        };
    }

    private static string Creator
    {
        get
        {
            var version = typeof(PackageWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            int plus = version.IndexOf('+');
            return "Provisioning " + (plus < 0 ? version : version[..plus]);
        }
    }

    private static void WriteArchive(Stream output, PackageManifest manifest, List<PlannedFile> plan, IProgress<PackageProgress>? progress, CancellationToken ct)
    {
        using var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
        using (var manifestBytes = new MemoryStream())
        {
            manifest.Write(manifestBytes);
            manifestBytes.Position = 0;
            tar.WriteEntry(NewEntry(PackageManifest.EntryName, manifest.Created, manifestBytes));
        }

        var writing = new WriteProgress(progress, manifest.Files.Sum(f => f.Size));
        for (int i = 0; i < plan.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            using var source = new UnchangedFileStream(plan[i].LocalPath, manifest.Files[i], writing, ct);
            tar.WriteEntry(NewEntry(plan[i].ArchivePath, manifest.Created, source));
            source.ThrowIfIncomplete();
        }
    }

    private static PaxTarEntry NewEntry(string name, DateTimeOffset modified, Stream data) => new(TarEntryType.RegularFile, name)
    {
        Mode = FileMode0644,
        Uid = 0,
        Gid = 0,
        ModificationTime = modified,
        DataStream = data,
    };

    private sealed class WriteProgress(IProgress<PackageProgress>? sink, long total)
    {
        private long _done;
        public void Add(string entry, int bytes)
        {
            _done += bytes;
            sink?.Report(new PackageProgress("Writing", entry, _done, total));
        }
    }

    /// <summary>
    /// A local file as the tar writer reads it: it claims the hashed length (the tar header needs it up front),
    /// re-hashes what it reads, and throws if the file grew, shrank or changed since it was hashed.
    /// </summary>
    private sealed class UnchangedFileStream(string path, PackageFileEntry declared, WriteProgress progress, CancellationToken ct) : Stream
    {
        private readonly FileStream _file = FileDigest.OpenRead(path);
        private readonly FileDigest _digest = new();
        private bool _checked;

        public override int Read(Span<byte> buffer)
        {
            ct.ThrowIfCancellationRequested();
            long left = declared.Size - _digest.Length;
            int n = _file.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
            if (n == 0 && left > 0)
                throw Changed($"it is now shorter than the {declared.Size} bytes hashed");
            _digest.Append(buffer[..n]);
            progress.Add(declared.Path, n);
            if (_digest.Length == declared.Size)
                Check();
            return n;
        }

        /// <summary>Throws unless the whole file was read and checked (also covers an empty file, which is never read).</summary>
        public void ThrowIfIncomplete()
        {
            if (!_checked)
                Check();
        }

        private void Check()
        {
            if (_checked)
                return;
            _checked = true;
            if (_file.ReadByte() >= 0)
                throw Changed($"it has grown beyond the {declared.Size} bytes hashed");
            var (md5, sha256) = _digest.Finish();
            if (md5 != declared.Md5 || sha256 != declared.Sha256)
                throw Changed("its content differs from what was hashed");
        }

        private IOException Changed(string how) =>
            new($"The file '{path}' changed while the package was being written ({how}); build the package again once nothing writes to it.");

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        // The tar writer takes the entry size from a seekable stream's Length; seeking itself is never needed.
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => declared.Size;
        public override long Position
        {
            get => _digest.Length;
            set { if (value != _digest.Length) throw new NotSupportedException(); }
        }
        public override long Seek(long offset, SeekOrigin origin) =>
            origin == SeekOrigin.Begin && offset == _digest.Length ? offset : throw new NotSupportedException();
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _file.Dispose();
                _digest.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
