using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Provisioning.Core.Crypto;
using Provisioning.Core.Export;

namespace Provisioning.Core.Tests.Export;

/// <summary>The KMS side: root keys written by the export writer decrypt with the KMS private key, and only with it.</summary>
public sealed class KeyFileIngestTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("prov-ingest-").FullName;
    private readonly KmsKeyPairFiles _kms;

    public KeyFileIngestTests() => _kms = KmsKeyPair.Create(Path.Combine(_folder, "kms"), "", keySize: 2048);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private ExportedDevice Encrypted(uint nodeId, byte[] rootKey, string? fingerprint = null, string algorithm = KeyFileIngest.Algorithm)
    {
        using var rsa = KmsKeyPair.LoadPublicKey(_kms.PublicKeyPath);
        return ExportSamples.Device(nodeId) with
        {
            EncryptedRootKey = rsa.Encrypt(rootKey, RSAEncryptionPadding.OaepSHA256),
            KmsKeyFingerprint = fingerprint ?? _kms.Fingerprint,
            KeyAlgorithm = algorithm,
        };
    }

    private static byte[] Key(byte seed) => Enumerable.Range(0, 16).Select(i => (byte)(seed + i * 17)).ToArray();

    [Fact]
    public async Task Every_device_of_a_written_export_decrypts_to_its_root_key()
    {
        var keys = Enumerable.Range(0, 5).ToDictionary(i => (uint)(0x10 + i), i => Key((byte)i));
        byte[] file = await ExportSamples.WriteAsync(keys.Select(k => Encrypted(k.Key, k.Value)));
        using var ingest = new KeyFileIngest(_kms.PrivateKeyPath, "");

        foreach (var device in ExportSamples.ReadAll(file))
        {
            using var decrypted = ingest.Decrypt(device, "device_keys.xml");
            Assert.Equal(keys[device.NodeId], decrypted.RootKey.ToArray());
            Assert.Equal(GatewayKeys.CheckValue(keys[device.NodeId]), decrypted.KeyCheckValue);
            Assert.Equal(device, decrypted.Device);
        }
        Assert.Equal(_kms.Fingerprint, ingest.KmsKeyFingerprint);
    }

    [Fact]
    public void The_secure_string_holds_the_key_as_lower_case_hex_and_nothing_shows_it()
    {
        byte[] key = Key(0xA0);
        using var ingest = new KeyFileIngest(_kms.PrivateKeyPath, "");
        using var decrypted = ingest.Decrypt(Encrypted(0x42, key), "device_keys.xml");

        using var secure = decrypted.RootKeyAsSecureString();
        Assert.True(secure.IsReadOnly());
        IntPtr text = Marshal.SecureStringToGlobalAllocUnicode(secure);
        try { Assert.Equal(Convert.ToHexStringLower(key), Marshal.PtrToStringUni(text)); }
        finally { Marshal.ZeroFreeGlobalAllocUnicode(text); }
        Assert.Equal("DecryptedDevice(0x00000042)", decrypted.ToString());
        Assert.Equal(key, decrypted.CopyRootKey());
    }

    [Fact]
    public void Dispose_zeroes_the_key()
    {
        using var ingest = new KeyFileIngest(_kms.PrivateKeyPath, "");
        var decrypted = ingest.Decrypt(Encrypted(1, Key(1)), "f.xml");
        ReadOnlySpan<byte> buffer = decrypted.RootKey; // the very buffer, seen after it is zeroed
        Assert.Equal(Key(1), buffer.ToArray());

        decrypted.Dispose();

        Assert.Equal(new byte[16], buffer.ToArray());
        Assert.Throws<ObjectDisposedException>(() => decrypted.RootKey.Length);
        Assert.Throws<ObjectDisposedException>(() => decrypted.RootKeyAsSecureString());
    }

    [Fact]
    public void A_device_made_for_another_KMS_key_names_the_node_and_both_keys()
    {
        var other = KmsKeyPair.Create(Path.Combine(_folder, "other"), "", keySize: 2048);
        using var ingest = new KeyFileIngest(other.PrivateKeyPath, "");

        var e = Assert.Throws<RootKeyDecryptionException>(() => ingest.Decrypt(Encrypted(0x10, Key(3)), "device_keys.xml"));

        Assert.Equal((0x10u, _kms.Fingerprint, other.Fingerprint), (e.NodeId, e.FileKeyFingerprint, e.GivenKeyFingerprint));
        Assert.Equal($"device_keys.xml: the root key of node 0x00000010 was encrypted for the KMS key {_kms.Fingerprint}, but the key given " +
            $"({other.PrivateKeyPath}) is {other.Fingerprint}. Read the file with the private key of the KMS key it names.", e.Message);
    }

    [Fact]
    public void A_damaged_block_is_named_as_damaged_without_key_material()
    {
        var device = Encrypted(0x11, Key(4));
        device.EncryptedRootKey[20] ^= 0xFF;
        using var ingest = new KeyFileIngest(_kms.PrivateKeyPath, "");

        var e = Assert.Throws<RootKeyDecryptionException>(() => ingest.Decrypt(device, "device_keys.xml"));

        Assert.Contains("node 0x00000011 does not decrypt with the KMS key", e.Message);
        Assert.Contains("damaged", e.Message);
        Assert.DoesNotContain(Convert.ToHexString(Key(4)), e.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Another_algorithm_is_refused_by_name()
    {
        using var ingest = new KeyFileIngest(_kms.PrivateKeyPath, "");
        var e = Assert.Throws<RootKeyDecryptionException>(() => ingest.Decrypt(Encrypted(0x12, Key(5), algorithm: "RSA-OAEP-SHA512"), "f.xml"));
        Assert.Contains("encrypted with 'RSA-OAEP-SHA512'; this version of Provisioning decrypts only RSA-OAEP-SHA256", e.Message);
    }

    [Fact]
    public void A_key_that_is_not_128_bits_decrypts_without_a_check_value()
    {
        using var ingest = new KeyFileIngest(_kms.PrivateKeyPath, "");
        using var decrypted = ingest.Decrypt(Encrypted(0x13, new byte[32]), "f.xml");
        Assert.Equal(32, decrypted.RootKeyLength);
        Assert.Null(decrypted.KeyCheckValue);
    }

    [Fact]
    public void An_encrypted_KMS_key_needs_its_passphrase()
    {
        var locked = KmsKeyPair.Create(Path.Combine(_folder, "locked"), "kms pass", keySize: 2048);
        Assert.Contains("is encrypted: give its passphrase", Assert.Throws<KeyFileException>(() => new KeyFileIngest(locked.PrivateKeyPath, "")).Message);
        Assert.Throws<WrongPassphraseException>(() => new KeyFileIngest(locked.PrivateKeyPath, "wrong"));
        using var ingest = new KeyFileIngest(locked.PrivateKeyPath, "kms pass");
        Assert.Equal(locked.Fingerprint, ingest.KmsKeyFingerprint);
    }
}
