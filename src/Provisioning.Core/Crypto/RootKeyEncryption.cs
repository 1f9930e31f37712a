using System.Security.Cryptography;

namespace Provisioning.Core.Crypto;

/// <summary>
/// How a node root key is encrypted for the KMS: the name that travels in device records and key exports, and the
/// padding that name stands for. The station encrypts, the server checks the name, the KMS ingest decrypts: one definition.
/// </summary>
public static class RootKeyEncryption
{
    /// <summary>The algorithm name in device records and export files (format version 1 knows only this one).</summary>
    public const string Algorithm = "RSA-OAEP-SHA256";

    /// <summary>The RSA padding <see cref="Algorithm"/> names.</summary>
    public static RSAEncryptionPadding Padding => RSAEncryptionPadding.OaepSHA256;
}
