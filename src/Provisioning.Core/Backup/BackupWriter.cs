using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace Provisioning.Core.Backup;

/// <summary>What a backup holds, as its first entry.</summary>
/// <param name="Format">Content format version (<see cref="BackupWriter.ContentVersion"/>).</param>
/// <param name="Created">When the snapshot was taken.</param>
/// <param name="ServerVersion">The server that wrote it.</param>
/// <param name="Engine">The database engine it was read from (for information: the content is engine-neutral).</param>
/// <param name="SchemaVersion">The database schema version of the tables in it.</param>
public sealed record BackupManifest(int Format, DateTimeOffset Created, string ServerVersion, string Engine, int SchemaVersion);

/// <summary>A column of a table section: its name and type (<c>int</c>, <c>uint64</c>, <c>text</c>, <c>blob</c>).</summary>
public sealed record BackupColumn(string Name, string Type);

/// <summary>The start of a section: a table (with its columns) or a set of files (<c>repository</c>, <c>data</c>).</summary>
public sealed record BackupSection(string Kind, string Name, IReadOnlyList<BackupColumn>? Columns = null);

/// <summary>The end of a section: how many rows or files it held and the SHA-256 of its entries.</summary>
public sealed record BackupSectionEnd(long Count, string Sha256);

/// <summary>A file in a file section: its name (a repository SHA-256, or a path in the data folder) and size.</summary>
public sealed record BackupFileStart(string Name, long Size);

/// <summary>The end of a file: the SHA-256 of its content.</summary>
public sealed record BackupFileEnd(string Sha256);

/// <summary>The last entry: how many sections came before.</summary>
public sealed record BackupEnd(int Sections);

/// <summary>Entry kinds inside the encrypted content (one byte each, then a u32 BE length and the payload).</summary>
internal static class BackupEntryKind
{
    public const byte Manifest = (byte)'M', Section = (byte)'S', Row = (byte)'R', FileStart = (byte)'F', FileData = (byte)'D',
        FileEnd = (byte)'G', SectionEnd = (byte)'E', End = (byte)'Z';
    /// <summary>Largest payload accepted when reading (a row or a file block is far smaller).</summary>
    public const int MaxPayload = 16 * 1024 * 1024;
}

/// <summary>
/// Writes a backup as it is read from the server (docs/backup.md): manifest, sections of table rows and files, end.
/// Everything after the clear header is encrypted; each section ends with its count and the SHA-256 of its entries.
/// Rows are JSON arrays in the section's column order (blobs in base64, <c>uint64</c> as a decimal string).
/// </summary>
public sealed class BackupWriter : IAsyncDisposable
{
    /// <summary>Version of the content (entries and sections) written.</summary>
    public const int ContentVersion = 1;
    private const int FileBlock = 60 * 1024;
    private readonly BackupChunkWriter _chunks;
    private readonly ArrayBufferWriter<byte> _json = new(4096);
    private readonly Utf8JsonWriter _jsonWriter;
    private IncrementalHash? _section;
    private long _sectionCount;
    private int _sections;

    private BackupWriter(Stream output, ReadOnlySpan<char> passphrase, int iterations)
    {
        _chunks = new BackupChunkWriter(output, passphrase, iterations);
        _jsonWriter = new Utf8JsonWriter(_json);
    }

    /// <summary>Bytes written to the output so far.</summary>
    public long BytesWritten => _chunks.Written;

    /// <summary>Starts a backup on <paramref name="output"/> with its manifest.</summary>
    public static async Task<BackupWriter> CreateAsync(Stream output, ReadOnlyMemory<char> passphrase, BackupManifest manifest,
        int iterations = BackupEnvelope.DefaultIterations, CancellationToken ct = default)
    {
        var writer = new BackupWriter(output, passphrase.Span, iterations);
        await writer._chunks.StartAsync(ct).ConfigureAwait(false);
        await writer.WriteEntryAsync(BackupEntryKind.Manifest, JsonSerializer.SerializeToUtf8Bytes(manifest, BackupJson.Options), ct).ConfigureAwait(false);
        return writer;
    }

