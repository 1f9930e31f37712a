using System.Diagnostics;
using System.Globalization;
using Provisioning.Core.Node;
using Provisioning.Core.Transport;

namespace Provisioning.Core.Station;

/// <summary>
/// What is known about one device while a station flow runs (the node flow, the eMCM flows): for progress, the device
/// log, error messages and the result. The flows add what only they report.
/// </summary>
internal class StationJob(ProvisionRequest request, IProgress<ProvisionProgress>? progress)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ProvisionRequest Request { get; } = request;
    public uint? NodeId { get; set; }
    public ulong? ConfigId { get; set; }
    public bool Locked { get; set; }
    public Guid? RequestId { get; set; }

    /// <summary>What the flow is doing now, for a message about a failure ("while writing the field configuration").</summary>
    public string Doing { get; set; } = "fetching the configuration";

    /// <summary>The node image being written, if any (a failure names how far it got).</summary>
    public NodeImageTarget? Image { get; set; }
    public long ImageSize { get; set; }
    public long ImageConfirmed { get; set; }
    public DeviceLog? Log { get; init; }
    public NodeClient? Node { get; set; }
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>
    /// Runs the device's flow to its result: <paramref name="failed"/> turns a failure into one; a cancellation is logged and
    /// thrown. <paramref name="finish"/> logs the result; the progress bar ends either way.
    /// </summary>
    public async Task<TResult> RunAsync<TResult>(Func<Task<TResult>> flow, Func<Exception, TResult> failed, Action<TResult> finish,
        CancellationToken cancellationToken) where TResult : class
    {
        TResult? result = null;
        try
        {
            return result = await flow().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log?.Write(StationLogLevel.Critical, $"Stopped by the operator while {Doing}; nothing was confirmed on the server.");
            throw;
        }
        catch (Exception e)
        {
            if (e is StationFailureException { ConfigId: { } resolved }) ConfigId = resolved;
            return result = failed(e);
        }
        finally
        {
            if (result is not null) finish(result);
            Report(ProvisionStep.Done, "Done");
        }
    }

    /// <summary>Progress of an image transfer: how far it got (for a failure's message) and a report per confirmed chunk.</summary>
    public IProgress<long> TransferProgress(ProvisionStep step, string what, long length) => new InlineProgress(confirmed =>
    {
        ImageConfirmed = confirmed;
        int percent = length == 0 ? 100 : (int)(confirmed * 100 / length);
        Report(step, $"Writing {what}: {confirmed:N0} of {length:N0} bytes", percent);
    });

    public void Report(ProvisionStep step, string status, int percent = -1)
    {
        Log?.Step(step, status, LinkStatistics());
        progress?.Report(new ProvisionProgress(Request.Port, step, percent, status));
    }

    public (int Damaged, int Resends, int ChunksLost)? LinkStatistics()
        => Node is { } node ? (node.LinkStatistics.DamagedFrames, node.LinkStatistics.Resends, node.ChunksLost) : null;

    public virtual string Position() => Image is null ? "" : $" at {ImageConfirmed.ToString(CultureInfo.InvariantCulture)} of {ImageSize.ToString(CultureInfo.InvariantCulture)} bytes";

    public string LineDescription() => NodeTransport.IsTcp(Request.Port)
        ? $" (timing assumes a {Request.BaudRate} baud line behind the device server; give -BaudRate with the device's rate)"
        : $" (line set to {Request.BaudRate} baud)";
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (Progress&lt;T&gt; would post to a context).</summary>
internal sealed class InlineProgress(Action<long> report) : IProgress<long>
{
    public void Report(long value) => report(value);
}
