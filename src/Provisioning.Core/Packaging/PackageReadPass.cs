using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Packaging;

/// <summary>
/// One streaming pass over a package for <see cref="PackageVerifier"/>: entry safety, sizes, hashes,
/// optional extraction; then the key checks on the small key files it kept in memory.
/// </summary>
internal sealed class PackageReadPass
{
    /// <summary>Most bytes of key-file candidates kept while the manifest has not been seen yet.</summary>
    private const int MaxPendingKeyBytes = 1024 * 1024;

    private readonly CountingReadStream _input;
    private readonly string _source;
    private readonly PackageVerifyOptions _options;
    private readonly long _inputLength;
    private readonly PackageExtraction? _extraction;
    private readonly byte[] _buffer = new byte[FileDigest.BufferSize];

    private PackageManifest? _manifest;
    private Dictionary<string, PackageFileEntry> _declared = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seen = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ReadFile> _read = new(StringComparer.Ordinal);
    private readonly List<ReadFile> _beforeManifest = new();
    private long _pendingKeyBytes;
    private string? _currentEntry;

    /// <summary>What was found for one file entry.</summary>
    private sealed record ReadFile(string Path, long Size, string Md5, string Sha256, byte[]? Content);

    public PackageReadPass(Stream package, string source, PackageVerifyOptions options, long inputLength)
    {
        _input = new CountingReadStream(package);
        _source = source;
        _options = options;
        _inputLength = inputLength;
        if (options.ExtractTo is not null)
            _extraction = new PackageExtraction(options.ExtractTo);
    }

    public PackageVerification Run()
    {
        try
        {
            ReadArchive();
            return Finish();
        }
        catch
        {
            _extraction?.RemoveCreated();
            throw;
        }
    }

    private void ReadArchive()
    {
        using var gzip = new GZipStream(_input, CompressionMode.Decompress, leaveOpen: true);
        using var tar = new TarReader(gzip, leaveOpen: true);
        while (Damageable(() => tar.GetNextEntry()) is { } entry)
        {
            _options.CancellationToken.ThrowIfCancellationRequested();
            _currentEntry = entry.Name;
            ReadEntry(entry);
        }
        if (_manifest is null)
            throw new PackageFormatException(PackageManifest.EntryName, $"The package {_source} contains no {PackageManifest.EntryName}; it is not a configuration package.");
        foreach (var declared in _manifest.Files)
            if (!_read.ContainsKey(declared.Path))
                throw new PackageFormatException(declared.Path,
                    $"{PackageManifest.EntryName} declares {declared.Path} but the package does not contain it.");
    }

    private void ReadEntry(TarEntry entry)
    {
        var shown = PackageText.Printable(entry.Name);
        if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
            return;
        var name = PackageLayout.Normalise(entry.Name);
        if (entry.EntryType == TarEntryType.Directory)
        {
            name = name.TrimEnd('/');
            if (name.Length > 0 && PackageLayout.PathProblem(name) is { } dirProblem)
                throw Reject(entry.Name, $"The package entry '{shown}' is unsafe: {dirProblem}.");
            return;
        }
        if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
            throw Reject(entry.Name, $"The package entry '{shown}' is a {Describe(entry.EntryType)}; a package holds only regular files and folders.");
        if (PackageLayout.PathProblem(name) is { } problem)
            throw Reject(entry.Name, $"The package entry '{shown}' is unsafe: {problem}.");
        if (!_seen.Add(name))
            throw Reject(entry.Name, $"The package contains the entry '{shown}' twice.");

        if (name == PackageManifest.EntryName)
            ReadManifest(entry);
        else if (_manifest is null)
            _beforeManifest.Add(ReadData(entry, name, limit: entry.Length, keepContent: MayBeKey(name, entry.Length)));
        else
            _read.Add(name, ReadDeclared(entry, name));
    }

    private void ReadManifest(TarEntry entry)
    {
        if (entry.Length > PackageManifest.MaxSize)
            throw Reject(entry.Name, $"{PackageManifest.EntryName} is larger than {PackageManifest.MaxSize / 1024 / 1024} MiB, the most a package manifest may be.");
        using var data = new MemoryStream();
        if (entry.DataStream is { } stream)
            Damageable(() => { stream.CopyTo(data); return 0; });
        data.Position = 0;
        _manifest = PackageManifest.Read(data, PackageManifest.EntryName);
        _options.ManifestRead?.Invoke(_manifest);
        if (_extraction is not null)
        {
            using var target = _extraction.Create(PackageManifest.EntryName);
            data.WriteTo(target);
        }
        _declared = _manifest.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);

