namespace Provisioning.Server.Repository;

/// <summary>
/// Content-addressed store of configuration files: <c>files/ab/abcdef…</c> named by SHA-256, so a file shared by
/// several packages is kept once and a name can never point at other content. Files are only ever added whole
/// (moved in from staging after verification); the database refers to them only after they are in place.
/// </summary>
/// <param name="root">The repository folder as the server sees it.</param>
/// <param name="shared">
/// Shared file system mode: stations read the files through a share of the folder, so folders and files are made readable
/// by others (0755/0644; the files are firmware and configurations, never keys). Otherwise they are the owner's only.
/// </param>
public sealed class FileRepository(string root, bool shared = false)
{
    /// <summary>Where a file with this SHA-256 lives (whether or not it exists).</summary>
    public string PathFor(string sha256)
    {
        if (!IsSha256(sha256))
            throw new ArgumentException($"'{sha256}' is not a SHA-256 in lower-case hex.", nameof(sha256));
        return Path.Combine(root, sha256[..2], sha256);
    }

    /// <summary>Moves a verified staged file in under its hash; a file already present is kept and the staged copy deleted.</summary>
    public void Add(string stagedPath, string sha256)
    {
        string target = PathFor(sha256);
        if (File.Exists(target))
        {
            File.Delete(stagedPath);
            return;
        }
        string folder = Path.GetDirectoryName(target)!;
        if (shared) SharedRepository.CreateReadableFolder(folder);
        else Hosting.OwnerOnlyFolder.Create(folder);
        try
        {
            File.Move(stagedPath, target, overwrite: false);
            if (shared && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(target, SharedRepository.ReadableFile);
        }
        catch (IOException) when (File.Exists(target))
        {
            File.Delete(stagedPath);
        }
    }

    /// <summary>Opens a file for reading; null when absent.</summary>
    public FileStream? OpenRead(string sha256)
    {
        string path = PathFor(sha256);
        return File.Exists(path)
            ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan)
            : null;
    }

    /// <summary>Whether <paramref name="text"/> is 64 lower-case hex digits.</summary>
    public static bool IsSha256(string text) =>
        text.Length == 64 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
