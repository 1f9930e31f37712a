using System.Collections.Concurrent;
using Provisioning.Core.Client;
using Provisioning.Core.Emcm;
using Provisioning.Core.Node;

namespace Provisioning.Core.Station;

/// <summary>
/// One provisioning run of a station: devices on several ports at once, up to a throttle limit, each configuration
/// fetched once. Jobs for the same port run one after the other (one device on a cable at a time).
/// </summary>
public sealed class StationRun : IDisposable
{
    /// <summary>Most ports a run drives at once.</summary>
    public const int MaxThrottleLimit = 64;

    private readonly StationSessions _sessions;
    private readonly NodeProvisioner _provisioner;
    private readonly EmcmProvisioner _emcm;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _ports = new(StringComparer.Ordinal);

    /// <summary>A run against <paramref name="server"/> driving at most <paramref name="throttleLimit"/> ports at once.</summary>
    public StationRun(ProvServerClient server, int throttleLimit, NodeClientOptions? nodeOptions = null, string? stationName = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(throttleLimit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(throttleLimit, MaxThrottleLimit);
        _sessions = new StationSessions(server);
        _provisioner = new NodeProvisioner(_sessions, nodeOptions, stationName);
        _emcm = new EmcmProvisioner(_sessions, nodeOptions, stationName);
        _slots = new SemaphoreSlim(throttleLimit, throttleLimit);
    }

    /// <summary>
    /// Where every device's log lines go besides its <see cref="ProvisionRequest.LogPath"/> file: a cmdlet's Verbose and
    /// Debug streams, a console. Called on the devices' threads; null: nowhere.
    /// </summary>
    public Action<StationLogEntry>? LogSink
    {
        get => _provisioner.LogSink;
        set => _provisioner.LogSink = _emcm.LogSink = value;
    }

    /// <summary>
    /// Provisions one device when a slot and its port are free; see <see cref="NodeProvisioner.ProvisionAsync"/>.
    /// The result's duration counts from when the device's turn came, not the wait before it.
    /// </summary>
    public Task<NodeProvisionResult> ProvisionAsync(ProvisionRequest request, ConfigSelector config,
        IProgress<ProvisionProgress>? progress, CancellationToken cancellationToken)
        => InTurnAsync(request.Port, progress, () => _provisioner.ProvisionAsync(request, config, progress, cancellationToken), cancellationToken);

    /// <summary>Single-stage eMCM provisioning when a slot and the port are free; see <see cref="EmcmProvisioner.ProvisionAsync"/>.</summary>
    public Task<EmcmProvisionResult> ProvisionEmcmAsync(EmcmRequest request, ConfigSelector config,
        IProgress<ProvisionProgress>? progress, CancellationToken cancellationToken)
        => InTurnAsync(request.Line.Port, progress, () => _emcm.ProvisionAsync(request, config, progress, cancellationToken), cancellationToken);

    /// <summary>One multi-stage eMCM operation when a slot and the port are free; see <see cref="EmcmProvisioner.RunStageAsync"/>.</summary>
    public Task<EmcmProvisionResult> RunEmcmStageAsync(EmcmFactoryStage stage, EmcmRequest request, ConfigSelector config,
        IProgress<ProvisionProgress>? progress, CancellationToken cancellationToken)
        => InTurnAsync(request.Line.Port, progress, () => _emcm.RunStageAsync(stage, request, config, progress, cancellationToken), cancellationToken);

    private async Task<T> InTurnAsync<T>(string portName, IProgress<ProvisionProgress>? progress, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        progress?.Report(new ProvisionProgress(portName, ProvisionStep.Waiting, -1, "Waiting for a free slot"));
        var port = _ports.GetOrAdd(portName, _ => new SemaphoreSlim(1, 1));
        await port.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await work().ConfigureAwait(false);
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            port.Release();
        }
    }

    /// <summary>Zeroes the gateway keys and releases the configurations. Call once every job has ended.</summary>
    public void Dispose() => _sessions.Dispose();
}
