using System.Security.Cryptography;

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

    /// <summary>Encrypts <paramref name="keys"/> under <paramref name="passphrase"/>, signs with <paramref name="kmsPrivateKey"/>, writes both files into <paramref name="directory"/>.</summary>
    public static GatewayKeyFileInfo Write(string directory, GatewayKeys keys, ReadOnlySpan<char> passphrase, RSA kmsPrivateKey, bool overwrite = false, int iterations = DefaultIterations)
        => throw new NotImplementedException();

    /// <summary>The encrypted file's bytes (format v1) for <paramref name="keys"/>.</summary>
    public static byte[] Encrypt(GatewayKeys keys, ReadOnlySpan<char> passphrase, int iterations = DefaultIterations)
        => throw new NotImplementedException();

    /// <summary>RSA PKCS#1 v1.5 SHA-256 signature over the encrypted file's bytes.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> encryptedFile, RSA kmsPrivateKey)
        => throw new NotImplementedException();

    /// <summary>True when <paramref name="signature"/> is the KMS signature over <paramref name="encryptedFile"/>.</summary>
    public static bool VerifySignature(ReadOnlySpan<byte> encryptedFile, ReadOnlySpan<byte> signature, RSA kmsPublicKey)
        => throw new NotImplementedException();

    /// <summary>
    /// Decrypts the file. Throws <see cref="WrongPassphraseException"/> when the passphrase does not open it,
    /// <see cref="KeyFileException"/> when the file is not a gateway key file.
    /// </summary>
    public static GatewayKeys Decrypt(ReadOnlySpan<byte> encryptedFile, ReadOnlySpan<char> passphrase)
        => throw new NotImplementedException();
}
