namespace Provisioning.Core.Node;

/// <summary>
/// Picks the image chunk size for the line as it is: large on a clean line, smaller as chunks are lost, and large again
/// as they pass. It estimates the chance that a line byte is lost from recent outcomes (lost chunks per line byte sent,
/// over about the last <see cref="Memory"/> bytes) and picks the size that moves the most image data per line byte,
/// counting the header every chunk carries and the chunk sent again behind each lost one.
/// </summary>
internal sealed class ChunkSizer
{
    /// <summary>Line bytes of history the loss estimate keeps: older outcomes fade out.</summary>
    public const double Memory = 64 * 1024;

    /// <summary>Smallest chunk it shrinks to: still a quarter or more of each message at the best size for a bit error rate of 1e-3.</summary>
    public const int Floor = 64;

    private readonly int _largest, _overhead, _floor;
    // Until the line shows otherwise, a modest loss rate is assumed (about a bit error rate of 1e-5, weighed as 3 KiB of
    // line): a first chunk of several KiB lost costs the chunks behind it too, while on a clean line this fades within a
    // few tens of KiB.
    private double _lost = PriorLosses, _bytes = PriorLosses / PriorLossRate;
    private int _size;

    private const double PriorLosses = 0.25;
    private const double PriorLossRate = 8e-5;

    /// <summary>A sizer for chunks of at most <paramref name="largest"/> bytes.</summary>
    /// <param name="largest">Largest chunk (what fits the message size and the node).</param>
    /// <param name="overhead">Line bytes every chunk message adds to its data: chunk header, frame and wrapper.</param>
    /// <param name="clean">
    /// True for a link that delivers intact or not at all by itself (a link session): no loss is assumed until one is seen,
    /// so the largest chunk goes first.
    /// </param>
    public ChunkSizer(int largest, int overhead, bool clean = false)
    {
        _largest = largest;
        _overhead = overhead;
        if (clean) (_lost, _bytes) = (0, Memory);
        _floor = Math.Min(Floor, largest);
        _size = Best();
    }

    /// <summary>The chunk size to send next.</summary>
    public int Size => _size;

    /// <summary>The estimated chance that a chunk of the current <see cref="Size"/> is lost.</summary>
    public double LossChance => 1 - Math.Pow(1 - _lost / _bytes, _size + _overhead);

    /// <summary>Chunks judged lost so far (for statistics).</summary>
    public int Losses { get; private set; }

    /// <summary>A chunk of <paramref name="data"/> bytes arrived intact.</summary>
    public void Passed(int data) => Record(data, lost: false);

    /// <summary>A chunk of <paramref name="data"/> bytes was lost on the way.</summary>
    public void Lost(int data)
    {
        Losses++;
        Record(data, lost: true);
    }

    private void Record(int data, bool lost)
    {
        _bytes += data + _overhead;
        if (lost) _lost++;
        if (_bytes > Memory)
        {
            double fade = Memory / _bytes;
            _lost *= fade;
            _bytes = Memory;
        }
        _size = Best();
    }

    /// <summary>The size with the best expected yield for the estimated loss rate per line byte.</summary>
    private int Best()
    {
        if (_lost <= 0) return _largest;
        double q = _lost / _bytes;
        int best = _floor;
        double bestYield = 0;
        for (int size = _floor; ; size = Math.Min(_largest, size + Math.Max(1, size / 16)))
        {
            double intact = Math.Pow(1 - q, size + _overhead);
            // Data per line byte, times the chance it arrives, with one more message behind each loss sent again.
            double yield = intact * size / (size + _overhead) / (2 - intact);
            if (yield > bestYield)
            {
                bestYield = yield;
                best = size;
            }
            if (size >= _largest) break;
        }
        return best;
    }
}
