using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Provisioning.Core.Crypto;

/// <summary>Paths and fingerprint of a KMS key pair written by <see cref="KmsKeyPair.Create"/>.</summary>
/// <param name="PrivateKeyPath">Full path of <c>kms_key.pem</c> (PKCS#8, optionally passphrase-encrypted).</param>
/// <param name="PublicKeyPath">Full path of <c>kms_key.pub.pem</c> (SubjectPublicKeyInfo).</param>
/// <param name="Fingerprint">The public key's fingerprint, see <see cref="KmsKeyPair.Fingerprint"/>.</param>
/// <param name="KeySize">RSA modulus size in bits.</param>
/// <param name="Encrypted">Whether the private key file is passphrase-encrypted.</param>
public sealed record KmsKeyPairFiles(string PrivateKeyPath, string PublicKeyPath, string Fingerprint, int KeySize, bool Encrypted);

/// <summary>
/// The Key Management Server's RSA key pair: the private key signs gateway key files and decrypts
/// exported device keys; the public key travels in every package and encrypts device root keys.
/// </summary>
public static class KmsKeyPair
{
    /// <summary>File name of the private key.</summary>
    public const string PrivateKeyFileName = "kms_key.pem";
    /// <summary>File name of the public key.</summary>
    public const string PublicKeyFileName = "kms_key.pub.pem";
    /// <summary>RSA modulus size used for new key pairs.</summary>
    public const int DefaultKeySize = 3072;

    /// <summary>PBES2 parameters of an encrypted private key file; OpenSSL 3 reads them (<c>openssl pkey</c>).</summary>
    internal static readonly PbeParameters PrivateKeyEncryption = new(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 600_000);

    private const string Pkcs8Label = "PRIVATE KEY", EncryptedPkcs8Label = "ENCRYPTED PRIVATE KEY", Pkcs1PrivateLabel = "RSA PRIVATE KEY";
    private const string SpkiLabel = "PUBLIC KEY", Pkcs1PublicLabel = "RSA PUBLIC KEY";
    private const int MaxKeyFileBytes = 1 << 20;

    /// <summary>
    /// Creates a new RSA key pair and writes <c>kms_key.pem</c> and <c>kms_key.pub.pem</c> into <paramref name="directory"/>.
    /// An empty <paramref name="passphrase"/> writes an unencrypted PKCS#8 key. Existing files are only replaced with <paramref name="overwrite"/>.
    /// </summary>
    public static KmsKeyPairFiles Create(string directory, ReadOnlySpan<char> passphrase, bool overwrite = false, int keySize = DefaultKeySize)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(keySize, 2048);
        string dir = Path.GetFullPath(directory);
        string privatePath = Path.Combine(dir, PrivateKeyFileName), publicPath = Path.Combine(dir, PublicKeyFileName);
        KeyFileWriter.RefuseExisting(privatePath, overwrite);
        KeyFileWriter.RefuseExisting(publicPath, overwrite);
        Directory.CreateDirectory(dir);

