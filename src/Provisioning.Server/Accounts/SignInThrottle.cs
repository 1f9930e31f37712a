using System.Collections.Concurrent;

namespace Provisioning.Server.Accounts;

/// <summary>
/// The in-memory half of sign-in throttling (per server instance): failures per client address in a sliding window,
/// and the same lock schedule as accounts for names that have no account, so whether a name is throttled says
/// nothing about whether it exists. Accounts themselves are throttled in the database (<c>users.failed_logins</c>).
/// </summary>
public sealed class SignInThrottle(SignInSettings settings)
{
    // Bounds the memory an attacker spraying names or addresses can make the server hold.
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _addresses = new();
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset? LockedUntil)> _unknownNames = new();

    /// <summary>Until when an address is throttled (its oldest failure in the window leaves it then); null when it is not.</summary>
    public DateTimeOffset? AddressThrottledUntil(string address, DateTimeOffset now)
    {
        if (!_addresses.TryGetValue(address, out var failures))
            return null;
        lock (failures)
        {
            Prune(failures, now);
            return failures.Count >= Math.Max(1, settings.AddressFailures) ? failures.Peek() + Window : null;
        }
    }

    /// <summary>Counts a failure from an address.</summary>
    public void AddressFailed(string address, DateTimeOffset now)
    {
        if (_addresses.Count >= MaxEntries)
            Sweep(now);
        var failures = _addresses.GetOrAdd(address, _ => new Queue<DateTimeOffset>());
        lock (failures)
        {
            Prune(failures, now);
            failures.Enqueue(now);
            // More than the threshold need not be kept: the window slides from the oldest ones.
            while (failures.Count > Math.Max(1, settings.AddressFailures))
                failures.Dequeue();
        }
    }

    /// <summary>Until when a name with no account is locked; null when it is not.</summary>
    public DateTimeOffset? UnknownNameLockedUntil(string name, DateTimeOffset now) =>
        _unknownNames.TryGetValue(name, out var entry) && entry.LockedUntil > now ? entry.LockedUntil : null;

    /// <summary>Counts a failure for a name with no account, locking it as an account would be.</summary>
    public void UnknownNameFailed(string name, DateTimeOffset now)
    {
        if (_unknownNames.Count >= MaxEntries)
            Sweep(now);
        _unknownNames.AddOrUpdate(name,
            _ => (1, settings.LockFor(1) is { } span ? now + span : null),
            (_, entry) =>
            {
                int failures = entry.Failures + 1;
                return (failures, settings.LockFor(failures) is { } span ? now + span : entry.LockedUntil);
            });
    }

    private TimeSpan Window => TimeSpan.FromSeconds(Math.Max(1, settings.AddressWindowSeconds));

    private void Prune(Queue<DateTimeOffset> failures, DateTimeOffset now)
    {
        while (failures.Count > 0 && failures.Peek() + Window <= now)
            failures.Dequeue();
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (address, failures) in _addresses)
            lock (failures)
            {
                Prune(failures, now);
                if (failures.Count == 0)
                    _addresses.TryRemove(address, out _);
            }
        var forgetBefore = now - TimeSpan.FromSeconds(Math.Max(settings.AccountLockMaxSeconds, settings.AddressWindowSeconds));
        foreach (var (name, entry) in _unknownNames)
            if (entry.LockedUntil is null || entry.LockedUntil < forgetBefore)
                _unknownNames.TryRemove(name, out _);
        // Still full after forgetting what has expired: an attack in progress; drop the oldest half rather than grow.
        if (_unknownNames.Count >= MaxEntries)
            foreach (var name in _unknownNames.Keys.Take(MaxEntries / 2))
                _unknownNames.TryRemove(name, out _);
    }
}
