using System.Diagnostics;

namespace Provisioning.Core.Client;

/// <summary>How a server stop ended.</summary>
public enum ServerStopOutcome
{
    /// <summary>The server exited cleanly when asked.</summary>
    Stopped,
    /// <summary>It did not exit by the deadline and was killed.</summary>
    Killed,
    /// <summary>It was not running any more.</summary>
    NotRunning,
}

/// <summary>Stops a server: asks it (<c>POST /server/stop</c>), waits for its process to exit, kills it as a last resort.</summary>
public static class ServerShutdown
{
    /// <summary>
    /// Stops the server behind <paramref name="client"/> whose process is <paramref name="processId"/> (a local process when the
    /// address is loopback). A refused token is an error (nothing is killed); a server that accepted but does not exit by
    /// <paramref name="timeout"/>, or a local process that no longer answers, is killed.
    /// </summary>
    public static async Task<ServerStopOutcome> StopAsync(ProvServerClient client, int? processId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Process? process = processId is { } id && ServerAddress.IsLoopback(client.Server) ? TryGetProcess(id) : null;
        try
        {
            try
            {
                await client.StopServerAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ProvServerException e) when (e.Status is null)
            {
                // No answer: gone already, or hung.
                if (process is null || process.HasExited) return ServerStopOutcome.NotRunning;
                process.Kill(entireProcessTree: true);
                return ServerStopOutcome.Killed;
            }

            if (process is null)
                return await WaitUntilSilentAsync(client, processId, timeout, cancellationToken).ConfigureAwait(false);

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                return ServerStopOutcome.Stopped;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                return ServerStopOutcome.Killed;
            }
        }
        finally { process?.Dispose(); }
    }

    // A remote server cannot be watched as a process: it has stopped when its health no longer answers with its ID.
    private static async Task<ServerStopOutcome> WaitUntilSilentAsync(ProvServerClient client, int? processId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            try
            {
                var health = await client.GetHealthAsync(cancellationToken).ConfigureAwait(false);
                if (processId is not null && health.ProcessId != processId) return ServerStopOutcome.Stopped;
            }
            catch (ProvServerException e) when (e.Status is null) { return ServerStopOutcome.Stopped; }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        throw ProvServerException.Timeout(client.Server, "by stopping", timeout);
    }

    private static Process? TryGetProcess(int id)
    {
        try { return Process.GetProcessById(id); }
        catch (ArgumentException) { return null; }
    }
}
