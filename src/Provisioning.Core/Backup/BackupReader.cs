using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace Provisioning.Core.Backup;

/// <summary>What <see cref="BackupReader.ReadAsync"/> returned.</summary>
public enum BackupItemKind
{
    /// <summary>A section starts (<see cref="BackupItem.Section"/>).</summary>
    SectionStart,
    /// <summary>A table row: <see cref="BackupItem.Data"/> is its JSON array.</summary>
    Row,
    /// <summary>A file starts (<see cref="BackupItem.File"/>).</summary>
    FileStart,
    /// <summary>A block of the current file (<see cref="BackupItem.Data"/>).</summary>
    FileData,
    /// <summary>The current file ended and its SHA-256 matched.</summary>
    FileEnd,
    /// <summary>The section ended and its count and digest matched.</summary>
    SectionEnd,
    /// <summary>The backup ended and its file check matched: everything read was as written.</summary>
    End,
}

/// <summary>One item of a backup; <see cref="Data"/> is valid until the next read.</summary>
public readonly record struct BackupItem(BackupItemKind Kind, BackupSection? Section, BackupFileStart? File, ReadOnlyMemory<byte> Data);

/// <summary>How many rows or files a section held.</summary>
public sealed record BackupSectionSummary(string Kind, string Name, long Count, long Bytes);

/// <summary>What a verified backup holds.</summary>
public sealed record BackupSummary(BackupManifest Manifest, IReadOnlyList<BackupSectionSummary> Sections, long FileSize);

/// <summary>
/// Reads a backup written by <see cref="BackupWriter"/>, checking as it goes: every chunk's tag, the order of entries,
/// each file's size and SHA-256, each section's count and digest, and at the end the file MAC. A damaged file fails
/// with <see cref="BackupDamagedException"/> at the first bad byte; a wrong passphrase with <see cref="BackupPassphraseException"/>
/// before any content.
/// </summary>
public sealed class BackupReader : IDisposable
{
    private readonly BackupChunkReader _chunks;
    private readonly byte[] _head = new byte[5];
    private byte[] _payload = new byte[64 * 1024];
    private BackupSection? _section;
    private IncrementalHash? _sectionHash;
    private long _sectionCount;
    private BackupFileStart? _file;
    private IncrementalHash? _fileHash;
    private long _fileLeft;
    private int _sections;
    private bool _ended;

    private BackupReader(Stream input) => _chunks = new BackupChunkReader(input);

    /// <summary>The backup's manifest.</summary>
    public BackupManifest Manifest { get; private set; } = null!;

    /// <summary>Bytes of the file read so far (for progress).</summary>
    public long Position => _chunks.Position;

