namespace Provisioning.Core.Export;

/// <summary>
/// A read-only pass-through that remembers whether the end of the data was reached and on which line it lies,
/// so that a parse error exactly there can be told apart from one in the middle: the first means the file was cut short.
/// It also keeps the first bytes, where a DTD would be declared.
/// </summary>
internal sealed class EndTrackingStream(Stream inner, bool leaveOpen) : Stream
{
    private const int HeadSize = 1024;
    private readonly byte[] _head = new byte[HeadSize];
    private long _newlines, _bytes, _lastLineLength;

    /// <summary>Whether the first kilobyte read declares a DTD.</summary>
    public bool HeadDeclaresDtd => _head.AsSpan(0, (int)Math.Min(_bytes, HeadSize)).IndexOf("<!DOCTYPE"u8) >= 0;

    /// <summary>Whether a read has returned no more data.</summary>
    public bool ReachedEnd { get; private set; }

    /// <summary>Whether the data ended before its first byte.</summary>
    public bool WasEmpty => ReachedEnd && _bytes == 0;

    /// <summary>Line number (from 1) of the last data read.</summary>
    public long LastLine => _newlines + 1;

    /// <summary>Characters on the last line so far (UTF-8 sequences counted once), as XmlReader counts line positions.</summary>
    public long LastLineLength => _lastLineLength;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        Track(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Track(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Track(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            ReachedEnd = true;
        if (_bytes < HeadSize)
            data[..(int)Math.Min(data.Length, HeadSize - _bytes)].CopyTo(_head.AsSpan((int)_bytes));
        _bytes += data.Length;
        _newlines += data.Count((byte)'\n');
        int lastNewline = data.LastIndexOf((byte)'\n');
        if (lastNewline >= 0)
            _lastLineLength = 0;
        foreach (byte b in data[(lastNewline + 1)..])
            if ((b & 0xC0) != 0x80)
                _lastLineLength++;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
