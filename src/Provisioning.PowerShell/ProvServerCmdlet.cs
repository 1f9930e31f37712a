using System.Management.Automation;
using Provisioning.Core.Client;
using Provisioning.Core.Packaging;

namespace Provisioning.PowerShell;

/// <summary>
/// Base of the cmdlets that talk to a provisioning server: the -Server parameter (default: the session's current
/// server), one client per cmdlet call, server failures as error records, and async calls awaited on the pipeline thread
/// so progress can be written while they run.
/// </summary>
public abstract class ProvServerCmdlet : ProvCmdlet, IDisposable
{
    private ProvServerClient? _client;

    /// <summary>The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.</summary>
    [Parameter]
    [ProvServerTransformation]
    [ValidateNotNull]
    public ProvServerConnection? Server { get; set; }

    /// <summary>What to tell a user who has no server: how to get one.</summary>
    protected const string NoServerMessage =
        "No provisioning server is connected: start one with Start-ProvServer, connect to one with Connect-ProvServer -Uri <address> -Token <token>, or give -Server.";

    /// <summary>True when -Server is given or the session has a current server.</summary>
    protected bool HasConnection => (Server ?? ProvServerSession.Current) is not null;

    /// <summary>The connection in use: -Server, or the session's current one; stops with an error saying how to connect when there is none.</summary>
    protected ProvServerConnection Connection
    {
        get
        {
            var connection = Server ?? ProvServerSession.Current;
            if (connection is null)
                Fail(new InvalidOperationException(NoServerMessage),
                    "NoServerConnected", ErrorCategory.ConnectionError, null);
            return connection!;
        }
    }

    /// <summary>The client for this call (created on first use).</summary>
    protected ProvServerClient Client => _client ??= Connection.OpenClient();

    /// <summary>Runs a server call and waits for it on the pipeline thread. A failure stops the cmdlet.</summary>
    protected T Call<T>(Func<ProvServerClient, CancellationToken, Task<T>> call, object? target)
    {
        if (TryCall(call, target, out var result, terminating: true)) return result!;
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Runs a server call; a failure is written as a non-terminating error and false is returned.</summary>
    protected bool TryCall<T>(Func<ProvServerClient, CancellationToken, Task<T>> call, object? target, out T? result)
        => TryCall(call, target, out result, terminating: false);

    private bool TryCall<T>(Func<ProvServerClient, CancellationToken, Task<T>> call, object? target, out T? result, bool terminating)
    {
        result = default;
        try
        {
            result = Await(call(Client, Cancellation));
            return true;
        }
        catch (ProvServerException e)
        {
            var record = ServerError(e, target);
            if (terminating) ThrowTerminatingError(record);
            WriteError(record);
            return false;
        }
    }

    /// <summary>
    /// What a Get- cmdlet lists: the items whose name matches <paramref name="name"/> (wildcards, any case; all when
    /// null), the revoked ones only when <paramref name="includeRevoked"/>.
    /// </summary>
    protected static IEnumerable<T> Listed<T>(IEnumerable<T> items, string? name, bool includeRevoked, Func<T, string> nameOf, Func<T, bool> isRevoked)
    {
        var pattern = name is null ? null : WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
        return items.Where(item => (includeRevoked || !isRevoked(item)) && (pattern is null || pattern.IsMatch(nameOf(item))));
    }

    /// <summary>Parses a config ID (decimal or 0x hex) given by the user; a bad one is a non-terminating error naming it.</summary>
    protected bool TryParseConfigId(string text, out ulong id)
    {
        id = 0;
        if (!ProvConfigId.TryParse(text, out var parsed, out var error))
        {
            WriteError(Error(new ArgumentException(error), "InvalidConfigId", ErrorCategory.InvalidArgument, text));
            return false;
        }
        id = parsed.Value;
        return true;
    }

    /// <summary>
    /// The -From/-To of a query as instants (a -To of a date alone means the end of that day); a range that can match nothing
    /// is a non-terminating error and false.
    /// </summary>
    protected bool TryTimeRange(DateTime? fromParameter, DateTime? toParameter, out DateTimeOffset? from, out DateTimeOffset? to)
    {
        from = fromParameter is { } f ? new DateTimeOffset(f) : null;
        to = toParameter is { } t ? new DateTimeOffset(t.TimeOfDay == TimeSpan.Zero ? t.Date.AddDays(1).AddTicks(-1) : t) : null;
        if (from <= to || from is null || to is null) return true;
        WriteError(Error(new ArgumentException($"-From ({from:u}) is after -To ({to:u}): nothing could match. Swap them or widen the range."),
            "BadFilter", ErrorCategory.InvalidArgument, fromParameter));
        return false;
    }

    /// <summary>An error record for a server failure: the server's error ID, a category from the status.</summary>
    protected static ErrorRecord ServerError(ProvServerException e, object? target)
    {
        var category = e.Status switch
        {
            null => e.ErrorId == "ExportMismatch" ? ErrorCategory.InvalidResult : ErrorCategory.ConnectionError,
            401 => ErrorCategory.AuthenticationError,
            403 => ErrorCategory.PermissionDenied,
            404 => ErrorCategory.ObjectNotFound,
            409 => ErrorCategory.ResourceExists,
            400 => ErrorCategory.InvalidArgument,
            422 => ErrorCategory.InvalidData,
            >= 500 => ErrorCategory.ResourceUnavailable,
            _ => ErrorCategory.NotSpecified,
        };
        return Error(e, e.ErrorId, category, target);
    }

    /// <summary>Disposes the client.</summary>
    public void Dispose()
    {
        _client?.Dispose();
        _client = null;
        GC.SuppressFinalize(this);
    }
}

/// <summary>The latest value reported from any thread, read on the pipeline thread to write progress.</summary>
internal sealed class LatestValue<T> : IProgress<T> where T : struct
{
    private T? _value;
    private readonly object _gate = new();

    public void Report(T value)
    {
        lock (_gate) _value = value;
    }

    /// <summary>The value reported since the last take, if any.</summary>
    public T? Take()
    {
        lock (_gate)
        {
            var value = _value;
            _value = null;
            return value;
        }
    }
}