    /// <summary>Opens a backup: checks the header and the passphrase and reads the manifest.</summary>
    public static async Task<BackupReader> OpenAsync(Stream input, ReadOnlyMemory<char> passphrase, CancellationToken ct = default)
    {
        var reader = new BackupReader(input);
        try
        {
            await reader._chunks.OpenAsync(passphrase, ct).ConfigureAwait(false);
            var (kind, payload) = await reader.ReadEntryAsync(ct).ConfigureAwait(false);
            if (kind != BackupEntryKind.Manifest)
                throw new BackupDamagedException("The backup does not start with its manifest; the file is damaged.");
            var manifest = Parse<BackupManifest>(payload, "manifest");
            if (manifest.Format != BackupWriter.ContentVersion)
                throw new BackupDamagedException($"The backup's content has format {manifest.Format}; this server reads format {BackupWriter.ContentVersion}. Restore it with the server version that made it ({manifest.ServerVersion}).");
            reader.Manifest = manifest;
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Reads the next item; after <see cref="BackupItemKind.End"/> there is nothing more.</summary>
    public async ValueTask<BackupItem> ReadAsync(CancellationToken ct = default)
    {
        if (_ended) throw new InvalidOperationException("The backup has ended.");
        var (kind, payload) = await ReadEntryAsync(ct).ConfigureAwait(false);
        if (_file is not null && kind is not (BackupEntryKind.FileData or BackupEntryKind.FileEnd))
            throw Damaged($"the file {_file.Name} is cut short");
        switch (kind)
        {
            case BackupEntryKind.Section:
                if (_section is not null) throw Damaged($"a section starts inside section {_section.Name}");
                _section = Parse<BackupSection>(payload, "section header");
                if (_section.Kind == "table" && (_section.Columns is null || _section.Columns.Count == 0))
                    throw Damaged($"table section {_section.Name} names no columns");
                _sectionHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                _sectionCount = 0;
                return new BackupItem(BackupItemKind.SectionStart, _section, null, default);
            case BackupEntryKind.Row:
                if (_section?.Kind != "table") throw Damaged("a row stands outside a table section");
                Digest(kind, payload);
                _sectionCount++;
                return new BackupItem(BackupItemKind.Row, _section, null, payload);
            case BackupEntryKind.FileStart:
                if (_section is null || _section.Kind == "table" || _file is not null) throw Damaged("a file stands outside a file section");
                Digest(kind, payload);
                _file = Parse<BackupFileStart>(payload, "file header");
                if (_file.Size < 0 || string.IsNullOrEmpty(_file.Name)) throw Damaged("a file header is not valid");
                _fileLeft = _file.Size;
                _fileHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                return new BackupItem(BackupItemKind.FileStart, _section, _file, default);
            case BackupEntryKind.FileData:
                if (_file is null) throw Damaged("file data stands outside a file");
                if (payload.Length > _fileLeft) throw Damaged($"the file {_file.Name} holds more than its size of {_file.Size} bytes");
                Digest(kind, payload);
                _fileHash!.AppendData(payload.Span);
                _fileLeft -= payload.Length;
                return new BackupItem(BackupItemKind.FileData, _section, _file, payload);
            case BackupEntryKind.FileEnd:
            {
                if (_file is null) throw Damaged("a file end stands outside a file");
                if (_fileLeft != 0) throw Damaged($"the file {_file.Name} is {_fileLeft} bytes short of its size");
                Digest(kind, payload);
                var end = Parse<BackupFileEnd>(payload, "file end");
                string actual = Convert.ToHexStringLower(_fileHash!.GetHashAndReset());
                _fileHash.Dispose();
                _fileHash = null;
                if (actual != end.Sha256 || _section!.Name == "repository" && actual != _file.Name)
                    throw Damaged($"the file {_file.Name} does not match its SHA-256");
                var file = _file;
                _file = null;
                _sectionCount++;
                return new BackupItem(BackupItemKind.FileEnd, _section, file, default);
            }
            case BackupEntryKind.SectionEnd:
            {
                if (_section is null) throw Damaged("a section end stands outside a section");
                var end = Parse<BackupSectionEnd>(payload, "section end");
                string digest = Convert.ToHexStringLower(_sectionHash!.GetHashAndReset());
                _sectionHash.Dispose();
                _sectionHash = null;
                if (end.Count != _sectionCount || end.Sha256 != digest)
                    throw Damaged($"section {_section.Name} does not match its check ({_sectionCount} items read, {end.Count} written)");
                var section = _section;
                _section = null;
                _sections++;
                return new BackupItem(BackupItemKind.SectionEnd, section, null, default);
            }
            case BackupEntryKind.End:
            {
                if (_section is not null) throw Damaged($"the backup ends inside section {_section.Name}");
                var end = Parse<BackupEnd>(payload, "end");
                if (end.Sections != _sections) throw Damaged($"{_sections} sections were read, {end.Sections} written");
                // The MAC over the whole file and the end of the file itself.
                if (await _chunks.ReadAsync(new byte[1], ct).ConfigureAwait(false) != 0)
                    throw Damaged("content follows the end entry");
                _ended = true;
                return new BackupItem(BackupItemKind.End, null, null, default);
            }
            default:
                throw Damaged($"an entry of unknown kind 0x{kind:X2} was found");
        }
    }

    /// <summary>Reads a whole backup, checking everything, and says what it holds; nothing is written anywhere.</summary>
    public static async Task<BackupSummary> VerifyAsync(Stream input, ReadOnlyMemory<char> passphrase, IProgress<long>? position = null,
        CancellationToken ct = default)
    {
        using var reader = await OpenAsync(input, passphrase, ct).ConfigureAwait(false);
        var sections = new List<BackupSectionSummary>();
        long bytes = 0, count = 0, lastReport = 0;
        while (true)
        {
            var item = await reader.ReadAsync(ct).ConfigureAwait(false);
            switch (item.Kind)
            {
                case BackupItemKind.SectionStart: bytes = count = 0; break;
                case BackupItemKind.Row or BackupItemKind.FileEnd: count++; break;
                case BackupItemKind.FileData: bytes += item.Data.Length; break;
                case BackupItemKind.SectionEnd: sections.Add(new BackupSectionSummary(item.Section!.Kind, item.Section.Name, count, bytes)); break;
                case BackupItemKind.End: return new BackupSummary(reader.Manifest, sections, reader.Position);
            }
            if (position is not null && reader.Position - lastReport > 1 << 20)
            {
                lastReport = reader.Position;
                position.Report(lastReport);
            }
        }
    }

    private void Digest(byte kind, ReadOnlyMemory<byte> payload)
    {
        Span<byte> head = stackalloc byte[5];
        head[0] = kind;
        BinaryPrimitives.WriteUInt32BigEndian(head[1..], (uint)payload.Length);
        _sectionHash!.AppendData(head);
        _sectionHash.AppendData(payload.Span);
    }

    private async ValueTask<(byte Kind, ReadOnlyMemory<byte> Payload)> ReadEntryAsync(CancellationToken ct)
    {
        await _chunks.ReadExactlyAsync(_head, ct).ConfigureAwait(false);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(_head.AsSpan(1));
        if (length > BackupEntryKind.MaxPayload) throw Damaged($"an entry claims {length} bytes");
        if (_payload.Length < length) _payload = new byte[Math.Max(length, (uint)_payload.Length * 2)];
        await _chunks.ReadExactlyAsync(_payload.AsMemory(0, (int)length), ct).ConfigureAwait(false);
        return (_head[0], _payload.AsMemory(0, (int)length));
    }

    private static T Parse<T>(ReadOnlyMemory<byte> payload, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(payload.Span, BackupJson.Options) ?? throw new BackupDamagedException($"The backup's {what} is empty.");
        }
        catch (JsonException)
        {
            throw new BackupDamagedException($"The backup's {what} is not readable; the file is damaged.");
        }
    }

    private BackupDamagedException Damaged(string what) =>
        new($"The backup is damaged: {what} (near byte {Position}).");

    /// <inheritdoc/>
    public void Dispose()
    {
        _sectionHash?.Dispose();
        _fileHash?.Dispose();
        _chunks.Dispose();
        CryptographicOperations.ZeroMemory(_payload);
    }
}
