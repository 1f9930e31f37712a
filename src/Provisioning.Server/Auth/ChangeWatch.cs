using System.Collections.Concurrent;
using Provisioning.Server.Store;

namespace Provisioning.Server.Auth;

/// <summary>
/// The database's change count (<see cref="ISharedChanges"/>) as of the current request, read at most once per request
/// however many caches ask. Caches keep what they loaded together with the count it was loaded under and use it only
/// while the count is unchanged, so a revocation, account change or import made through any server instance sharing the
/// database holds from the next request on every instance: one small read per request instead of a time-to-live.
/// </summary>
public sealed class ChangeWatch(ISharedChanges changes)
{
    private static readonly object CountKey = new();

    /// <summary>The change count for this request (read from the database on the first call of the request).</summary>
    public async ValueTask<long> CurrentAsync(HttpContext? context, CancellationToken ct)
    {
        if (context?.Items[CountKey] is long known)
            return known;
        long count = await changes.GetChangeCountAsync(ct);
        if (context is not null)
            context.Items[CountKey] = count;
        return count;
    }
}

/// <summary>
/// A small cache whose entries hold only while the database's change count is the one they were loaded under (see
/// <see cref="ChangeWatch"/>), and at most <c>keepFor</c>. Only found values are kept: a lookup of an unknown key (a
/// guessed token) is not remembered, so it costs no memory and a new row is seen at once.
/// </summary>
public sealed class CoherentCache<TKey, TValue>(TimeSpan keepFor, int capacity = 10_000) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, (TValue Value, long Changes, DateTime Until)> _entries = new();

    /// <summary>The value kept for <paramref name="key"/> under change count <paramref name="changes"/>.</summary>
    public bool TryGet(TKey key, long changes, out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Changes == changes && entry.Until > DateTime.UtcNow)
        {
            value = entry.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Keeps a value loaded under change count <paramref name="changes"/> (read before it was loaded).</summary>
    public void Set(TKey key, TValue value, long changes)
    {
        if (keepFor <= TimeSpan.Zero)
            return;
        if (_entries.Count >= capacity)
            _entries.Clear(); // a bound on memory; the next requests simply load again
        _entries[key] = (value, changes, DateTime.UtcNow + keepFor);
    }

    /// <summary>Forgets one entry.</summary>
    public void Forget(TKey key) => _entries.TryRemove(key, out _);

    /// <summary>Forgets everything.</summary>
    public void Clear() => _entries.Clear();
}

/// <summary>Stands in for <see cref="ISharedChanges"/> with a store that has no change count (the count never moves).</summary>
internal sealed class NoSharedChanges : ISharedChanges
{
    public Task<long> GetChangeCountAsync(CancellationToken ct = default) => Task.FromResult(0L);
    public Task<bool> TryClaimImportAsync(ulong configId, string claim, DateTimeOffset now, TimeSpan staleAfter, CancellationToken ct = default) => Task.FromResult(true);
    public Task RenewImportClaimsAsync(IReadOnlyCollection<string> claims, DateTimeOffset now, CancellationToken ct = default) => Task.CompletedTask;
    public Task ReleaseImportClaimAsync(ulong configId, string claim, CancellationToken ct = default) => Task.CompletedTask;
    public Task ReleaseImportClaimsStartingAsync(string prefix, CancellationToken ct = default) => Task.CompletedTask;
}
