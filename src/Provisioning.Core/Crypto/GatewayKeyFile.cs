using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Provisioning.Core.Crypto;

/// <summary>What <see cref="GatewayKeyFile.Write"/> produced.</summary>
/// <param name="Path">Full path of <c>gw_keys.csv.aes</c>.</param>
/// <param name="SignaturePath">Full path of <c>gw_keys.csv.aes.sig</c>.</param>
/// <param name="GatewayKeyCheckValue">Key check value of the gateway key.</param>
/// <param name="CdldKeyCheckValue">Key check value of the CDLD key.</param>
/// <param name="Iterations">PBKDF2 iteration count stored in the file.</param>
/// <param name="KmsFingerprint">Fingerprint of the KMS key that signed it.</param>
public sealed record GatewayKeyFileInfo(string Path, string SignaturePath, string GatewayKeyCheckValue, string CdldKeyCheckValue, int Iterations, string KmsFingerprint);

/// <summary>
/// The gateway key file (<c>gw_keys.csv.aes</c> + <c>.sig</c>): a small CSV of the network keys, encrypted with
/// AES-256-GCM under a PBKDF2-SHA256 key from the passphrase, and signed by the KMS private key. Format in docs/key-files.md.
/// </summary>
public static class GatewayKeyFile
{
    /// <summary>File name of the encrypted key file.</summary>
    public const string FileName = "gw_keys.csv.aes";
    /// <summary>File name of the signature beside it.</summary>
    public const string SignatureFileName = "gw_keys.csv.aes.sig";
    /// <summary>PBKDF2 iterations used for new files.</summary>
    public const int DefaultIterations = 600_000;

    // Format v1, byte by byte (docs/key-files.md): the header is also the GCM associated data.
    private static ReadOnlySpan<byte> Magic => "PGWK"u8;
    private const byte Version1 = 0x01, KdfPbkdf2Sha256 = 0x01;
    private const int MagicLength = 4, IterationsOffset = 6, SaltLengthOffset = 10, SaltOffset = 11;
    private const int SaltLength = 16, NonceLength = 12, TagLength = 16, DerivedKeyLength = 32;
    private const int HeaderLength = SaltOffset + SaltLength + NonceLength;
    private const int MinIterations = 10_000, MaxIterations = 10_000_000;

    // The CSV, exactly: "name,key\ngateway,<hex>\ncdld,<hex>\n".
    private static ReadOnlySpan<byte> CsvHeader => "name,key\n"u8;
    private static ReadOnlySpan<byte> GatewayRow => "gateway,"u8;
    private static ReadOnlySpan<byte> CdldRow => "cdld,"u8;
    private const int HexLength = 2 * GatewayKeys.KeyLength;
    private static int CsvLength => CsvHeader.Length + GatewayRow.Length + CdldRow.Length + 2 * (HexLength + 1);

    private const string NotAKeyFile = "The data is not a gateway key file (format v1)";
    private const string WrongPassphrase = "The passphrase is wrong: it does not open the gateway key file.";

    /// <summary>Encrypts <paramref name="keys"/> under <paramref name="passphrase"/>, signs with <paramref name="kmsPrivateKey"/>, writes both files into <paramref name="directory"/>.</summary>
    public static GatewayKeyFileInfo Write(string directory, GatewayKeys keys, ReadOnlySpan<char> passphrase, RSA kmsPrivateKey, bool overwrite = false, int iterations = DefaultIterations)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(kmsPrivateKey);
        RequirePassphrase(passphrase);
        string dir = Path.GetFullPath(directory);
        string path = Path.Combine(dir, FileName), signaturePath = Path.Combine(dir, SignatureFileName);
        KeyFileWriter.RefuseExisting(path, overwrite);
        KeyFileWriter.RefuseExisting(signaturePath, overwrite);

