using System.Diagnostics;
using Provisioning.Core.Api;

namespace Provisioning.Core.Client;

/// <summary>A server process started from this process: its output tail, and its answer to health once it is up.</summary>
public sealed class ServerProcess : IDisposable
{
    private ServerProcess(Process process, ServerLaunch launch, OutputTail output)
    {
        Process = process;
        Launch = launch;
        Output = output;
    }

    /// <summary>The running process.</summary>
    public Process Process { get; }

    /// <summary>How it was started.</summary>
    public ServerLaunch Launch { get; }

    /// <summary>The last lines it wrote to stdout and stderr.</summary>
    public OutputTail Output { get; }

    /// <summary>Its health answer once it was up.</summary>
    public HealthInfo? Health { get; private set; }

    /// <summary>The address clients on this machine use.</summary>
    public Uri Address => Launch.ClientAddress;

    /// <summary>How a client on this machine trusts the server (over HTTPS: its CA, or the operator certificate's fingerprint).</summary>
    public ServerTrust Trust { get; private set; } = ServerTrust.System;

    /// <summary>The certificate the server presented when it came up (HTTPS), or null.</summary>
    public PresentedCertificate? ServerCertificate { get; private set; }

    /// <summary>
    /// Starts the server and waits until <c>GET /health</c> answers with this process's ID. Throws
    /// <see cref="ServerStartException"/> with the server's own reason when it exits first, when the port answers
    /// for another process, or when <paramref name="timeout"/> passes; the process is then stopped.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(ServerLaunch launch, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var output = new OutputTail();
        var process = new Process { StartInfo = launch.StartInfo(), EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new ServerStartException($"The server could not be started with '{launch.DotnetHost}' ({e.Message}). Check that the .NET runtime is installed.", null, e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new ServerProcess(process, launch, output);
        try
        {
            await server.WaitUntilUpAsync(timeout, cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            server.Kill();
            server.Dispose();
            throw;
        }
    }

    private async Task WaitUntilUpAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ProvServerClient? client = null;
        try { await PollHealthAsync(() => client ??= NewClient(), timeout, cancellationToken).ConfigureAwait(false); }
        finally { client?.Dispose(); }
    }

    // A TLS server's client trusts the CA that the server writes as it starts: there is no client until then.
    private ProvServerClient? NewClient() =>
        Launch.ClientTrust() is { } trust ? new ProvServerClient(Address, null, trust) { RequestTimeout = TimeSpan.FromSeconds(2) } : null;

    private async Task PollHealthAsync(Func<ProvServerClient?> client, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        string url = ServerAddress.Display(Address);
        HealthInfo? other = null;
        string? lastRefusal = null;
        while (true)
        {
            if (Process.HasExited)
            {
                // Drain the redirected streams so the reason is complete.
                await Process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                string reason = Output.Lines.Count > 0 ? Output.ToString().TrimEnd('.') : "it printed no reason";
                string port = other is null ? "" : $" Port {Launch.Port} is answered by another server (process {other.ProcessId}).";
                throw new ServerStartException($"The server exited while starting (exit code {Process.ExitCode}): {reason}.{port}", Process.ExitCode, null);
            }

            try
            {
                if (client() is { } ready)
                {
                    var health = await ready.GetHealthAsync(cancellationToken).ConfigureAwait(false);
                    if (health.ProcessId == Process.Id)
                    {
                        Health = health;
                        Trust = ready.Trust;
                        ServerCertificate = ready.ServerCertificate;
                        return;
                    }
                    // Someone else answers on the port; ours should soon exit saying why.
                    other = health;
                }
            }
            catch (ProvServerException e) when (e.ErrorId is "CertificateNotTrusted")
            {
                // A server answering with a certificate not of this data folder's CA is not the one started.
                lastRefusal = e.Message;
            }
            catch (ProvServerException) { /* not listening yet */ }

            if (Environment.TickCount64 > deadline)
            {
                string seen = other is null
                    ? $"it did not answer at {url}"
                    : $"{url} is answered by another process ({other.ProcessId}), not by the server started ({Process.Id}): the port belongs to someone else; choose another -Port";
                if (lastRefusal is not null) seen = lastRefusal.TrimEnd('.');
                string log = Output.Lines.Count > 0 ? $" Its last output: {Output}" : $" Its log: {Launch.LogPath}";
                throw new ServerStartException($"The server did not come up within {timeout.TotalSeconds:0} s: {seen}.{log}", null, null);
            }
            // Wake early when the process exits.
            await Task.WhenAny(Process.WaitForExitAsync(cancellationToken), Task.Delay(100, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Kills the process and its children, if still running.</summary>
    public void Kill()
    {
        try { if (!Process.HasExited) Process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { /* already gone */ }
    }

    /// <inheritdoc/>
    public void Dispose() => Process.Dispose();
}

/// <summary>The server could not be started; the message carries its own reason.</summary>
public sealed class ServerStartException(string message, int? exitCode, Exception? inner) : Exception(message, inner)
{
    /// <summary>The process's exit code when it exited.</summary>
    public int? ExitCode { get; } = exitCode;
}
