using System.Formats.Tar;
using Provisioning.Core.Packaging;

namespace Provisioning.Core.Tests.Packaging;

/// <summary>
/// Archives that must be refused before anything is trusted: each throws <see cref="PackageFormatException"/>
/// naming the entry, and leaves nothing behind, inside or outside the extraction folder.
/// (These stop before the key checks, so they do not wait on the crypto bodies.)
/// </summary>
public sealed class PackageVerifierSafetyTests : IDisposable
{
    private readonly PackageFixture _fixture = new();
    private readonly string _extractTo;

    public PackageVerifierSafetyTests() => _extractTo = _fixture.Folder("out");

    public void Dispose() => _fixture.Dispose();

    private List<TarEntry> ValidEntries() => _fixture.Entries().Select(e => (TarEntry)PackageFixture.Entry(e.Name, e.Content)).ToList();

    private PackageFormatException Refused(IEnumerable<TarEntry> entries)
    {
        var package = PackageFixture.TarGz(entries);
        var ex = Assert.Throws<PackageFormatException>(() =>
            PackageVerifier.Verify(new MemoryStream(package), "evil.tar.gz", new PackageVerifyOptions { ExtractTo = _extractTo }));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_extractTo));
        Assert.Empty(_fixture.FilesOutsideInput());
        return ex;
    }

    private PackageFormatException RefusedWith(TarEntry evil)
    {
        var entries = ValidEntries();
        entries.Insert(3, evil); // after the manifest and two extracted files, so cleanup is exercised
        return Refused(entries);
    }

    [Fact]
    public void Parent_segments_are_refused()
    {
        var ex = RefusedWith(PackageFixture.Entry("../evil", [1, 2, 3]));
        Assert.Equal("../evil", ex.EntryName);
        Assert.Contains("'..' segment", ex.Message);
        Assert.False(File.Exists(Path.Combine(_fixture.Root, "evil")));
    }

    [Fact]
    public void Nested_parent_segments_are_refused() =>
        Assert.Contains("'..' segment", RefusedWith(PackageFixture.Entry("node/../../evil", [1])).Message);

    [Fact]
    public void Absolute_paths_are_refused()
    {
        var target = Path.Combine(_fixture.Root, "absolute-evil");
        var ex = RefusedWith(PackageFixture.Entry(target, [1]));
        Assert.Equal(target, ex.EntryName);
        Assert.Contains("absolute", ex.Message);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void Etc_paths_are_refused() => Assert.Contains("absolute", RefusedWith(PackageFixture.Entry("/etc/x", [1])).Message);

    [Theory]
    [InlineData("node\\firmware\\x.bin", "backslash")]
    [InlineData("C:/x.bin", "drive letter")]
    [InlineData("node//x.bin", "empty segment")]
    [InlineData("./../x.bin", "'..' segment")]
    public void Other_unsafe_names_are_refused(string name, string expected) =>
        Assert.Contains(expected, RefusedWith(PackageFixture.Entry(name, [1])).Message);

    [Fact]
    public void Unsafe_directory_entries_are_refused() =>
        Assert.Contains("'..' segment", RefusedWith(new PaxTarEntry(TarEntryType.Directory, "../up/")).Message);

    [Fact]
    public void Symbolic_links_are_refused()
    {
        var ex = RefusedWith(new PaxTarEntry(TarEntryType.SymbolicLink, "node/firmware/link") { LinkName = "/etc/passwd" });
        Assert.Equal("node/firmware/link", ex.EntryName);
        Assert.Contains("symbolic link", ex.Message);
    }

    [Fact]
    public void Hard_links_are_refused() =>
        Assert.Contains("hard link", RefusedWith(new PaxTarEntry(TarEntryType.HardLink, "node/firmware/hard") { LinkName = "manifest.xml" }).Message);

    [Fact]
    public void Fifos_are_refused() =>
        Assert.Contains("FIFO", RefusedWith(new PaxTarEntry(TarEntryType.Fifo, "node/firmware/pipe")).Message);

    [Fact]
    public void Duplicate_entries_are_refused()
    {
        var entries = ValidEntries();
        var firmware = _fixture.Entries()[1];
        entries.Add(PackageFixture.Entry("./" + firmware.Name, firmware.Content));
        var ex = Refused(entries);
        Assert.Contains("twice", ex.Message);
    }

    [Fact]
    public void Undeclared_entries_are_refused()
    {
        var ex = RefusedWith(PackageFixture.Entry("node/firmware/extra.bin", [1, 2]));
        Assert.Equal("node/firmware/extra.bin", ex.EntryName);
        Assert.Contains("not declared in manifest.xml", ex.Message);
    }

    [Fact]
    public void An_entry_larger_than_declared_is_refused()
    {
        var files = _fixture.Entries();
        var firmware = files[1];
        files[1] = (firmware.Name, [.. firmware.Content, 0]);
        var ex = Refused(files.Select(f => (TarEntry)PackageFixture.Entry(f.Name, f.Content)));
        Assert.Equal("node/firmware/node_fw.bin", ex.EntryName);
        Assert.Contains("declares", ex.Message);
    }

    [Fact]
    public void A_missing_declared_file_is_refused()
    {
        var entries = ValidEntries();
        entries.RemoveAt(1);
        var ex = Refused(entries);
        Assert.Equal("node/firmware/node_fw.bin", ex.EntryName);
        Assert.Equal("manifest.xml declares node/firmware/node_fw.bin but the package does not contain it.", ex.Message);
    }

    [Fact]
    public void A_package_without_manifest_is_refused()
    {
        var entries = ValidEntries();
        entries.RemoveAt(0);
        Assert.Contains("contains no manifest.xml", Refused(entries).Message);
    }

    [Fact]
    public void A_bad_manifest_is_refused_with_its_name()
    {
        var entries = ValidEntries();
        entries[0] = PackageFixture.Entry("manifest.xml", "<package/>"u8.ToArray());
        Assert.Equal("manifest.xml", Refused(entries).EntryName);
    }

    [Fact]
    public void Corrupt_compressed_data_is_a_format_error()
    {
        var package = PackageFixture.TarGz(ValidEntries());
        package[10] = 0xFF; // first deflate block header: final block of the reserved type 3
        var ex = Assert.Throws<PackageFormatException>(() => PackageVerifier.Verify(new MemoryStream(package), "bad.tar.gz"));
        Assert.Equal("The package bad.tar.gz is not a gzip-compressed tar archive, or it is damaged at its start.", ex.Message);
    }

    [Fact]
    public void A_package_cut_short_names_the_entry_it_was_reading()
    {
        // Random firmware does not compress, so it fills the middle of the package.
        using var big = new PackageFixture(firmwareSize: 256 * 1024);
        var package = PackageFixture.TarGz(big.Entries());
        var cut = package.AsSpan(0, package.Length / 2).ToArray();
        var ex = Assert.Throws<PackageFormatException>(() => PackageVerifier.Verify(new MemoryStream(cut), "cut.tar.gz"));
        Assert.Equal("node/firmware/node_fw.bin", ex.EntryName);
        Assert.Equal("The package cut.tar.gz is damaged (compressed data is corrupt) near entry node/firmware/node_fw.bin.", ex.Message);
    }

    [Fact]
    public void Data_that_is_not_gzip_is_a_format_error() =>
        Assert.Contains("damaged", Assert.Throws<PackageFormatException>(() =>
            PackageVerifier.Verify(new MemoryStream("plain text, not a package"u8.ToArray()), "text.tar.gz")).Message);

    [Fact]
    public void A_missing_package_file_is_a_format_error()
    {
        var path = Path.Combine(_fixture.Root, "missing.tar.gz");
        var ex = Assert.Throws<PackageFormatException>(() => PackageVerifier.Verify(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void GNU_tar_dot_entries_are_normalised_and_still_checked()
    {
        var folder = _fixture.Folder("layout");
        foreach (var (name, content) in _fixture.Entries().Append(("node/firmware/extra.bin", new byte[] { 1 })))
        {
            var path = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
        }
        var package = Path.Combine(_fixture.Root, "gnu.tar.gz");
        using (var tar = System.Diagnostics.Process.Start("tar", ["czf", package, "-C", folder, "."]))
        {
            tar.WaitForExit();
            Assert.Equal(0, tar.ExitCode);
        }
        var ex = Assert.Throws<PackageFormatException>(() => PackageVerifier.Verify(package, new PackageVerifyOptions { ExtractTo = _extractTo }));
        Assert.EndsWith("node/firmware/extra.bin", ex.EntryName); // raw name after the manifest, normalised before it
        Assert.Contains("not declared", ex.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_extractTo));
    }

    [Fact]
    public void Extraction_never_overwrites_an_existing_file()
    {
        var existing = Path.Combine(_extractTo, "manifest.xml");
        File.WriteAllText(existing, "mine");
        Assert.Throws<IOException>(() => PackageVerifier.Verify(new MemoryStream(PackageFixture.TarGz(ValidEntries())), "p.tar.gz",
            new PackageVerifyOptions { ExtractTo = _extractTo }));
        Assert.Equal("mine", File.ReadAllText(existing));
        Assert.Equal([existing], Directory.GetFileSystemEntries(_extractTo, "*", SearchOption.AllDirectories));
    }
}
