using System.Security.Cryptography;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Export;

/// <summary>
/// The KMS side of a key export (guide §3.3): holds the KMS private key and decrypts each device's root key from a
/// <see cref="KeyExportReader"/> as the KMS would — RSA-OAEP with SHA-256 — after checking that the device names this
/// KMS key. One instance serves any number of export files. Plaintext exists only in pinned buffers that are zeroed.
/// </summary>
public sealed class KeyFileIngest : IDisposable
{
    /// <summary>The one key algorithm of format version 1.</summary>
    public const string Algorithm = RootKeyEncryption.Algorithm;

    private readonly RSA _kmsKey;

    /// <summary>Loads the KMS private key (PKCS#8, encrypted PKCS#8 or PKCS#1 PEM).</summary>
    /// <param name="kmsPrivateKeyPath">The KMS private key file, e.g. <c>kms_key.pem</c>.</param>
    /// <param name="passphrase">Its passphrase when it is encrypted; empty otherwise.</param>
    /// <exception cref="KeyFileException">The key file is missing, not an RSA private key, encrypted without a passphrase given, or the passphrase is wrong.</exception>
    public KeyFileIngest(string kmsPrivateKeyPath, ReadOnlySpan<char> passphrase)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kmsPrivateKeyPath);
        KmsPrivateKeyPath = kmsPrivateKeyPath;
        _kmsKey = KmsKeyPair.LoadPrivateKey(kmsPrivateKeyPath, passphrase);
        KmsKeyFingerprint = KmsKeyPair.Fingerprint(_kmsKey);
    }

    /// <summary>The private key file this ingest decrypts with.</summary>
    public string KmsPrivateKeyPath { get; }

    /// <summary>Fingerprint of the KMS key (as <see cref="ExportedDevice.KmsKeyFingerprint"/> names the key a device's root key was encrypted for).</summary>
    public string KmsKeyFingerprint { get; }

    /// <summary>Decrypts one device's root key.</summary>
    /// <param name="device">A device as read from the export.</param>
    /// <param name="sourceName">How messages name the export file.</param>
    /// <returns>The device with its plaintext root key; dispose it to zero the key.</returns>
    /// <exception cref="RootKeyDecryptionException">
    /// This device's key cannot be decrypted with this KMS key (made for another KMS key, another algorithm, or a damaged block).
    /// The rest of the file may still be read.
    /// </exception>
    public DecryptedDevice Decrypt(ExportedDevice device, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        string node = $"0x{device.NodeId:X8}";
        if (!string.Equals(device.KeyAlgorithm, Algorithm, StringComparison.Ordinal))
            throw new RootKeyDecryptionException(device, KmsKeyFingerprint,
                $"{sourceName}: the root key of node {node} is encrypted with '{device.KeyAlgorithm}'; this version of Provisioning decrypts only {Algorithm}. Read the file with a newer Provisioning.");
        // The KMS checks the file names its own key before decrypting: a mismatch is the wrong key, not a damaged file.
        if (!string.Equals(device.KmsKeyFingerprint, KmsKeyFingerprint, StringComparison.OrdinalIgnoreCase))
            throw new RootKeyDecryptionException(device, KmsKeyFingerprint,
                $"{sourceName}: the root key of node {node} was encrypted for the KMS key {device.KmsKeyFingerprint}, but the key given ({KmsPrivateKeyPath}) is {KmsKeyFingerprint}. " +
                "Read the file with the private key of the KMS key it names.");

        // Decrypted into pinned buffers, so zeroing them leaves no copy behind (RSA.Decrypt would return a movable array).
        byte[] block = GC.AllocateArray<byte>(_kmsKey.KeySize / 8, pinned: true);
        try
        {
            if (!_kmsKey.TryDecrypt(device.EncryptedRootKey, block, RootKeyEncryption.Padding, out int length) || length == 0)
                throw new CryptographicException("The decrypted block is empty or does not fit.");
            return new DecryptedDevice(device, PinnedKey.CopyOf(block.AsSpan(0, length)));
        }
        catch (CryptographicException e)
        {
            throw new RootKeyDecryptionException(device, KmsKeyFingerprint,
                $"{sourceName}: the root key of node {node} does not decrypt with the KMS key {KmsKeyFingerprint} ({KmsPrivateKeyPath}), which is the key the file names for it: " +
                "its encrypted block is damaged (the file was edited or corrupted on the way). Export this node's key again.", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }

    /// <summary>Releases the KMS private key.</summary>
    public void Dispose() => _kmsKey.Dispose();
}