        byte[] encrypted = Encrypt(keys, passphrase, iterations);
        byte[] signature = Sign(encrypted, kmsPrivateKey);
        Directory.CreateDirectory(dir);
        KeyFileWriter.WriteAll(overwrite, (path, encrypted, false), (signaturePath, signature, false));
        return new GatewayKeyFileInfo(path, signaturePath, GatewayKeys.CheckValue(keys.GatewayKey), GatewayKeys.CheckValue(keys.CdldKey),
            iterations, KmsKeyPair.Fingerprint(kmsPrivateKey));
    }

    /// <summary>The encrypted file's bytes (format v1) for <paramref name="keys"/>.</summary>
    public static byte[] Encrypt(GatewayKeys keys, ReadOnlySpan<char> passphrase, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(keys);
        RequirePassphrase(passphrase);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinIterations);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);

        int csvLength = CsvLength;
        byte[] file = new byte[HeaderLength + csvLength + TagLength];
        Span<byte> header = file.AsSpan(0, HeaderLength);
        Magic.CopyTo(header);
        header[MagicLength] = Version1;
        header[MagicLength + 1] = KdfPbkdf2Sha256;
        BinaryPrimitives.WriteUInt32BigEndian(header[IterationsOffset..], (uint)iterations);
        header[SaltLengthOffset] = SaltLength;
        RandomNumberGenerator.Fill(header[SaltOffset..]); // salt and nonce

        byte[] csv = GC.AllocateArray<byte>(csvLength, pinned: true);
        byte[] key = GC.AllocateArray<byte>(DerivedKeyLength, pinned: true);
        try
        {
            WriteCsv(keys, csv);
            DeriveKey(passphrase, Salt(header), iterations, key);
            using var aes = new AesGcm(key, TagLength);
            aes.Encrypt(Nonce(header), csv, file.AsSpan(HeaderLength, csvLength), file.AsSpan(HeaderLength + csvLength), header);
            return file;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(csv);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>RSA PKCS#1 v1.5 SHA-256 signature over the encrypted file's bytes.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> encryptedFile, RSA kmsPrivateKey)
    {
        ArgumentNullException.ThrowIfNull(kmsPrivateKey);
        return kmsPrivateKey.SignData(encryptedFile, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    /// <summary>True when <paramref name="signature"/> is the KMS signature over <paramref name="encryptedFile"/>.</summary>
    public static bool VerifySignature(ReadOnlySpan<byte> encryptedFile, ReadOnlySpan<byte> signature, RSA kmsPublicKey)
    {
        ArgumentNullException.ThrowIfNull(kmsPublicKey);
        try
        {
            return kmsPublicKey.VerifyData(encryptedFile, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false; // a signature of the wrong length is just a bad signature
        }
    }

    /// <summary>
    /// Decrypts the file. Throws <see cref="WrongPassphraseException"/> when the passphrase does not open it,
    /// <see cref="KeyFileException"/> when the file is not a gateway key file.
    /// </summary>
    public static GatewayKeys Decrypt(ReadOnlySpan<byte> encryptedFile, ReadOnlySpan<char> passphrase)
    {
        int iterations = ReadHeader(encryptedFile);
        RequirePassphrase(passphrase);
        ReadOnlySpan<byte> header = encryptedFile[..HeaderLength];
        int csvLength = encryptedFile.Length - HeaderLength - TagLength;

        byte[] csv = GC.AllocateArray<byte>(csvLength, pinned: true);
        byte[] key = GC.AllocateArray<byte>(DerivedKeyLength, pinned: true);
        try
        {
            DeriveKey(passphrase, Salt(header), iterations, key);
            using (var aes = new AesGcm(key, TagLength))
            {
                try
                {
                    aes.Decrypt(Nonce(header), encryptedFile.Slice(HeaderLength, csvLength), encryptedFile[^TagLength..], csv, header);
                }
                catch (AuthenticationTagMismatchException)
                {
                    // GCM cannot tell a wrong passphrase from a changed file; the signature check tells the latter.
                    throw new WrongPassphraseException(WrongPassphrase);
                }
            }
            return ParseCsv(csv);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(csv);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Checks the header and returns its iteration count.</summary>
    private static int ReadHeader(ReadOnlySpan<byte> file)
    {
        if (file.Length < HeaderLength + TagLength)
            throw new KeyFileException($"{NotAKeyFile}: it is too short ({file.Length} bytes).");
        if (!file.StartsWith(Magic))
            throw new KeyFileException($"{NotAKeyFile}: it does not start with 'PGWK'.");
        if (file[MagicLength] != Version1)
            throw new KeyFileException($"{NotAKeyFile}: its version is {file[MagicLength]}.");
        if (file[MagicLength + 1] != KdfPbkdf2Sha256)
            throw new KeyFileException($"{NotAKeyFile}: its key derivation id is {file[MagicLength + 1]}.");
        if (file[SaltLengthOffset] != SaltLength)
            throw new KeyFileException($"{NotAKeyFile}: its salt length is {file[SaltLengthOffset]}, not {SaltLength}.");
        uint iterations = BinaryPrimitives.ReadUInt32BigEndian(file[IterationsOffset..]);
        if (iterations is < MinIterations or > MaxIterations)
            throw new KeyFileException($"The gateway key file's iteration count {iterations} is outside the accepted range {MinIterations}-{MaxIterations}.");
        return (int)iterations;
    }

    private static ReadOnlySpan<byte> Salt(ReadOnlySpan<byte> header) => header.Slice(SaltOffset, SaltLength);
    private static ReadOnlySpan<byte> Nonce(ReadOnlySpan<byte> header) => header.Slice(SaltOffset + SaltLength, NonceLength);

    private static void RequirePassphrase(ReadOnlySpan<char> passphrase)
    {
        if (passphrase.IsEmpty)
            throw new ArgumentException("A passphrase is required to encrypt or open the gateway key file.", nameof(passphrase));
    }

    /// <summary>PBKDF2-HMAC-SHA256 of the UTF-8 passphrase into <paramref name="key"/> (any length); the passphrase bytes are zeroed. Backups derive their keys the same way.</summary>
    internal static void DeriveKey(ReadOnlySpan<char> passphrase, ReadOnlySpan<byte> salt, int iterations, Span<byte> key)
    {
        byte[] password = GC.AllocateArray<byte>(Encoding.UTF8.GetByteCount(passphrase), pinned: true);
        try
        {
            Encoding.UTF8.GetBytes(passphrase, password);
            Rfc2898DeriveBytes.Pbkdf2(password, salt, key, iterations, HashAlgorithmName.SHA256);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    private static void WriteCsv(GatewayKeys keys, Span<byte> csv)
    {
        int at = 0;
        Append(csv, ref at, CsvHeader);
        AppendRow(csv, ref at, GatewayRow, keys.GatewayKey);
        AppendRow(csv, ref at, CdldRow, keys.CdldKey);

        static void AppendRow(Span<byte> csv, ref int at, ReadOnlySpan<byte> name, ReadOnlySpan<byte> key)
        {
            Append(csv, ref at, name);
            KeyHex.EncodeLower(key, csv.Slice(at, HexLength));
            at += HexLength;
            csv[at++] = (byte)'\n';
        }

        static void Append(Span<byte> csv, ref int at, ReadOnlySpan<byte> text)
        {
            text.CopyTo(csv[at..]);
            at += text.Length;
        }
    }

    private static GatewayKeys ParseCsv(ReadOnlySpan<byte> csv)
    {
        byte[] gatewayKey = new byte[GatewayKeys.KeyLength], cdldKey = new byte[GatewayKeys.KeyLength];
        int at = 0;
        if (csv.Length == CsvLength && Expect(csv, ref at, CsvHeader)
            && ExpectRow(csv, ref at, GatewayRow, gatewayKey) && ExpectRow(csv, ref at, CdldRow, cdldKey))
        {
            return new GatewayKeys(gatewayKey, cdldKey);
        }
        CryptographicOperations.ZeroMemory(gatewayKey);
        CryptographicOperations.ZeroMemory(cdldKey);
        throw new KeyFileException("The gateway key file opened, but its content is not the expected key CSV (name,key / gateway,<hex> / cdld,<hex>).");

        static bool ExpectRow(ReadOnlySpan<byte> csv, ref int at, ReadOnlySpan<byte> name, Span<byte> key)
        {
            if (!Expect(csv, ref at, name) || !KeyHex.TryDecodeLower(csv.Slice(at, HexLength), key))
                return false;
            at += HexLength;
            return Expect(csv, ref at, "\n"u8);
        }

        static bool Expect(ReadOnlySpan<byte> csv, ref int at, ReadOnlySpan<byte> text)
        {
            if (!csv[at..].StartsWith(text))
                return false;
            at += text.Length;
            return true;
        }
    }
}