        using var rsa = RSA.Create(keySize);
        bool encrypted = !passphrase.IsEmpty;
        byte[] privatePem = ExportPrivateKeyPem(rsa, passphrase);
        try
        {
            byte[] publicPem = Encoding.ASCII.GetBytes(rsa.ExportSubjectPublicKeyInfoPem() + "\n");
            KeyFileWriter.WriteAll(overwrite, (privatePath, privatePem, true), (publicPath, publicPem, false));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privatePem);
        }
        return new KmsKeyPairFiles(privatePath, publicPath, Fingerprint(rsa), rsa.KeySize, encrypted);
    }

    /// <summary>Loads a private key PEM (PKCS#8, encrypted PKCS#8 or PKCS#1). Throws <see cref="KeyFileException"/> with an operator-readable message.</summary>
    public static RSA LoadPrivateKey(string path, ReadOnlySpan<char> passphrase)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] raw = ReadKeyFile(path, "private key");
        char[] text = GC.AllocateArray<char>(raw.Length, pinned: true);
        byte[]? der = null;
        try
        {
            int length = Encoding.ASCII.GetChars(raw, text);
            ReadOnlySpan<char> pem = text.AsSpan(0, length);
            if (pem.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
                throw new KeyFileException($"The private key file '{path}' uses the legacy OpenSSL PEM encryption, which is not supported: convert it to encrypted PKCS#8 with 'openssl pkcs8 -topk8 -v2 aes-256-cbc'.");
            if (FindFirst(pem, Pkcs8Label, EncryptedPkcs8Label, Pkcs1PrivateLabel) is not { } block)
                throw NotA(path, "PEM RSA private key");
            if (block.Label == EncryptedPkcs8Label && passphrase.IsEmpty)
                throw new KeyFileException($"The private key file '{path}' is encrypted: give its passphrase.");
            der = DecodeBase64(pem, block);
            return ImportPrivateKey(path, block.Label, der, passphrase);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(text.AsSpan()));
            if (der is not null)
                CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>Loads a public key PEM (SubjectPublicKeyInfo or PKCS#1). Throws <see cref="KeyFileException"/>.</summary>
    public static RSA LoadPublicKey(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] raw = ReadKeyFile(path, "public key");
        try
        {
            // Refused before it becomes a string, which could not be wiped.
            if (raw.AsSpan().IndexOf("PRIVATE KEY-----"u8) >= 0)
                throw HoldsPrivateKey(path);
            return ParsePublicKey(Encoding.ASCII.GetString(raw), path);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw); // it may, by mistake, be a private key
        }
    }

    /// <summary>Parses public key PEM text. Throws <see cref="KeyFileException"/> naming <paramref name="sourceName"/>.</summary>
    public static RSA ParsePublicKey(string pem, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(pem);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (PemBlocks(pem).Exists(b => b.Label.EndsWith(Pkcs8Label, StringComparison.Ordinal)))
            throw HoldsPrivateKey(sourceName);
        if (FindFirst(pem, SpkiLabel, Pkcs1PublicLabel) is not { } block)
            throw NotA(sourceName, "PEM RSA public key");
        byte[] der = DecodeBase64(pem, block);
        var rsa = RSA.Create();
        try
        {
            int read;
            if (block.Label == SpkiLabel)
                rsa.ImportSubjectPublicKeyInfo(der, out read);
            else
                rsa.ImportRSAPublicKey(der, out read);
            if (read != der.Length)
                throw new CryptographicException("Trailing data after the key.");
            return rsa;
        }
        catch (CryptographicException e)
        {
            rsa.Dispose();
            throw NotA(sourceName, "PEM RSA public key", e);
        }
    }

    /// <summary>Fingerprint of a public key: <c>SHA256:</c> and the lower-case hex SHA-256 of its SubjectPublicKeyInfo DER.</summary>
    public static string Fingerprint(RSA key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return "SHA256:" + Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    private static byte[] ExportPrivateKeyPem(RSA rsa, ReadOnlySpan<char> passphrase)
    {
        // Built in buffers that are wiped afterwards: the BCL's string-returning exports cannot be.
        char[] chars = GC.AllocateArray<char>(16 * 1024, pinned: true);
        try
        {
            int written;
            bool ok = passphrase.IsEmpty
                ? rsa.TryExportPkcs8PrivateKeyPem(chars, out written)
                : rsa.TryExportEncryptedPkcs8PrivateKeyPem(passphrase, PrivateKeyEncryption, chars, out written);
            if (!ok || written == chars.Length)
                throw new CryptographicException("The private key PEM does not fit its buffer.");
            chars[written++] = '\n';
            byte[] pem = GC.AllocateArray<byte>(written, pinned: true);
            Encoding.ASCII.GetBytes(chars.AsSpan(0, written), pem);
            return pem;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(chars.AsSpan()));
        }
    }

    private static RSA ImportPrivateKey(string path, string label, byte[] der, ReadOnlySpan<char> passphrase)
    {
        var rsa = RSA.Create();
        try
        {
            switch (label)
            {
                case Pkcs8Label: rsa.ImportPkcs8PrivateKey(der, out _); break;
                case Pkcs1PrivateLabel: rsa.ImportRSAPrivateKey(der, out _); break;
                default: rsa.ImportEncryptedPkcs8PrivateKey(passphrase, der, out _); break;
            }
            return rsa;
        }
        catch (CryptographicException e)
        {
            rsa.Dispose();
            if (label == EncryptedPkcs8Label && !OpensAsOtherKeyType(der, passphrase))
                throw new WrongPassphraseException($"The passphrase is wrong: it does not open the private key file {path}.");
            throw NotA(path, "PEM RSA private key", e);
        }
    }

    /// <summary>
    /// An encrypted PKCS#8 key that RSA refuses is either a wrong passphrase or another kind of key;
    /// the BCL cannot decrypt without importing, so try the other common kind to tell them apart.
    /// </summary>
    private static bool OpensAsOtherKeyType(byte[] der, ReadOnlySpan<char> passphrase)
    {
        using var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportEncryptedPkcs8PrivateKey(passphrase, der, out _);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The file's bytes in a pinned array, so that zeroing it leaves no copy behind.</summary>
    private static byte[] ReadKeyFile(string path, string what)
    {
        if (!File.Exists(path))
            throw new KeyFileException($"The {what} file '{path}' was not found.");
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.Length > MaxKeyFileBytes)
                throw NotA(path, $"PEM RSA {what}");
            byte[] bytes = GC.AllocateArray<byte>((int)stream.Length, pinned: true);
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"The {what} file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>A PEM block: its label and where its base64 body is in the whole text.</summary>
    private readonly record struct PemBlock(string Label, Range Base64, int DecodedLength);

    private static List<PemBlock> PemBlocks(ReadOnlySpan<char> text)
    {
        var blocks = new List<PemBlock>();
        int offset = 0;
        while (PemEncoding.TryFind(text[offset..], out PemFields fields))
        {
            var (start, length) = fields.Base64Data.GetOffsetAndLength(text.Length - offset);
            blocks.Add(new PemBlock(text[offset..][fields.Label].ToString(), new Range(offset + start, offset + start + length), fields.DecodedDataLength));
            offset += fields.Location.End.GetOffset(text.Length - offset);
        }
        return blocks;
    }

    private static PemBlock? FindFirst(ReadOnlySpan<char> text, params ReadOnlySpan<string> labels)
    {
        foreach (PemBlock block in PemBlocks(text))
        {
            if (labels.Contains(block.Label))
                return block;
        }
        return null;
    }

    /// <summary>The DER body of <paramref name="block"/>, in a pinned array the caller may zero.</summary>
    private static byte[] DecodeBase64(ReadOnlySpan<char> text, PemBlock block)
    {
        byte[] der = GC.AllocateArray<byte>(block.DecodedLength, pinned: true);
        if (!Convert.TryFromBase64Chars(text[block.Base64], der, out int written) || written != der.Length)
            throw new CryptographicException("Bad base64."); // TryFind has validated it already
        return der;
    }

    private static KeyFileException HoldsPrivateKey(string source)
        => new($"'{source}' holds a private key; a package must carry only the public key.");

    private static KeyFileException NotA(string source, string what, Exception? inner = null)
        => new($"'{source}' is not a {what}.", inner);
}
