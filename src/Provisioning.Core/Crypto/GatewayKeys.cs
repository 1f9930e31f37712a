using System.Security.Cryptography;

namespace Provisioning.Core.Crypto;

/// <summary>
/// The network-wide gateway key and code download (CDLD) key, 128 bits each, in memory only.
/// <see cref="Dispose"/> zeroes them. <see cref="ToString"/> never shows them.
/// </summary>
public sealed class GatewayKeys : IDisposable
{
    /// <summary>Key length in bytes.</summary>
    public const int KeyLength = 16;

    private const string GatewayName = "gateway key", CdldName = "CDLD key";

    private readonly byte[] _gatewayKey;
    private readonly byte[] _cdldKey;
    private bool _disposed;

    /// <summary>Takes ownership of the two arrays (they are zeroed on dispose).</summary>
    public GatewayKeys(byte[] gatewayKey, byte[] cdldKey)
    {
        ArgumentNullException.ThrowIfNull(gatewayKey);
        ArgumentNullException.ThrowIfNull(cdldKey);
        RequireLength(gatewayKey.Length, GatewayName, nameof(gatewayKey));
        RequireLength(cdldKey.Length, CdldName, nameof(cdldKey));
        _gatewayKey = gatewayKey;
        _cdldKey = cdldKey;
    }

    /// <summary>Two fresh keys from the operating system's CSPRNG.</summary>
    public static GatewayKeys CreateRandom()
        => new(RandomNumberGenerator.GetBytes(KeyLength), RandomNumberGenerator.GetBytes(KeyLength));

    /// <summary>Parses two 32-digit hex strings; the error names which key is malformed, never its value.</summary>
    public static GatewayKeys FromHex(ReadOnlySpan<char> gatewayKeyHex, ReadOnlySpan<char> cdldKeyHex)
    {
        byte[] gatewayKey = ParseHex(gatewayKeyHex, GatewayName, nameof(gatewayKeyHex));
        try
        {
            return new GatewayKeys(gatewayKey, ParseHex(cdldKeyHex, CdldName, nameof(cdldKeyHex)));
        }
        catch
        {
            CryptographicOperations.ZeroMemory(gatewayKey);
            throw;
        }
    }

    /// <summary>The gateway key.</summary>
    public ReadOnlySpan<byte> GatewayKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _gatewayKey;
        }
    }

    /// <summary>The code download key.</summary>
    public ReadOnlySpan<byte> CdldKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _cdldKey;
        }
    }

    /// <summary>Key check value (first 3 bytes of AES-128-ECB of a zero block, hex) — identifies a key without revealing it.</summary>
    public static string CheckValue(ReadOnlySpan<byte> key) => Convert.ToHexString(CheckValueBytes(key));

    /// <summary>The key check value as its 3 bytes, as a node reports it (docs/node-protocol.md, KeyCheck).</summary>
    public static byte[] CheckValueBytes(ReadOnlySpan<byte> key)
    {
        RequireLength(key.Length, "key", nameof(key));
        using var aes = Aes.Create();
        aes.SetKey(key);
        Span<byte> block = stackalloc byte[16];
        block.Clear();
        aes.EncryptEcb(block, block, PaddingMode.None);
        return block[..3].ToArray();
    }

    /// <inheritdoc/>
    public override string ToString() => "GatewayKeys(gateway, cdld)";

    /// <summary>Zeroes both keys.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_gatewayKey);
        CryptographicOperations.ZeroMemory(_cdldKey);
        _disposed = true;
    }

    private static void RequireLength(int length, string keyName, string paramName)
    {
        if (length != KeyLength)
            throw new ArgumentException($"The {keyName} must be {KeyLength} bytes long; it is {length} bytes.", paramName);
    }

    /// <summary>32 hex digits, optionally with a 0x prefix and surrounding white space. The message never echoes the input.</summary>
    private static byte[] ParseHex(ReadOnlySpan<char> text, string keyName, string paramName)
    {
        text = text.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            text = text[2..];
        if (text.Length != 2 * KeyLength)
            throw new ArgumentException($"The {keyName} is malformed: it must be {2 * KeyLength} hex digits, but has {text.Length} characters.", paramName);
        var key = new byte[KeyLength];
        for (int i = 0; i < KeyLength; i++)
        {
            int hi = KeyHex.DigitValue(text[2 * i]), lo = KeyHex.DigitValue(text[2 * i + 1]);
            if (hi < 0 || lo < 0)
            {
                CryptographicOperations.ZeroMemory(key);
                throw new ArgumentException($"The {keyName} is malformed: it holds characters that are not hex digits (0-9, a-f).", paramName);
            }
            key[i] = (byte)(hi << 4 | lo);
        }
        return key;
    }
}
