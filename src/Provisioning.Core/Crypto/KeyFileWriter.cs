namespace Provisioning.Core.Crypto;

/// <summary>
/// Writes key files so that a failure never leaves half a file (temp file in the same folder, then a
/// rename) and a private file is never readable by others, not even while it is being written.
/// </summary>
internal static class KeyFileWriter
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Throws <see cref="KeyFileException"/> when <paramref name="path"/> exists and may not be replaced.</summary>
    internal static void RefuseExisting(string path, bool overwrite)
    {
        if (!overwrite && File.Exists(path))
            throw Exists(path);
    }

    /// <summary>The files written so far are renamed into place only once all of them are complete.</summary>
    internal static void WriteAll(bool overwrite, params ReadOnlySpan<(string Path, byte[] Content, bool Private)> files)
    {
        var temps = new List<(string Temp, string Path, bool Private)>(files.Length);
        try
        {
            foreach (var (path, content, isPrivate) in files)
            {
                RefuseExisting(path, overwrite);
                string temp = WriteTemp(path, content, isPrivate);
                temps.Add((temp, path, isPrivate));
            }
            foreach (var (temp, path, isPrivate) in temps)
            {
                try
                {
                    File.Move(temp, path, overwrite);
                }
                catch (IOException) when (!overwrite && File.Exists(path))
                {
                    throw Exists(path); // it appeared after the check above
                }
                if (isPrivate && !OperatingSystem.IsWindows())
                    File.SetUnixFileMode(path, OwnerOnly);
            }
        }
        finally
        {
            foreach (var (temp, _, _) in temps)
                File.Delete(temp); // no-op for the ones already moved
        }
    }

    private static string WriteTemp(string path, ReadOnlySpan<byte> content, bool isPrivate)
    {
        string temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (isPrivate && !OperatingSystem.IsWindows())
            options.UnixCreateMode = OwnerOnly;
        try
        {
            using var stream = new FileStream(temp, options);
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        return temp;
    }

    private static KeyFileException Exists(string path)
        => new($"The file '{path}' already exists; use -Force to replace it.");
}
