using System.Runtime.InteropServices;

namespace Provisioning.Server.Hosting;

/// <summary>
/// Keeps the data folder its owner's only: folders made 0700, and (in the server process) a file-creation mask so that
/// every file written under it — database, WAL, logs, repository files, staged uploads — is 0600 from the moment it exists.
/// </summary>
internal static class OwnerOnlyFolder
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="path"/> and any missing parents owner-only; an existing folder is left as it is.</summary>
    public static void Create(string path)
    {
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(path);
        else
            Directory.CreateDirectory(path, OwnerOnly);
    }

    /// <summary>Whether group or other accounts have any access to the folder.</summary>
    public static bool IsOpenToOthers(string path) =>
        !OperatingSystem.IsWindows() && Directory.Exists(path) && (File.GetUnixFileMode(path) & GroupOrOther) != 0;

    /// <summary>Takes group and other access off an existing folder; false when this account may not (it is another account's).</summary>
    public static bool Restrict(string path)
    {
        if (OperatingSystem.IsWindows())
            return true;
        try
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~GroupOrOther);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Makes files and folders this process creates from now on owner-only (umask 077). Called once by the server's entry point.</summary>
    public static void RestrictNewFiles()
    {
        if (!OperatingSystem.IsWindows())
            _ = umask(0x3F); // 077: no group or other bits on anything created
    }

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint umask(uint mask);
}
