using System.Security.Cryptography;

namespace Provisioning.Core.Packaging;

/// <summary>MD5 and SHA-256 of one stream of bytes, computed in a single pass.</summary>
internal sealed class FileDigest : IDisposable
{
    /// <summary>Read and copy buffer size for package files.</summary>
    public const int BufferSize = 1024 * 1024;

    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Bytes appended so far.</summary>
    public long Length { get; private set; }

    /// <summary>Adds bytes to both hashes.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        _md5.AppendData(data);
        _sha256.AppendData(data);
        Length += data.Length;
    }

    /// <summary>Lower-case hex MD5 and SHA-256 of everything appended.</summary>
    public (string Md5, string Sha256) Finish() =>
        (Convert.ToHexStringLower(_md5.GetHashAndReset()), Convert.ToHexStringLower(_sha256.GetHashAndReset()));

    /// <inheritdoc/>
    public void Dispose()
    {
        _md5.Dispose();
        _sha256.Dispose();
    }

    /// <summary>Opens a local file for one sequential read with the package buffer size.</summary>
    public static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
}
