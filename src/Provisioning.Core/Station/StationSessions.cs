using System.Collections.Concurrent;
using Provisioning.Core.Client;

namespace Provisioning.Core.Station;

/// <summary>
/// The configurations of one provisioning run, each fetched and checked once and shared by every device that uses it.
/// A fetch that fails is tried again by the next device that needs it.
/// </summary>
public sealed class StationSessions : IDisposable
{
    private readonly ProvServerClient _server;
    private readonly ConcurrentDictionary<(ConfigSelector Config, PathTranslation? Translation), OnceAsync<StationSession>> _sessions = new();
    private readonly CancellationTokenSource _disposed = new();

    /// <summary>Sessions fetched from <paramref name="server"/>.</summary>
    public StationSessions(ProvServerClient server) => _server = server;

    /// <summary>The server.</summary>
    public ProvServerClient Server => _server;

    /// <summary>The session for <paramref name="config"/>. Throws <see cref="StationFailureException"/> (100, 101, 102, 108).</summary>
    public Task<StationSession> GetAsync(ConfigSelector config, CancellationToken cancellationToken) => GetAsync(config, null, cancellationToken);

    /// <summary>The session for <paramref name="config"/> whose shared-repository paths are read through <paramref name="translation"/>.</summary>
    public Task<StationSession> GetAsync(ConfigSelector config, PathTranslation? translation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        var once = _sessions.GetOrAdd((config, translation), k => new OnceAsync<StationSession>(ct => StationSession.OpenAsync(_server, k.Config, ct, k.Translation)));
        return once.GetAsync(_disposed.Token).WaitAsync(cancellationToken);
    }

    /// <summary>Disposes every session (zeroing the gateway keys).</summary>
    public void Dispose()
    {
        _disposed.Cancel();
        foreach (var once in _sessions.Values) once.Completed?.Dispose();
        _sessions.Clear();
    }
}
