using System.Security.Cryptography;
using System.Text;
using Provisioning.Server.Hosting;

namespace Provisioning.Server.Keys;

/// <summary>
/// The server master key: 32 random bytes in a file readable by the server's owner only, created on first start.
/// Gateway and CDLD keys are sealed with it (AES-256-GCM) before they reach the database, so a database dump alone
/// reveals no key. Sealed format: version byte 1, 12-byte nonce, 16-byte tag, ciphertext.
/// </summary>
public sealed class MasterKey : IDisposable
{
    private const byte Version = 1;
    private const int NonceSize = 12, TagSize = 16, KeySize = 32;
    private readonly byte[] _key;

    private MasterKey(byte[] key) => _key = key;

    /// <summary>Loads the key file, creating it when it does not exist.</summary>
    public static MasterKey LoadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            byte[] fresh = RandomNumberGenerator.GetBytes(KeySize);
            try
            {
                OwnerOnlyFile.CreateNew(path, fresh);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another instance created it first; use theirs.
            }
            finally
            {
                CryptographicOperations.ZeroMemory(fresh);
            }
        }
        byte[] key = File.ReadAllBytes(path);
        if (key.Length != KeySize)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new InvalidOperationException($"The master key file {path} holds {key.Length} bytes, not {KeySize}; restore it from backup (gateway keys sealed with it cannot be read otherwise).");
        }
        return new MasterKey(key);
    }

    /// <summary>Seals <paramref name="plaintext"/>, binding it to <paramref name="context"/> (it opens only with the same context).</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string context)
    {
        byte[] sealedData = new byte[1 + NonceSize + TagSize + plaintext.Length];
        sealedData[0] = Version;
        var nonce = sealedData.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedData.AsSpan(1 + NonceSize + TagSize), sealedData.AsSpan(1 + NonceSize, TagSize), Encoding.UTF8.GetBytes(context));
        return sealedData;
    }

    /// <summary>Opens sealed data into <paramref name="plaintext"/> (the caller zeroes it); throws when the data or the key is not the one sealed.</summary>
    public void Open(ReadOnlySpan<byte> sealedData, string context, Span<byte> plaintext)
    {
        if (sealedData.Length < 1 + NonceSize + TagSize || sealedData[0] != Version || plaintext.Length != sealedData.Length - 1 - NonceSize - TagSize)
            throw new CryptographicException("Sealed data is malformed.");
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(sealedData.Slice(1, NonceSize), sealedData[(1 + NonceSize + TagSize)..], sealedData.Slice(1 + NonceSize, TagSize), plaintext, Encoding.UTF8.GetBytes(context));
    }

    /// <summary>Length of the plaintext inside sealed data.</summary>
    public static int PlaintextLength(ReadOnlySpan<byte> sealedData) => Math.Max(0, sealedData.Length - 1 - NonceSize - TagSize);

    /// <inheritdoc/>
    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
