namespace Provisioning.Core.Station;

/// <summary>
/// An async value computed once and shared by every caller; a failed or cancelled attempt is forgotten, so the next caller
/// tries again (a server back up after a blip serves the rest of the run).
/// </summary>
internal sealed class OnceAsync<T>(Func<CancellationToken, Task<T>> factory)
{
    private readonly object _gate = new();
    private Task<T>? _task;

    /// <summary>The value, started by the first caller. The factory runs with <see cref="CancellationToken.None"/>
    /// bounded by <paramref name="runCancellation"/>: one waiter giving up must not fail the others.</summary>
    public Task<T> GetAsync(CancellationToken runCancellation)
    {
        lock (_gate)
        {
            if (_task is null || _task.IsFaulted || _task.IsCanceled)
                _task = Task.Run(() => factory(runCancellation), runCancellation);
            return _task;
        }
    }

    /// <summary>The value if it has been computed successfully.</summary>
    public T? Completed
    {
        get
        {
            lock (_gate) return _task is { IsCompletedSuccessfully: true } t ? t.Result : default;
        }
    }
}
