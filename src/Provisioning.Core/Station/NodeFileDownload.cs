using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Packaging;

namespace Provisioning.Core.Station;

/// <summary>Downloads a configuration's file from the server's repository and checks it against the size, SHA-256 and MD5 the config lists.</summary>
internal static class NodeFileDownload
{
    /// <summary>Largest file a station holds in memory (firmware is at most 4 MiB on the node; configs far less).</summary>
    public const long MaxSize = 64L * 1024 * 1024;

    /// <summary>
    /// The file's bytes once they match; a <see cref="StationFailureException"/> (102 or 108) otherwise. A link with a
    /// <see cref="FileLink.Path"/> (shared file system mode) is read from that path, after <paramref name="translation"/>,
    /// and never downloaded.
    /// </summary>
    public static async Task<byte[]> FetchAsync(ProvServerClient server, FileLink link, CancellationToken cancellationToken, PathTranslation? translation = null,
        IProgress<long>? bytesReceived = null)
    {
        if (link.Size < 0 || link.Size > MaxSize)
            throw new StationFailureException(ProvExitCode.ServerResponseInvalid,
                $"The server lists {link.Name} with a size of {link.Size:N0} bytes, which a node file cannot have; check that the package imported on the server is intact.");
        if (link.Path is { Length: > 0 } shared)
            return await ReadSharedAsync(link, translation?.Apply(shared) ?? shared, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream((int)link.Size);
        try
        {
            await server.DownloadFileAsync(link.Sha256, buffer, bytesReceived, cancellationToken).ConfigureAwait(false);
        }
        catch (ProvServerException e)
        {
            throw ServerFailures.FromDownload(e, link.Name, link.Sha256);
        }
        byte[] bytes = buffer.ToArray();
        Check(link, bytes);
        return bytes;
    }

    /// <summary>The path a shared-mode link names on this machine, after <paramref name="translation"/>.</summary>
    internal static string SharedPath(FileLink link, PathTranslation? translation) => translation?.Apply(link.Path!) ?? link.Path!;

    /// <summary>Reads a file from the shared repository: 108 when it cannot be opened (naming the path), 102 when it does not match.</summary>
    private static async Task<byte[]> ReadSharedAsync(FileLink link, string path, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
                throw new FileNotFoundException($"there is no file {path}");
            // The size is checked before reading, so a wrong file of any length is never read whole.
            if (info.Length != link.Size)
                throw new StationFailureException(ProvExitCode.ServerResponseInvalid,
                    $"The file {link.Name} on the shared repository ({path}) is {info.Length:N0} bytes long, but the config lists {link.Size:N0}. The share may hold another file at that path, or the repository is damaged; import the package again.");
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new StationFailureException(ProvExitCode.FileUnavailable,
                $"The file {link.Name} cannot be read from the shared repository at {path} ({ExceptionText.Of(e)}). Check that this station has the share mounted and may read it" +
                (path == link.Path ? ", or translate the server's path with -PathTranslateFrom/-PathTranslateTo." : $" (the server's path {link.Path} was translated to it)."), e);
        }
        Check(link, bytes, $"read from the shared repository at {path}");
        return bytes;
    }

    /// <summary>Throws 102 naming the file and the hash that does not match.</summary>
    internal static void Check(FileLink link, byte[] bytes, string source = "downloaded from the server")
    {
        using var digest = new FileDigest();
        digest.Append(bytes);
        var (md5, sha256) = digest.Finish();
        string? problem = null;
        if (bytes.LongLength != link.Size)
            problem = $"it is {bytes.LongLength:N0} bytes long, but the config lists {link.Size:N0}";
        else if (!Matches(sha256, link.Sha256))
            problem = $"its SHA-256 is {sha256}, but the config lists {link.Sha256}";
        else if (!Matches(md5, link.Md5))
            problem = $"its MD5 is {md5}, but the config lists {link.Md5}";
        if (problem is not null)
            throw new StationFailureException(ProvExitCode.ServerResponseInvalid,
                $"The file {link.Name} {source} does not match: {problem}. The server's file repository may be damaged; import the package again.");
    }

    private static bool Matches(string actualHex, string expectedHex)
        => string.Equals(actualHex, expectedHex?.Trim(), StringComparison.OrdinalIgnoreCase);
}
