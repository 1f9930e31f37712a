using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Provisioning.Core.Backup;

/// <summary>Encrypts plaintext into the envelope's chunks as it comes, so nothing larger than one chunk is held.</summary>
internal sealed class BackupChunkWriter : IDisposable
{
    private readonly Stream _output;
    private readonly byte[] _header;
    private readonly BackupKeys _keys;
    private readonly AesGcm _cipher;
    private readonly IncrementalHash _mac;
    private readonly byte[] _plain = new byte[BackupEnvelope.ChunkSize];
    private readonly byte[] _frame = new byte[4 + BackupEnvelope.ChunkSize + BackupEnvelope.TagLength];
    private int _filled;
    private uint _index;
    private bool _completed;

    public BackupChunkWriter(Stream output, ReadOnlySpan<char> passphrase, int iterations)
    {
        _output = output;
        (_header, _keys) = BackupEnvelope.NewHeader(passphrase, iterations);
        _cipher = _keys.NewCipher();
        _mac = _keys.NewMac();
        _mac.AppendData(_header);
    }

    /// <summary>Bytes written to the output so far.</summary>
    public long Written { get; private set; }

    public async Task StartAsync(CancellationToken ct)
    {
        await _output.WriteAsync(_header, ct).ConfigureAwait(false);
        Written += _header.Length;
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, _plain.Length - _filled);
            data.Span[..n].CopyTo(_plain.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            if (_filled == _plain.Length)
                await FlushChunkAsync(final: false, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the last chunk and the file MAC. Without it the file reads as truncated.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        await FlushChunkAsync(final: true, ct).ConfigureAwait(false);
        byte[] mac = _mac.GetHashAndReset();
        await _output.WriteAsync(mac, ct).ConfigureAwait(false);
        Written += mac.Length;
        await _output.FlushAsync(ct).ConfigureAwait(false);
        _completed = true;
    }

    private async Task FlushChunkAsync(bool final, CancellationToken ct)
    {
        if (_completed) throw new InvalidOperationException("The backup is already complete.");
        uint word = (uint)_filled | (final ? BackupEnvelope.FinalFlag : 0);
        BinaryPrimitives.WriteUInt32BigEndian(_frame, word);
        Span<byte> nonce = stackalloc byte[BackupEnvelope.NonceLength];
        BackupEnvelope.Nonce(_header, _index, nonce);
        _cipher.Encrypt(nonce, _plain.AsSpan(0, _filled), _frame.AsSpan(4, _filled), _frame.AsSpan(4 + _filled, BackupEnvelope.TagLength),
            BackupEnvelope.AssociatedData(_header, word));
        int length = 4 + _filled + BackupEnvelope.TagLength;
        _mac.AppendData(_frame, 0, length);
        await _output.WriteAsync(_frame.AsMemory(0, length), ct).ConfigureAwait(false);
        Written += length;
        CryptographicOperations.ZeroMemory(_plain.AsSpan(0, _filled));
        _filled = 0;
        _index = checked(_index + 1);
    }

    public void Dispose()
    {
        _cipher.Dispose();
        _mac.Dispose();
        _keys.Dispose();
        CryptographicOperations.ZeroMemory(_plain);
    }
}

/// <summary>
/// Reads the envelope back: each chunk is authenticated before any of its bytes are handed out, the last chunk must
/// be marked last, the file MAC must match and nothing may follow it.
/// </summary>
internal sealed class BackupChunkReader : IDisposable
{
    private readonly Stream _input;
    private readonly byte[] _header = new byte[BackupEnvelope.HeaderLength];
    private BackupKeys? _keys;
    private AesGcm? _cipher;
    private IncrementalHash? _mac;
    private byte[] _plain = [];
    private byte[] _frame = [];
    private int _offset, _length;
    private uint _index;
    private bool _final, _ended;

    public BackupChunkReader(Stream input) => _input = input;

    /// <summary>Bytes read from the file so far.</summary>
    public long Position { get; private set; }

