using System.Security;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Export;

/// <summary>
/// One device of a key export with its root key decrypted (<see cref="KeyFileIngest.Decrypt"/>). The key lives in a
/// pinned buffer that <see cref="Dispose"/> zeroes; it leaves only as a <see cref="SecureString"/> or as a copy the
/// caller asked for. <see cref="ToString"/> never shows it.
/// </summary>
public sealed class DecryptedDevice : IDisposable
{
    private readonly PinnedKey _rootKey;
    private bool _disposed;

    internal DecryptedDevice(ExportedDevice device, PinnedKey rootKey)
    {
        Device = device;
        _rootKey = rootKey;
        // A check value identifies a 128-bit (AES) key without revealing it; other lengths have none.
        KeyCheckValue = rootKey.Span.Length == GatewayKeys.KeyLength ? GatewayKeys.CheckValue(rootKey.Span) : null;
    }

    /// <summary>The device as the export file describes it (node ID, config, batch, time, status, encrypted key).</summary>
    public ExportedDevice Device { get; }

    /// <summary>Key check value of the root key (hex; first 3 bytes of AES-ECB of a zero block); null when the key is not 128 bits.</summary>
    public string? KeyCheckValue { get; }

    /// <summary>Length of the root key in bytes.</summary>
    public int RootKeyLength => _rootKey.Span.Length;

    /// <summary>The plaintext root key.</summary>
    public ReadOnlySpan<byte> RootKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _rootKey.Span;
        }
    }

    /// <summary>The root key as lower-case hex text in a read-only <see cref="SecureString"/>, built without an intermediate string.</summary>
    public SecureString RootKeyAsSecureString()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return SecureHex.Of(_rootKey.Span);
    }

    /// <summary>A plain copy of the root key that the caller owns (and should zero when done).</summary>
    public byte[] CopyRootKey() => RootKey.ToArray();

    /// <inheritdoc/>
    public override string ToString() => $"DecryptedDevice(0x{Device.NodeId:X8})";

    /// <summary>Zeroes the root key.</summary>
    public void Dispose()
    {
        _rootKey.Dispose();
        _disposed = true;
    }
}
