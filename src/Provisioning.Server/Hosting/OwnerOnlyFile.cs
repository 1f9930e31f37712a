namespace Provisioning.Server.Hosting;

/// <summary>Writes small secret files readable by their owner only, from the moment they exist, never half-written.</summary>
internal static class OwnerOnlyFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> through a temporary file; refuses to replace an existing file.</summary>
    public static void CreateNew(string path, ReadOnlySpan<byte> content)
    {
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = Options(FileMode.CreateNew, FileShare.None);
        try
        {
            using (var file = new FileStream(temp, options))
            {
                file.Write(content);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Options that open a file for writing and, when they create it, create it readable by its owner only.</summary>
    public static FileStreamOptions Options(FileMode mode, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = share };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }

    /// <summary>Creates <paramref name="path"/> empty and owner-only unless it exists (also when another process makes it first).</summary>
    public static void Touch(string path)
    {
        if (File.Exists(path))
            return;
        try { new FileStream(path, Options(FileMode.CreateNew, FileShare.ReadWrite)).Dispose(); }
        catch (IOException) when (File.Exists(path)) { }
    }
}
