using System.Security.Cryptography;

namespace Provisioning.Server.Import;

/// <summary>Reads an upload once, hashing it with SHA-256 and refusing more than a size limit.</summary>
internal sealed class UploadStream(Stream inner, long limit) : Stream
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;

    /// <summary>Bytes read so far.</summary>
    public long BytesRead => _read;

    /// <summary>Reads what is left (a package may end with bytes the archive reader did not need) and returns the file's SHA-256.</summary>
    public string Finish()
    {
        byte[] buffer = new byte[81920];
        while (Read(buffer, 0, buffer.Length) > 0) { }
        return Convert.ToHexStringLower(_sha256.GetHashAndReset());
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        Count(buffer[..n]);
        return n;
    }

    private void Count(ReadOnlySpan<byte> data)
    {
        _read += data.Length;
        if (_read > limit)
            throw new UploadTooLargeException(limit);
        _sha256.AppendData(data);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _sha256.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The upload is larger than the server accepts.</summary>
public sealed class UploadTooLargeException(long limit)
    : IOException($"The package is larger than the {limit / (1024.0 * 1024):0.##} MiB this server accepts (setting Provisioning:MaxPackageSize).");
