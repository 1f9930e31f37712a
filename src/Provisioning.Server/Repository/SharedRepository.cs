using Provisioning.Server.Hosting;

namespace Provisioning.Server.Repository;

/// <summary>
/// The repository folder in both modes (guide §4.3): made and checked on start, so that a path the server cannot write is
/// told then, naming it, and not at the first import; in shared file system mode, the stations' view of it.
/// </summary>
public static class SharedRepository
{
    /// <summary>Mode of repository files in shared mode: the owner writes, everyone reads.</summary>
    public const UnixFileMode ReadableFile = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode ReadableFolder = ReadableFile | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Creates the repository folder and proves the server can write it; throws <see cref="StartupException"/> naming the path.</summary>
    public static void Prepare(ServerSettings settings)
    {
        bool shared = settings.FileServing == FileServing.SharedFileSystem;
        if (shared && string.IsNullOrWhiteSpace(settings.ClientRepositoryPath))
            throw new StartupException(
                $"FileServing is SharedFileSystem but ClientRepositoryPath is not set: give the path at which stations see the repository {settings.FilesPath} (e.g. -ClientRepositoryPath Z:\\prov or /mnt/prov).");
        string path = settings.FilesPath;
        string probe = Path.Combine(path, $".write-check-{Guid.NewGuid():N}");
        try
        {
            if (shared) CreateReadableFolder(path);
            else OwnerOnlyFolder.Create(path);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"The file repository {path} cannot be written by the server ({e.Message}); give a RepositoryPath this account may create and write.", e);
        }
    }

    /// <summary>Creates a folder that stations reading the share may list (0755).</summary>
    public static void CreateReadableFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, ReadableFolder);
        // The process's umask (owner-only for the data folder) applies to a new folder: set the mode it must have.
        File.SetUnixFileMode(path, ReadableFolder);
    }

    /// <summary>
    /// Where stations find a repository file: the client view of the top folder, then <c>ab/abcdef…</c>, with the client
    /// view's own separator (a Windows share path keeps backslashes).
    /// </summary>
    public static string ClientPath(string clientRoot, string sha256)
    {
        char separator = clientRoot.Contains('\\') && !clientRoot.Contains('/') ? '\\' : '/';
        return clientRoot.TrimEnd('/', '\\') + separator + sha256[..2] + separator + sha256;
    }
}
