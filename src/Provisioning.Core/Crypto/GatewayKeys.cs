namespace Provisioning.Core.Crypto;

/// <summary>
/// The network-wide gateway key and code download (CDLD) key, 128 bits each, in memory only.
/// <see cref="Dispose"/> zeroes them. <see cref="ToString"/> never shows them.
/// </summary>
public sealed class GatewayKeys : IDisposable
{
    /// <summary>Key length in bytes.</summary>
    public const int KeyLength = 16;

    /// <summary>Takes ownership of the two arrays (they are zeroed on dispose).</summary>
    public GatewayKeys(byte[] gatewayKey, byte[] cdldKey) => throw new NotImplementedException();

    /// <summary>Two fresh keys from the operating system's CSPRNG.</summary>
    public static GatewayKeys CreateRandom() => throw new NotImplementedException();

    /// <summary>Parses two 32-digit hex strings; the error names which key is malformed, never its value.</summary>
    public static GatewayKeys FromHex(ReadOnlySpan<char> gatewayKeyHex, ReadOnlySpan<char> cdldKeyHex) => throw new NotImplementedException();

    /// <summary>The gateway key.</summary>
    public ReadOnlySpan<byte> GatewayKey => throw new NotImplementedException();
    /// <summary>The code download key.</summary>
    public ReadOnlySpan<byte> CdldKey => throw new NotImplementedException();

    /// <summary>Key check value (first 3 bytes of AES-128-ECB of a zero block, hex) — identifies a key without revealing it.</summary>
    public static string CheckValue(ReadOnlySpan<byte> key) => throw new NotImplementedException();

    /// <inheritdoc/>
    public override string ToString() => "GatewayKeys(gateway, cdld)";

    /// <summary>Zeroes both keys.</summary>
    public void Dispose() => throw new NotImplementedException();
}
