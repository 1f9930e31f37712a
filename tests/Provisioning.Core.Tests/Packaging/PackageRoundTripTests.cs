using System.Security.Cryptography;
using Provisioning.Core.Crypto;
using Provisioning.Core.Packaging;

namespace Provisioning.Core.Tests.Packaging;

/// <summary>
/// Build → verify, GNU tar interoperability, hash and signature problems. These complete a verification or a build,
/// so they call KmsKeyPair.ParsePublicKey / Fingerprint and GatewayKeyFile.VerifySignature: they wait on the crypto bodies.
/// </summary>
public sealed class PackageRoundTripTests : IDisposable
{
    private readonly PackageFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private string Output => Path.Combine(_fixture.Folder("pkg"), "kite_170.tar.gz");

    [Fact]
    public void A_built_package_with_two_app_bundles_verifies_and_extracts()
    {
        var built = PackageWriter.Build(_fixture.Definition, Output);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(built.Path))), built.Sha256);
        Assert.Equal(new FileInfo(built.Path).Length, built.Length);
        Assert.Single(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(built.Path)!)); // no .partial left

        var extractTo = _fixture.Folder("out");
        var result = PackageVerifier.Verify(built.Path, new PackageVerifyOptions { ExtractTo = extractTo });

        Assert.True(result.IsValid, string.Join("; ", result.Problems.Select(p => p.Message)));
        Assert.True(result.SignatureValid);
        Assert.Null(result.GatewayKeysDecrypt);
        Assert.StartsWith("SHA256:", result.KmsFingerprint);
        Assert.Equal(11, result.Files.Count);
        Assert.All(result.Files, f => Assert.True(f.Valid));
        Assert.Equal(["emcm", "zigbee"], result.Manifest.Apps.Select(a => a.Name));
        foreach (var (archivePath, local) in _fixture.Files)
            Assert.Equal(File.ReadAllBytes(local), File.ReadAllBytes(Path.Combine(extractTo, archivePath)));
        Assert.True(File.Exists(Path.Combine(extractTo, "manifest.xml")));
    }

    [Fact]
    public void A_flipped_byte_is_a_hash_mismatch_naming_the_file()
    {
        var entries = _fixture.Entries();
        var firmware = entries[1];
        var changed = (byte[])firmware.Content.Clone();
        changed[100] ^= 0x01;
        entries[1] = (firmware.Name, changed);

        var result = PackageVerifier.Verify(new MemoryStream(PackageFixture.TarGz(entries)), "flipped.tar.gz");

        Assert.False(result.IsValid);
        Assert.All(result.Problems, p => Assert.Equal((PackageProblemKind.HashMismatch, "node/firmware/node_fw.bin"), (p.Kind, p.EntryName)));
        Assert.Equal(2, result.Problems.Count);
        var sha = Convert.ToHexStringLower(SHA256.HashData(changed));
        Assert.Contains(result.Problems, p => p.Message ==
            $"node/firmware/node_fw.bin: SHA-256 is {sha} but the manifest declares {Convert.ToHexStringLower(SHA256.HashData(firmware.Content))}; the file is damaged or was changed.");
        Assert.Contains(result.Problems, p => p.Message.StartsWith("node/firmware/node_fw.bin: MD5 is ", StringComparison.Ordinal));
        Assert.True(result.SignatureValid);
    }

    [Fact]
    public void Keys_from_different_KMS_keys_are_refused_when_building()
    {
        using var other = RSA.Create(2048);
        using var mismatched = new PackageFixture(signingKey: other);
        var output = Path.Combine(mismatched.Folder("pkg"), "p.tar.gz");
        var ex = Assert.Throws<KeyFileException>(() => PackageWriter.Build(mismatched.Definition, output));
        Assert.Equal($"The gateway key file signature does not verify with the KMS public key {mismatched.Definition.KmsPublicKeyPath}: the files belong to different KMS keys.", ex.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(output)!));
    }

    [Fact]
    public void A_bad_signature_in_a_package_is_a_problem()
    {
        using var other = RSA.Create(2048);
        using var mismatched = new PackageFixture(signingKey: other);
        var result = PackageVerifier.Verify(new MemoryStream(PackageFixture.TarGz(mismatched.Entries())), "p.tar.gz");
        Assert.False(result.SignatureValid);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(PackageProblemKind.BadSignature, problem.Kind);
        Assert.Equal("The gateway key file signature does not verify with the package's KMS public key (keys/kms_key.pub.pem).", problem.Message);
    }

    [Fact]
    public void A_malformed_KMS_key_is_a_bad_key_file_problem()
    {
        File.WriteAllText(_fixture.Definition.KmsPublicKeyPath, "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n");
        var result = PackageVerifier.Verify(new MemoryStream(PackageFixture.TarGz(_fixture.Entries())), "p.tar.gz");
        Assert.Contains(result.Problems, p => p is { Kind: PackageProblemKind.BadKeyFile, EntryName: "keys/kms_key.pub.pem" });
        Assert.False(result.SignatureValid);
    }

    [Fact]
    public void A_hand_made_package_with_the_manifest_last_verifies()
    {
        var entries = _fixture.Entries();
        entries.Add(entries[0]);
        entries.RemoveAt(0);
        var result = PackageVerifier.Verify(new MemoryStream(PackageFixture.TarGz(entries)), "late.tar.gz");
        Assert.True(result.IsValid, string.Join("; ", result.Problems.Select(p => p.Message)));
    }

    [Fact]
    public void A_package_made_by_GNU_tar_verifies()
    {
        var folder = _fixture.Folder("layout");
        foreach (var (name, content) in _fixture.Entries())
        {
            var path = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
        }
        var package = Path.Combine(_fixture.Root, "gnu.tar.gz");
        Run("tar", "czf", package, "-C", folder, ".");

        var result = PackageVerifier.Verify(package, new PackageVerifyOptions { ExtractTo = _fixture.Folder("out") });

        Assert.True(result.IsValid, string.Join("; ", result.Problems.Select(p => p.Message)));
        Assert.Equal(11, result.Files.Count);
    }

    [Fact]
    public void GNU_tar_lists_and_extracts_a_package_we_wrote()
    {
        var built = PackageWriter.Build(_fixture.Definition, Output);

        var listing = Run("tar", "tzf", built.Path).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("manifest.xml", listing[0]);
        Assert.Equal(built.Manifest.Files.Select(f => f.Path), listing.Skip(1));

        var extractTo = _fixture.Folder("gnu-out");
        Run("tar", "xzf", built.Path, "-C", extractTo);
        var sum = Run("sha256sum", Path.Combine(extractTo, "node/firmware/node_fw.bin")).Split(' ')[0];
        Assert.Equal(built.Manifest.Files.Single(f => f.Role == PackageFileRole.NodeFirmware).Sha256, sum);
        var verbose = Run("tar", "tvzf", built.Path);
        Assert.Contains("-rw-r--r-- 0/0", verbose);
    }

    [Fact]
    public void A_few_MiB_of_firmware_stream_through_with_progress()
    {
        using var big = new PackageFixture(firmwareSize: 5 * 1024 * 1024 + 17);
        var output = Path.Combine(big.Folder("pkg"), "big.tar.gz");
        var writing = new List<PackageProgress>();
        var built = PackageWriter.Build(big.Definition, output, progress: new SyncProgress(writing.Add));
        Assert.Contains(writing, p => p.Activity == "Hashing");
        var last = writing.Last(p => p.Activity == "Writing");
        Assert.Equal(last.BytesTotal, last.BytesDone);

        var verifying = new List<PackageProgress>();
        var result = PackageVerifier.Verify(output, new PackageVerifyOptions { Progress = new SyncProgress(verifying.Add) });
        Assert.True(result.IsValid);
        Assert.All(verifying, p => Assert.Equal(built.Length, p.BytesTotal));
        Assert.True(verifying.Select(p => p.BytesDone).SequenceEqual(verifying.Select(p => p.BytesDone).Order()));
    }

    [Fact]
    public void Overwrite_replaces_a_package_and_cancellation_leaves_none()
    {
        var output = Output;
        File.WriteAllText(output, "older");
        PackageWriter.Build(_fixture.Definition, output, overwrite: true);
        Assert.True(PackageVerifier.Verify(output).IsValid);

        File.Delete(output);
        Assert.ThrowsAny<OperationCanceledException>(() => PackageWriter.Build(_fixture.Definition, output, cancellationToken: new CancellationToken(true)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(output)!));
    }

    [Theory]
    [InlineData(0)]   // same size, other content
    [InlineData(1)]   // grown
    [InlineData(-1)]  // shrunk
    public void A_file_changed_between_hashing_and_writing_fails_the_build(int sizeChange)
    {
        var output = Output;
        var firmware = _fixture.Definition.NodeFirmware;
        bool changed = false;
        void ChangeFirmwareOnce(PackageProgress p)
        {
            // The firmware was hashed and closed; the next file is being hashed.
            if (changed || p.CurrentEntry != "node/field_config/field.cfg")
                return;
            changed = true;
            File.WriteAllBytes(firmware, RandomNumberGenerator.GetBytes((int)new FileInfo(firmware).Length + sizeChange));
        }

        var ex = Assert.Throws<IOException>(() => PackageWriter.Build(_fixture.Definition, output, progress: new SyncProgress(ChangeFirmwareOnce)));

        Assert.Contains($"The file '{firmware}' changed while the package was being written", ex.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(output)!));
    }

    private static string Run(string file, params string[] args)
    {
        var run = ExternalTool.Run(file, args);
        Assert.True(run.ExitCode == 0, $"{file} failed: {run.Stderr}");
        return run.Stdout;
    }
}