        // Entries of a hand-made archive that came before the manifest were hashed blind; check them now.
        foreach (var early in _beforeManifest)
        {
            var declared = Declared(early.Path, early.Path, early.Size);
            if (PackageLayout.IsKeyRole(declared.Role) && early.Content is null)
                throw Reject(early.Path, $"The key file {early.Path} comes before {PackageManifest.EntryName} among too many others; put the manifest first.");
            _read.Add(early.Path, early);
        }
        _beforeManifest.Clear();
    }

    private ReadFile ReadDeclared(TarEntry entry, string name)
    {
        var declared = Declared(name, entry.Name, entry.Length);
        return ReadData(entry, name, declared.Size, keepContent: PackageLayout.IsKeyRole(declared.Role));
    }

    /// <summary>The manifest's entry for <paramref name="name"/>, or a rejection when it is undeclared or larger than declared.</summary>
    private PackageFileEntry Declared(string name, string entryName, long size)
    {
        if (!_declared.TryGetValue(name, out var declared))
            throw Reject(entryName, $"The package entry '{PackageText.Printable(entryName)}' is not declared in {PackageManifest.EntryName}.");
        if (size > declared.Size)
            throw Reject(entryName, $"The package entry {name} is {size} bytes but {PackageManifest.EntryName} declares {declared.Size}.");
        if (PackageLayout.IsKeyRole(declared.Role) && declared.Size > PackageLayout.MaxKeyFileSize)
            throw Reject(entryName, $"The key file {name} is declared as {declared.Size} bytes; key files may be at most {PackageLayout.MaxKeyFileSize / 1024} KiB.");
        return declared;
    }

    private bool MayBeKey(string name, long size)
    {
        bool candidate = size <= PackageLayout.MaxKeyFileSize && _pendingKeyBytes + size <= MaxPendingKeyBytes
            && (name.StartsWith("keys/", StringComparison.Ordinal) || name.StartsWith("apps/", StringComparison.Ordinal) && name.Contains("/public_key/"));
        if (candidate)
            _pendingKeyBytes += size;
        return candidate;
    }

    /// <summary>Streams one entry's data: hashes it, stops as soon as it passes <paramref name="limit"/>, extracts and keeps it if asked.</summary>
    private ReadFile ReadData(TarEntry entry, string name, long limit, bool keepContent)
    {
        using var digest = new FileDigest();
        using var content = keepContent ? new MemoryStream() : null;
        using var target = _extraction?.Create(name);
        if (entry.DataStream is { } data)
        {
            int n;
            while ((n = Damageable(() => data.Read(_buffer))) > 0)
            {
                _options.CancellationToken.ThrowIfCancellationRequested();
                if (digest.Length + n > limit)
                    throw Reject(entry.Name, $"The package entry {name} is larger than the {limit} bytes {PackageManifest.EntryName} declares.");
                digest.Append(_buffer.AsSpan(0, n));
                target?.Write(_buffer, 0, n);
                content?.Write(_buffer, 0, n);
                _options.Progress?.Report(new PackageProgress("Verifying", name, _input.BytesRead, _inputLength));
            }
        }
        var (md5, sha256) = digest.Finish();
        return new ReadFile(name, digest.Length, md5, sha256, content?.ToArray());
    }

    private PackageVerification Finish()
    {
        var problems = new List<PackageProblem>();
        var files = new List<VerifiedFile>();
        foreach (var declared in _manifest!.Files)
        {
            var found = _read[declared.Path];
            var file = new VerifiedFile(declared.Path, declared.Role, declared.App, found.Size, declared.Md5, found.Md5, declared.Sha256, found.Sha256);
            if (!file.Sha256Valid)
                problems.Add(HashMismatch(declared.Path, "SHA-256", found.Sha256, declared.Sha256));
            if (!file.Md5Valid)
                problems.Add(HashMismatch(declared.Path, "MD5", found.Md5, declared.Md5));
            files.Add(file);
        }
        var keys = CheckKeys(problems);
        return new PackageVerification
        {
            Source = _source,
            Manifest = _manifest,
            Files = files,
            SignatureValid = keys.SignatureValid,
            GatewayKeysDecrypt = keys.Decrypts,
            KmsFingerprint = keys.Fingerprint,
            Problems = problems,
        };
    }

    private static PackageProblem HashMismatch(string path, string algorithm, string actual, string expected) =>
        new(PackageProblemKind.HashMismatch, path,
            $"{path}: {algorithm} is {actual} but the manifest declares {expected}; the file is damaged or was changed.");

    private byte[] KeyContent(PackageFileRole role, string? app = null) =>
        _read[_manifest!.Files.Single(f => f.Role == role && f.App == app).Path].Content!;

    /// <summary>All crypto calls, kept in one place: the KMS key, the gateway key signature, app public keys and the passphrase.</summary>
    private (bool SignatureValid, bool? Decrypts, string? Fingerprint) CheckKeys(List<PackageProblem> problems)
    {
        bool signatureValid = false;
        bool? decrypts = null;
        string? fingerprint = null;
        var encrypted = KeyContent(PackageFileRole.GatewayKeyFile);

        var kms = ParseKey(KeyContent(PackageFileRole.KmsPublicKey), PackageLayout.KmsPublicKeyPath, problems);
        if (kms is not null)
        {
            using (kms)
            {
                fingerprint = KmsKeyPair.Fingerprint(kms);
                signatureValid = GatewayKeyFile.VerifySignature(encrypted, KeyContent(PackageFileRole.GatewayKeySignature), kms);
            }
            if (!signatureValid)
                problems.Add(new PackageProblem(PackageProblemKind.BadSignature, PackageLayout.GatewayKeySignaturePath,
                    $"The gateway key file signature does not verify with the package's KMS public key ({PackageLayout.KmsPublicKeyPath})."));
        }

        foreach (var appKey in _manifest!.Files.Where(f => f.Role == PackageFileRole.AppPublicKey))
            ParseKey(_read[appKey.Path].Content!, appKey.Path, problems)?.Dispose();

        if (_options.Passphrase is { } passphrase)
        {
            try
            {
                GatewayKeyFile.Decrypt(encrypted, passphrase).Dispose();
                decrypts = true;
            }
            catch (WrongPassphraseException ex)
            {
                decrypts = false;
                // AES-GCM cannot tell a wrong passphrase from a changed file; a failed signature says which it more likely is.
                string message = signatureValid ? ex.Message
                    : "The passphrase does not open the gateway key file, and its signature does not verify either: the file was probably changed, so the passphrase may be right.";
                problems.Add(new PackageProblem(PackageProblemKind.WrongPassphrase, PackageLayout.GatewayKeyFilePath, message));
            }
            catch (KeyFileException ex)
            {
                decrypts = false;
                problems.Add(new PackageProblem(PackageProblemKind.BadKeyFile, PackageLayout.GatewayKeyFilePath, ex.Message));
            }
        }
        return (signatureValid, decrypts, fingerprint);
    }

    private static RSA? ParseKey(byte[] pem, string path, List<PackageProblem> problems)
    {
        try
        {
            return KmsKeyPair.ParsePublicKey(Encoding.UTF8.GetString(pem), path);
        }
        catch (KeyFileException ex)
        {
            problems.Add(new PackageProblem(PackageProblemKind.BadKeyFile, path, ex.Message));
            return null;
        }
    }

    /// <summary>Runs a read of compressed data, turning corrupt gzip or tar data into a format error naming the entry.</summary>
    private T Damageable<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        // TarReader reports malformed headers with several exception types (found by PackageVerifierFuzzTests).
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or ArgumentException
            or InvalidOperationException or OverflowException)
        {
            if (_currentEntry is null)
                throw new PackageFormatException(null, $"The package {_source} is not a gzip-compressed tar archive, or it is damaged at its start.", ex);
            throw new PackageFormatException(_currentEntry,
                $"The package {_source} is damaged (compressed data is corrupt) near entry {PackageText.Printable(_currentEntry)}.", ex);
        }
    }

    private static PackageFormatException Reject(string entryName, string message) => new(entryName, message);

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.SymbolicLink => "symbolic link",
        TarEntryType.HardLink => "hard link",
        TarEntryType.CharacterDevice or TarEntryType.BlockDevice => "device",
        TarEntryType.Fifo => "FIFO",
        _ => $"{type} entry",
    };
}
