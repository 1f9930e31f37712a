using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Provisioning.Server.Web;

/// <summary>
/// Keeps web sessions on the server: the sign-in cookie carries only a random session key, and logging out removes
/// the session, so a copy of the old cookie no longer signs anyone in. Sessions end after the cookie's idle time and
/// when the server restarts (people sign in again); AccountSessionCheck ends those whose account changed. Held per server instance: behind a load balancer, keep a browser
/// on one instance (sticky sessions).
/// </summary>
public sealed class WebSessions(TimeProvider time) : ITicketStore
{
    private readonly ConcurrentDictionary<string, AuthenticationTicket> _sessions = new(StringComparer.Ordinal);

    /// <summary>Sessions held now.</summary>
    public int Count => _sessions.Count;

    public Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        Sweep();
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        _sessions[key] = ticket;
        return Task.FromResult(key);
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        // A session removed by logout stays removed, even if a request that started before it renews it.
        if (_sessions.ContainsKey(key))
            _sessions[key] = ticket;
        return Task.CompletedTask;
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        if (!_sessions.TryGetValue(key, out var ticket))
            return Task.FromResult<AuthenticationTicket?>(null);
        if (Expired(ticket))
        {
            _sessions.TryRemove(key, out _);
            return Task.FromResult<AuthenticationTicket?>(null);
        }
        return Task.FromResult<AuthenticationTicket?>(ticket);
    }

    public Task RemoveAsync(string key)
    {
        _sessions.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    private bool Expired(AuthenticationTicket ticket) => ticket.Properties.ExpiresUtc is { } expires && expires <= time.GetUtcNow();

    private void Sweep()
    {
        foreach (var (key, ticket) in _sessions)
            if (Expired(ticket))
                _sessions.TryRemove(key, out _);
    }
}
