using System.Security.Cryptography;

namespace Provisioning.Core.Crypto;

/// <summary>
/// How a host application's key (an eMCM key, guide C.5 <c>app_keys</c>) is encrypted for the head end: RSA-OAEP-SHA256 with
/// the app bundle's public key (guide C.2), written as upper-case hex — the guide's <c>npt_comm.EncryptKeyInfo</c>. The
/// station, <c>Protect-ProvAppKey</c> and <c>Read-ProvKeyFile -AppName</c> share this one definition.
/// </summary>
public static class AppKeyEncryption
{
    /// <summary>The algorithm name, as docs and logs give it.</summary>
    public const string Algorithm = RootKeyEncryption.Algorithm;

    /// <summary>The RSA padding <see cref="Algorithm"/> names.</summary>
    public static RSAEncryptionPadding Padding => RootKeyEncryption.Padding;

    /// <summary>Encrypts <paramref name="key"/> for the app's public key (PEM); the result is hex.</summary>
    /// <param name="publicKeyPem">The app bundle's RSA public key (SubjectPublicKeyInfo or PKCS#1 PEM).</param>
    /// <param name="key">The key material; never copied into managed strings here.</param>
    /// <param name="sourceName">What the public key is, for an error message (e.g. "the public key of app 'emcm' in config 69").</param>
    public static string Encrypt(string publicKeyPem, ReadOnlySpan<byte> key, string sourceName)
    {
        using var rsa = KmsKeyPair.ParsePublicKey(publicKeyPem ?? "", sourceName);
        return Encrypt(rsa, key);
    }

    /// <summary>Encrypts <paramref name="key"/> with an RSA public key already loaded; the result is hex.</summary>
    public static string Encrypt(RSA publicKey, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (key.IsEmpty) throw new ArgumentException("An application key cannot be empty.", nameof(key));
        byte[] encrypted = new byte[publicKey.KeySize / 8];
        int written = publicKey.Encrypt(key, encrypted, RootKeyEncryption.Padding);
        return Convert.ToHexString(encrypted, 0, written);
    }

    /// <summary>
    /// Decrypts hex from <see cref="Encrypt(RSA, ReadOnlySpan{byte})"/> with the head end's private key. The caller owns
    /// (and zeroes) the result. Throws <see cref="CryptographicException"/> when the key does not fit or the data is damaged.
    /// </summary>
    public static byte[] Decrypt(RSA privateKey, string encryptedHex)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        byte[] data;
        try
        {
            data = Convert.FromHexString(encryptedHex ?? "");
        }
        catch (FormatException e)
        {
            throw new CryptographicException("The encrypted application key is not hex.", e);
        }
        return privateKey.Decrypt(data, RootKeyEncryption.Padding);
    }
}
