using System.Security.Cryptography;

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

    /// <summary>
    /// Creates a new RSA key pair and writes <c>kms_key.pem</c> and <c>kms_key.pub.pem</c> into <paramref name="directory"/>.
    /// An empty <paramref name="passphrase"/> writes an unencrypted PKCS#8 key. Existing files are only replaced with <paramref name="overwrite"/>.
    /// </summary>
    public static KmsKeyPairFiles Create(string directory, ReadOnlySpan<char> passphrase, bool overwrite = false, int keySize = DefaultKeySize)
        => throw new NotImplementedException();

    /// <summary>Loads a private key PEM (PKCS#8, encrypted PKCS#8 or PKCS#1). Throws <see cref="KeyFileException"/> with an operator-readable message.</summary>
    public static RSA LoadPrivateKey(string path, ReadOnlySpan<char> passphrase)
        => throw new NotImplementedException();

    /// <summary>Loads a public key PEM (SubjectPublicKeyInfo or PKCS#1). Throws <see cref="KeyFileException"/>.</summary>
    public static RSA LoadPublicKey(string path)
        => throw new NotImplementedException();

    /// <summary>Parses public key PEM text. Throws <see cref="KeyFileException"/> naming <paramref name="sourceName"/>.</summary>
    public static RSA ParsePublicKey(string pem, string sourceName)
        => throw new NotImplementedException();

    /// <summary>Fingerprint of a public key: <c>SHA256:</c> and the lower-case hex SHA-256 of its SubjectPublicKeyInfo DER.</summary>
    public static string Fingerprint(RSA key)
        => throw new NotImplementedException();
}
