using Provisioning.Core.Api;

namespace Provisioning.Bench;

/// <summary>
/// The devices the export bench seeds: what 32 stations would have recorded for one config over a few weeks.
/// Node IDs are spread over the whole 32-bit space (so rows are not stored in node order, which the export's ORDER BY
/// must then undo), batches hold 5,000 devices each, and every row carries a 384-byte value where the RSA-3072 OAEP
/// block of its root key would be plus app data of the bench package's two applications.
/// </summary>
internal sealed class SeedDevice
{
    /// <summary>Odd, so index * stride (mod 2^32) gives every index its own node ID.</summary>
    private const ulong NodeStride = 2_654_435_761;
    private const int DevicesPerBatch = 5_000;
    private static readonly DateTimeOffset FirstDevice = new(2026, 11, 2, 6, 0, 0, TimeSpan.Zero);

    private readonly Random _random;

    /// <summary>Device number <paramref name="index"/>; its random content comes from <paramref name="random"/> (one per thread).</summary>
    public SeedDevice(long index, Random random)
    {
        Index = index;
        _random = random;
    }

    public long Index { get; }
    public uint NodeId => NodeIdOf(Index);
    public static uint NodeIdOf(long index) => (uint)((ulong)index * NodeStride);
    public uint Batch => (uint)(1000 + Index / DevicesPerBatch);
    /// <summary>One device every 1.2 s across the line.</summary>
    public long TimestampMs => FirstDevice.ToUnixTimeMilliseconds() + Index * 1200;
    public string Station => $"line {1 + Index % 4}, port ttyUSB{Index % 8}";

    /// <summary>A version 4 GUID as the store keeps it (RFC 4122 byte order), as a station makes one per attempt.</summary>
    public static byte[] RequestId() => Guid.NewGuid().ToByteArray(bigEndian: true);

    public byte[] EncryptedRootKey()
    {
        var block = new byte[384];
        _random.NextBytes(block);
        return block;
    }

    /// <summary>Per-app data as a station reports it: emcm id, its key sealed with the app's RSA-2048 key, extra info; zigbee EUI-64 and link key.</summary>
    public IReadOnlyList<DeviceApp> Apps() =>
    [
        new DeviceApp("emcm", Convert.ToHexStringLower(BitConverter.GetBytes(NodeId)), Hex(256), Hex(8)),
        new DeviceApp("zigbee", Hex(8), Hex(16), null),
    ];

    private string Hex(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        _random.NextBytes(buffer);
        return Convert.ToHexStringLower(buffer);
    }
}
