using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Provisioning.Core.Backup;

/// <summary>
/// The encrypted envelope of a backup file (docs/backup.md): a 75-byte clear header, then the content in chunks of
/// AES-256-GCM, then an HMAC-SHA256 of everything before it. Both keys come from the passphrase through
/// PBKDF2-SHA256 (as the gateway key file's key does), with a random salt per file.
/// </summary>
/// <remarks>
/// Header: magic <c>PROVBAK\0</c> (8), format version (u16 BE), KDF id 1 = PBKDF2-SHA256 (1), iterations (u32 BE),
/// salt (16), nonce prefix (8), chunk size (u32 BE), key check (32) = HMAC-SHA256 of the 43 bytes before it under the
/// MAC key. Chunk: a u32 BE word (plaintext length, top bit set on the last chunk), the ciphertext, the 16-byte tag;
/// nonce = prefix ‖ chunk index (u32 BE); associated data = the header ‖ the word. The last chunk (possibly empty) is
/// followed by the file MAC and the end of the file.
/// </remarks>
public static class BackupEnvelope
{
    /// <summary>The envelope version written and read.</summary>
    public const ushort FormatVersion = 1;
    /// <summary>PBKDF2 iterations written by default (as for the gateway key file).</summary>
    public const int DefaultIterations = 600_000;
    /// <summary>Plaintext bytes per chunk.</summary>
    public const int ChunkSize = 64 * 1024;
    /// <summary>Length of the clear header.</summary>
    public const int HeaderLength = 75;
    internal const int TagLength = 16, MacLength = 32, NonceLength = 12;
    internal const uint FinalFlag = 0x8000_0000;
    private const int MinIterations = 10_000, MaxIterations = 10_000_000, KeyCheckOffset = 43, SaltLength = 16;
    private const byte KdfPbkdf2Sha256 = 1;

    internal static ReadOnlySpan<byte> Magic => "PROVBAK\0"u8;

    /// <summary>Whether a file starts like a backup (magic only; nothing is checked).</summary>
    public static bool LooksLikeBackup(ReadOnlySpan<byte> start) => start.Length >= Magic.Length && start[..Magic.Length].SequenceEqual(Magic);

    /// <summary>A fresh header and its keys for a new backup.</summary>
    internal static (byte[] Header, BackupKeys Keys) NewHeader(ReadOnlySpan<char> passphrase, int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinIterations);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        RequirePassphrase(passphrase);
        byte[] header = new byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), FormatVersion);
        header[10] = KdfPbkdf2Sha256;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(11), (uint)iterations);
        RandomNumberGenerator.Fill(header.AsSpan(15, SaltLength + 8)); // salt and nonce prefix
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(39), ChunkSize);
        var keys = BackupKeys.Derive(passphrase, header.AsSpan(15, SaltLength), iterations);
        keys.KeyCheck(header.AsSpan(0, KeyCheckOffset), header.AsSpan(KeyCheckOffset, MacLength));
        return (header, keys);
    }

    /// <summary>Checks a header read from a file and derives its keys; throws naming what is wrong.</summary>
    /// <exception cref="BackupDamagedException">Not a backup, a version this build does not read, or a bad field.</exception>
    /// <exception cref="BackupPassphraseException">The passphrase does not open it.</exception>
    internal static BackupKeys OpenHeader(ReadOnlySpan<byte> header, ReadOnlySpan<char> passphrase)
    {
        RequirePassphrase(passphrase);
        if (header.Length < HeaderLength)
            throw new BackupDamagedException($"The file is {header.Length} bytes long, too short for a backup (its header alone is {HeaderLength}).");
        if (!LooksLikeBackup(header))
            throw new BackupDamagedException("The file is not a provisioning server backup (it does not start with PROVBAK).");
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(header[8..]);
        if (version != FormatVersion)
            throw new BackupDamagedException($"The backup has format version {version}; this server reads version {FormatVersion}. Restore it with the server version that made it.");
        if (header[10] != KdfPbkdf2Sha256)
            throw new BackupDamagedException($"The backup names key derivation {header[10]}, which is not known (1 = PBKDF2-SHA256).");
        uint iterations = BinaryPrimitives.ReadUInt32BigEndian(header[11..]);
        if (iterations is < MinIterations or > MaxIterations)
            throw new BackupDamagedException($"The backup's iteration count {iterations} is outside {MinIterations}-{MaxIterations}; the header is damaged.");
        if (BinaryPrimitives.ReadUInt32BigEndian(header[39..]) is var chunk && chunk is 0 or > 16 * 1024 * 1024)
            throw new BackupDamagedException($"The backup's chunk size {chunk} is not valid; the header is damaged.");
        var keys = BackupKeys.Derive(passphrase, header.Slice(15, SaltLength), (int)iterations);
        Span<byte> check = stackalloc byte[MacLength];
        keys.KeyCheck(header[..KeyCheckOffset], check);
        if (!CryptographicOperations.FixedTimeEquals(check, header.Slice(KeyCheckOffset, MacLength)))
        {
            keys.Dispose();
            throw new BackupPassphraseException();
        }
        return keys;
    }

    internal static int ChunkSizeOf(ReadOnlySpan<byte> header) => (int)BinaryPrimitives.ReadUInt32BigEndian(header[39..]);

    internal static void Nonce(ReadOnlySpan<byte> header, uint index, Span<byte> nonce)
    {
        header.Slice(15 + SaltLength, 8).CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], index);
    }

    internal static byte[] AssociatedData(ReadOnlySpan<byte> header, uint word)
    {
        byte[] aad = new byte[HeaderLength + 4];
        header[..HeaderLength].CopyTo(aad);
        BinaryPrimitives.WriteUInt32BigEndian(aad.AsSpan(HeaderLength), word);
        return aad;
    }

    private static void RequirePassphrase(ReadOnlySpan<char> passphrase)
    {
        if (passphrase.IsEmpty)
            throw new ArgumentException("A backup needs a passphrase: it encrypts the master key, tokens and device records.", nameof(passphrase));
    }
}

/// <summary>The two keys of a backup: AES-256-GCM for the chunks, HMAC-SHA256 for the key check and the file MAC.</summary>
internal sealed class BackupKeys : IDisposable
{
    private readonly byte[] _material; // 64 bytes: encryption key, then MAC key

    private BackupKeys(byte[] material) => _material = material;

    public static BackupKeys Derive(ReadOnlySpan<char> passphrase, ReadOnlySpan<byte> salt, int iterations)
    {
        byte[] material = GC.AllocateArray<byte>(64, pinned: true);
        Crypto.GatewayKeyFile.DeriveKey(passphrase, salt, iterations, material);
        return new BackupKeys(material);
    }

    public AesGcm NewCipher() => new(_material.AsSpan(0, 32), BackupEnvelope.TagLength);

    public IncrementalHash NewMac() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _material.AsSpan(32, 32));

    public void KeyCheck(ReadOnlySpan<byte> data, Span<byte> destination) => HMACSHA256.HashData(_material.AsSpan(32, 32), data, destination);

    public void Dispose() => CryptographicOperations.ZeroMemory(_material);
}

/// <summary>The passphrase does not open the backup.</summary>
public sealed class BackupPassphraseException()
    : Exception("The passphrase does not open this backup (or the backup's header is damaged); nothing was restored. Give the passphrase used for Backup-ProvServer.");

/// <summary>The backup is damaged, truncated or not a backup; the message says where.</summary>
public sealed class BackupDamagedException(string message) : Exception(message);
