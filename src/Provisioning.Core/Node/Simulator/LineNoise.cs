namespace Provisioning.Core.Node.Simulator;

/// <summary>
/// Noise on the simulated line, as a noisy UART meets it: bits flipped and bytes lost at random, on both directions.
/// The same seed gives the same noise for the same bytes, so a failing run can be replayed.
/// </summary>
public sealed record LineNoise
{
    /// <summary>Chance that any one data bit is flipped (0: never; 1e-5 is a poor cable, 1e-4 a very noisy one).</summary>
    public double BitErrorRate { get; init; }

    /// <summary>Chance that any one byte is lost on the way.</summary>
    public double ByteDropRate { get; init; }

    /// <summary>Seed of the noise; null: one is chosen at start and reported by <see cref="NodeSimulator.NoiseSeed"/>.</summary>
    public int? Seed { get; init; }

    /// <summary>True when the line is noisy at all.</summary>
    public bool IsNoisy => BitErrorRate > 0 || ByteDropRate > 0;

    internal void Validate()
    {
        if (BitErrorRate is < 0 or > 1 || double.IsNaN(BitErrorRate))
            throw new ArgumentException($"The bit error rate is a probability from 0 to 1, not {BitErrorRate}.");
        if (ByteDropRate is < 0 or > 1 || double.IsNaN(ByteDropRate))
            throw new ArgumentException($"The byte drop rate is a probability from 0 to 1, not {ByteDropRate}.");
    }
}

/// <summary>One direction of a noisy line: its own random stream, drawn as gaps between events so a quiet line costs nothing per byte.</summary>
internal sealed class NoisyDirection
{
    private readonly Random _random;
    private readonly double _bitErrorRate, _byteDropRate;
    private long _bitsToFlip, _bytesToDrop;

    public NoisyDirection(LineNoise noise, int seed)
    {
        _random = new Random(seed);
        _bitErrorRate = noise.BitErrorRate;
        _byteDropRate = noise.ByteDropRate;
        _bitsToFlip = Gap(_bitErrorRate);
        _bytesToDrop = Gap(_byteDropRate);
    }

    /// <summary>Flips and drops in place; returns how many bytes are left at the front of <paramref name="bytes"/>.</summary>
    public int Apply(Span<byte> bytes)
    {
        long bits = bytes.Length * 8L;
        while (_bitsToFlip < bits)
        {
            bytes[(int)(_bitsToFlip / 8)] ^= (byte)(1 << (int)(_bitsToFlip % 8));
            _bitsToFlip += 1 + Gap(_bitErrorRate);
        }
        _bitsToFlip -= bits;

        if (_bytesToDrop >= bytes.Length)
        {
            _bytesToDrop -= bytes.Length;
            return bytes.Length;
        }
        int kept = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            if (_bytesToDrop == 0)
            {
                _bytesToDrop = Gap(_byteDropRate);
                continue;
            }
            _bytesToDrop--;
            bytes[kept++] = bytes[i];
        }
        return kept;
    }

    /// <summary>Events that do not happen before the next one that does, for a chance of <paramref name="p"/> each (geometric).</summary>
    private long Gap(double p)
    {
        if (p <= 0) return long.MaxValue / 2;
        if (p >= 1) return 0;
        double gap = Math.Floor(Math.Log(1 - _random.NextDouble()) / Math.Log(1 - p));
        return gap >= long.MaxValue / 4 ? long.MaxValue / 4 : (long)gap;
    }
}