    /// <summary>Starts a section; the previous one must have ended.</summary>
    public Task BeginSectionAsync(BackupSection section, CancellationToken ct = default)
    {
        if (_section is not null) throw new InvalidOperationException("The previous section has not ended.");
        _section = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _sectionCount = 0;
        return WriteEntryAsync(BackupEntryKind.Section, JsonSerializer.SerializeToUtf8Bytes(section, BackupJson.Options), ct);
    }

    /// <summary>Writes one row: <paramref name="writeValues"/> writes the values (the array around them is written here).</summary>
    public Task WriteRowAsync(Action<Utf8JsonWriter> writeValues, CancellationToken ct = default)
    {
        _json.ResetWrittenCount();
        _jsonWriter.Reset(_json);
        _jsonWriter.WriteStartArray();
        writeValues(_jsonWriter);
        _jsonWriter.WriteEndArray();
        _jsonWriter.Flush();
        _sectionCount++;
        return WriteEntryAsync(BackupEntryKind.Row, _json.WrittenMemory, ct);
    }

    /// <summary>
    /// Writes a file of <paramref name="size"/> bytes from <paramref name="content"/> and returns its SHA-256 (lower-case hex).
    /// Throws <see cref="IOException"/> when the content is not that long.
    /// </summary>
    public async Task<string> WriteFileAsync(string name, long size, Stream content, CancellationToken ct = default)
    {
        await WriteEntryAsync(BackupEntryKind.FileStart, JsonSerializer.SerializeToUtf8Bytes(new BackupFileStart(name, size), BackupJson.Options), ct).ConfigureAwait(false);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] block = ArrayPool<byte>.Shared.Rent(FileBlock);
        try
        {
            long left = size;
            while (left > 0)
            {
                int n = await content.ReadAsync(block.AsMemory(0, (int)Math.Min(FileBlock, left)), ct).ConfigureAwait(false);
                if (n == 0) throw new IOException($"The file {name} ended {left} bytes before its size of {size} bytes while it was backed up.");
                hash.AppendData(block, 0, n);
                await WriteEntryAsync(BackupEntryKind.FileData, block.AsMemory(0, n), ct).ConfigureAwait(false);
                left -= n;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
            ArrayPool<byte>.Shared.Return(block);
        }
        string sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        await WriteEntryAsync(BackupEntryKind.FileEnd, JsonSerializer.SerializeToUtf8Bytes(new BackupFileEnd(sha256), BackupJson.Options), ct).ConfigureAwait(false);
        _sectionCount++;
        return sha256;
    }

    /// <summary>Ends the section with its count and digest.</summary>
    public async Task EndSectionAsync(CancellationToken ct = default)
    {
        var section = _section ?? throw new InvalidOperationException("No section is open.");
        string digest = Convert.ToHexStringLower(section.GetHashAndReset());
        section.Dispose();
        _section = null;
        _sections++;
        await WriteEntryAsync(BackupEntryKind.SectionEnd, JsonSerializer.SerializeToUtf8Bytes(new BackupSectionEnd(_sectionCount, digest), BackupJson.Options), ct).ConfigureAwait(false);
    }

    /// <summary>Writes the end entry, the last chunk and the file MAC; a backup without it reads as truncated.</summary>
    public async Task CompleteAsync(CancellationToken ct = default)
    {
        if (_section is not null) throw new InvalidOperationException("A section is still open.");
        await WriteEntryAsync(BackupEntryKind.End, JsonSerializer.SerializeToUtf8Bytes(new BackupEnd(_sections), BackupJson.Options), ct).ConfigureAwait(false);
        await _chunks.CompleteAsync(ct).ConfigureAwait(false);
    }

    private async Task WriteEntryAsync(byte kind, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        byte[] head = new byte[5];
        head[0] = kind;
        BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(1), (uint)payload.Length);
        // The section digest covers its entries after the section header, up to (not including) its end entry.
        if (_section is not null && kind != BackupEntryKind.Section)
        {
            _section.AppendData(head);
            _section.AppendData(payload.Span);
        }
        await _chunks.WriteAsync(head, ct).ConfigureAwait(false);
        await _chunks.WriteAsync(payload, ct).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _section?.Dispose();
        _jsonWriter.Dispose();
        _chunks.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>JSON settings of the backup's entries (camelCase, compact).</summary>
internal static class BackupJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
