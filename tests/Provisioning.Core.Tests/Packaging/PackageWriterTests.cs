using Provisioning.Core.Packaging;

namespace Provisioning.Core.Tests.Packaging;

/// <summary>Writer checks that happen before any key is read (they do not wait on the crypto bodies).</summary>
public sealed class PackageWriterTests : IDisposable
{
    private readonly PackageFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void An_existing_package_is_kept_without_overwrite()
    {
        var output = Path.Combine(_fixture.Folder("pkg"), "p.tar.gz");
        File.WriteAllText(output, "older");
        var ex = Assert.Throws<IOException>(() => PackageWriter.Build(_fixture.Definition, output));
        Assert.Contains($"'{output}' already exists; use -Force to replace it", ex.Message);
        Assert.Equal("older", File.ReadAllText(output));
    }

    [Fact]
    public void An_invalid_definition_writes_nothing()
    {
        var folder = _fixture.Folder("pkg");
        _fixture.Definition.NodeType = "";
        Assert.Equal("NodeType", Assert.ThrowsAny<ArgumentException>(() => PackageWriter.Build(_fixture.Definition, Path.Combine(folder, "p.tar.gz"))).ParamName);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public void Describe_reports_hashing_progress()
    {
        var reports = new List<PackageProgress>();
        PackageWriter.Describe(_fixture.Definition, new SyncProgress(reports.Add));
        long total = _fixture.Files.Values.Sum(f => new FileInfo(f).Length);
        Assert.All(reports, r => Assert.Equal(("Hashing", total), (r.Activity, r.BytesTotal)));
        Assert.Equal(total, reports[^1].BytesDone);
    }
}

/// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class SyncProgress(Action<PackageProgress> report) : IProgress<PackageProgress>
{
    public void Report(PackageProgress value) => report(value);
}
