using System.Diagnostics;

namespace Provisioning.Core.Node.Simulator;

/// <summary>
/// Holds bytes back to the rate of a serial line (10 bits per byte: start, 8 data, stop). Times are kept against one
/// absolute clock, so a late wake-up shortens the next wait instead of adding up.
/// </summary>
internal sealed class LinePacer(int baudRate)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly double _byteSeconds = 10.0 / baudRate;
    private double _freeAt;

    /// <summary>Seconds on this pacer's clock.</summary>
    public double Now => _clock.Elapsed.TotalSeconds;

    /// <summary>
    /// Waits until <paramref name="bytes"/> more have crossed the line. <paramref name="arrivedAt"/> is when they became
    /// available (<see cref="Now"/>), or null when they were already waiting: then they follow the previous bytes directly.
    /// </summary>
    public Task PaceAsync(int bytes, double? arrivedAt, CancellationToken cancellationToken)
    {
        double start = arrivedAt is { } at && at > _freeAt ? at : _freeAt;
        _freeAt = start + bytes * _byteSeconds;
        double wait = _freeAt - Now;
        return wait > 0 ? Task.Delay(TimeSpan.FromSeconds(wait), cancellationToken) : Task.CompletedTask;
    }
}
