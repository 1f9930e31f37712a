using System.Collections.Concurrent;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>
/// Which server the cmdlets use when -Server is not given: one current connection per runspace (so parallel
/// runspaces choose their own), plus the servers this process knows a token for, so a bare URI finds its token.
/// </summary>
internal static class ProvServerSession
{
    private sealed class Holder { public ProvServerConnection? Current; }

    private static readonly ConditionalWeakTable<Runspace, Holder> CurrentByRunspace = new();
    private static readonly ConcurrentDictionary<string, ProvServerConnection> Known = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ConcurrentDictionary<int, ProvServerHandle> Started = new();

    private static Holder ForThisRunspace() => CurrentByRunspace.GetOrCreateValue(Runspace.DefaultRunspace);

    /// <summary>The current connection of the calling runspace, or null.</summary>
    public static ProvServerConnection? Current => Runspace.DefaultRunspace is null ? null : ForThisRunspace().Current;

    /// <summary>Makes <paramref name="connection"/> current in the calling runspace and remembers its token.</summary>
    public static void SetCurrent(ProvServerConnection connection)
    {
        Remember(connection);
        ForThisRunspace().Current = connection;
    }

    /// <summary>Remembers a connection's token and trust for its address.</summary>
    public static void Remember(ProvServerConnection connection)
    {
        if (connection.Token is not null || !connection.Trust.UsesSystemStore || connection.Trust.ClientCertificate is not null)
            Known[Key(connection.Uri)] = connection;
    }

    /// <summary>A known connection for the address, or a new one without a token.</summary>
    public static ProvServerConnection ForAddress(Uri uri)
        => Known.TryGetValue(Key(uri), out var known) ? known : new ProvServerConnection(uri, null);

    /// <summary>Remembers a server started from this process (Stop-ProvServer -ProcessId finds it).</summary>
    public static void AddStarted(ProvServerHandle handle) => Started[handle.ProcessId] = handle;

    /// <summary>A server started from this process, by process ID.</summary>
    public static ProvServerHandle? FindStarted(int processId) => Started.TryGetValue(processId, out var handle) ? handle : null;

    /// <summary>Forgets a stopped server everywhere, including as the calling runspace's current one.</summary>
    public static void Forget(Uri uri, int? processId)
    {
        Known.TryRemove(Key(uri), out _);
        if (processId is { } id && Started.TryRemove(id, out var handle)) handle.Server.Dispose();
        if (Runspace.DefaultRunspace is not null && ForThisRunspace() is { Current: { } current } holder && Key(current.Uri) == Key(uri))
            holder.Current = null;
    }

    private static string Key(Uri uri) => ServerAddress.Display(uri);
}
