using System.Security.Cryptography;

namespace Provisioning.Core.Crypto;

/// <summary>
/// A key buffer the garbage collector never moves (so no stray copies are left in freed memory) and that is zeroed on dispose.
/// </summary>
public sealed class PinnedKey : IDisposable
{
    private readonly byte[] _bytes;

    /// <summary>A zeroed pinned buffer of <paramref name="length"/> bytes.</summary>
    public PinnedKey(int length) => _bytes = GC.AllocateArray<byte>(length, pinned: true);

    /// <summary>A new key of <paramref name="length"/> bytes from the operating system's CSPRNG.</summary>
    public static PinnedKey Random(int length)
    {
        var key = new PinnedKey(length);
        RandomNumberGenerator.Fill(key._bytes);
        return key;
    }

    /// <summary>A pinned copy of <paramref name="key"/>.</summary>
    public static PinnedKey CopyOf(ReadOnlySpan<byte> key)
    {
        var copy = new PinnedKey(key.Length);
        key.CopyTo(copy._bytes);
        return copy;
    }

    /// <summary>The key, for calls that take memory (async writes).</summary>
    public ReadOnlyMemory<byte> Memory => _bytes;

    /// <summary>The key.</summary>
    public ReadOnlySpan<byte> Span => _bytes;

    /// <inheritdoc/>
    public override string ToString() => $"PinnedKey({_bytes.Length} bytes)";

    /// <summary>Zeroes the key.</summary>
    public void Dispose() => CryptographicOperations.ZeroMemory(_bytes);
}
