namespace Provisioning.Core.Packaging;

/// <summary>Writes verified entries below one folder, never outside it, and can remove everything it created.</summary>
internal sealed class PackageExtraction
{
    private static readonly StringComparison PathComparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()
        ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private readonly string _root;
    private readonly List<string> _createdFiles = new();
    private readonly List<string> _createdFolders = new();

    public PackageExtraction(string folder)
    {
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"The folder '{full}' to extract the package into does not exist.");
        _root = Path.EndsInDirectorySeparator(full) ? full : full + Path.DirectorySeparatorChar;
    }

    /// <summary>Creates the file for the archive path <paramref name="name"/> (already checked as safe) and the folders above it.</summary>
    public FileStream Create(string name)
    {
        var target = Path.GetFullPath(Path.Combine(_root, name.Replace('/', Path.DirectorySeparatorChar)));
        if (!target.StartsWith(_root, PathComparison))
            throw new PackageFormatException(name, $"The package entry '{name}' would be written outside '{_root}'.");
        var folder = Path.GetDirectoryName(target)!;
        var missing = new Stack<string>();
        for (var f = folder; !Directory.Exists(f); f = Path.GetDirectoryName(f)!)
            missing.Push(f);
        for (var f = folder; f.Length >= _root.Length; f = Path.GetDirectoryName(f)!)
            if (Directory.Exists(f) && new DirectoryInfo(f).LinkTarget is not null)
                throw new PackageFormatException(name, $"The package entry '{name}' would be written through the link '{f}'; extract into an empty folder.");
        while (missing.TryPop(out var f))
        {
            Directory.CreateDirectory(f);
            _createdFolders.Add(f);
        }
        var stream = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileDigest.BufferSize);
        _createdFiles.Add(target);
        return stream;
    }

    /// <summary>Deletes the files and folders this extraction created (best effort: a failure to clean up must not hide the original error).</summary>
    public void RemoveCreated()
    {
        foreach (var file in _createdFiles)
            Try(() => File.Delete(file));
        for (int i = _createdFolders.Count - 1; i >= 0; i--)
        {
            var folder = _createdFolders[i];
            Try(() => { if (!Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder); });
        }
    }

    private static void Try(Action action)
    {
        try { action(); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