    public async Task OpenAsync(ReadOnlyMemory<char> passphrase, CancellationToken ct)
    {
        int got = await _input.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        Position += got;
        _keys = BackupEnvelope.OpenHeader(_header.AsSpan(0, got), passphrase.Span);
        _cipher = _keys.NewCipher();
        _mac = _keys.NewMac();
        _mac.AppendData(_header);
        int chunk = BackupEnvelope.ChunkSizeOf(_header);
        _plain = new byte[chunk];
        _frame = new byte[chunk + BackupEnvelope.TagLength];
    }

    /// <summary>Reads up to <paramref name="buffer"/>'s length; 0 only at the verified end.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (_offset == _length)
        {
            if (_final)
            {
                await FinishAsync(ct).ConfigureAwait(false);
                return 0;
            }
            await ReadChunkAsync(ct).ConfigureAwait(false);
        }
        int n = Math.Min(buffer.Length, _length - _offset);
        _plain.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    /// <summary>Fills <paramref name="buffer"/> whole; a short read is a truncated backup.</summary>
    public async ValueTask ReadExactlyAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (!buffer.IsEmpty)
        {
            int n = await ReadAsync(buffer, ct).ConfigureAwait(false);
            if (n == 0) throw new BackupDamagedException("The backup's content ends in the middle of an entry; the file is damaged.");
            buffer = buffer[n..];
        }
    }

    private async Task ReadChunkAsync(CancellationToken ct)
    {
        long at = Position;
        byte[] wordBytes = new byte[4];
        await ReadFileAsync(wordBytes, "a chunk header", ct).ConfigureAwait(false);
        uint word = BinaryPrimitives.ReadUInt32BigEndian(wordBytes);
        int length = (int)(word & ~BackupEnvelope.FinalFlag);
        if (length > _plain.Length)
            throw new BackupDamagedException($"Chunk {_index} at byte {at} claims {length} bytes, more than the backup's chunk size; the file is damaged.");
        await ReadFileAsync(_frame.AsMemory(0, length + BackupEnvelope.TagLength), $"chunk {_index}", ct).ConfigureAwait(false);
        _mac!.AppendData(wordBytes);
        _mac.AppendData(_frame, 0, length + BackupEnvelope.TagLength);
        Span<byte> nonce = stackalloc byte[BackupEnvelope.NonceLength];
        BackupEnvelope.Nonce(_header, _index, nonce);
        try
        {
            _cipher!.Decrypt(nonce, _frame.AsSpan(0, length), _frame.AsSpan(length, BackupEnvelope.TagLength), _plain.AsSpan(0, length),
                BackupEnvelope.AssociatedData(_header, word));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new BackupDamagedException($"Chunk {_index} at byte {at} of the backup fails its authentication check: the file was changed or damaged after it was written.");
        }
        _offset = 0;
        _length = length;
        _final = (word & BackupEnvelope.FinalFlag) != 0;
        _index = checked(_index + 1);
    }

    private async Task FinishAsync(CancellationToken ct)
    {
        if (_ended) return;
        byte[] mac = new byte[BackupEnvelope.MacLength];
        await ReadFileAsync(mac, "the file check at its end", ct).ConfigureAwait(false);
        if (!CryptographicOperations.FixedTimeEquals(mac, _mac!.GetHashAndReset()))
            throw new BackupDamagedException("The backup's whole-file check does not match: the file was changed or damaged after it was written.");
        byte[] probe = new byte[1];
        if (await _input.ReadAsync(probe, ct).ConfigureAwait(false) != 0)
            throw new BackupDamagedException($"The backup has data after its end (byte {Position}); the file is damaged or two files were joined.");
        _ended = true;
    }

    private async Task ReadFileAsync(Memory<byte> buffer, string what, CancellationToken ct)
    {
        int got = await _input.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        Position += got;
        if (got < buffer.Length)
            throw new BackupDamagedException($"The backup ends at byte {Position} inside {what}: the file is truncated (an interrupted copy or download?).");
    }

    public void Dispose()
    {
        _cipher?.Dispose();
        _mac?.Dispose();
        _keys?.Dispose();
        CryptographicOperations.ZeroMemory(_plain);
    }
}
