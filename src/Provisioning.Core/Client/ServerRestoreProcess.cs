using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Provisioning.Core.Client;

/// <summary>What a restore wrote (the <c>result</c> line of the server's <c>restore</c> command).</summary>
/// <param name="SourceEngine">The engine the backup was taken from.</param>
/// <param name="TargetEngine">The engine it was restored into.</param>
/// <param name="BackupCreated">When the backup's snapshot was taken.</param>
/// <param name="SchemaVersion">The schema version restored.</param>
/// <param name="Rows">Rows restored per table.</param>
/// <param name="Files">Files restored (repository and data folder).</param>
/// <param name="Bytes">Their bytes.</param>
public sealed record ServerRestoreResult(string SourceEngine, string TargetEngine, DateTimeOffset BackupCreated, int SchemaVersion,
    IReadOnlyDictionary<string, long> Rows, long Files, long Bytes);

/// <summary>The restore failed; <see cref="ExitCode"/> says how (2 wrong passphrase, 3 damaged backup, 4 refused, 1 other).</summary>
public sealed class ServerRestoreException(int exitCode, string message) : Exception(message)
{
    /// <summary>The restore command's exit code.</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Runs the server's <c>restore</c> command (docs/backup.md) in its own process, with the same data folder and database
/// settings a server start would use; the passphrase goes to its standard input, never to its command line.
/// </summary>
public static class ServerRestoreProcess
{
    /// <summary>Runs the restore to its end; <paramref name="progress"/> gets the phase, bytes done and the backup's size.</summary>
    public static async Task<ServerRestoreResult> RunAsync(ServerLaunch launch, string backupPath, ReadOnlyMemory<char> passphrase, bool force,
        Action<string, long, long>? progress, CancellationToken cancellationToken)
    {
        var info = launch.StartInfo();
        // The restore is a command of the server, not a server: no listener address; it runs and exits.
        int at = info.ArgumentList.IndexOf(launch.ServerAssembly);
        int urls = info.ArgumentList.IndexOf("--urls");
        if (urls > at)
        {
            info.ArgumentList.RemoveAt(urls + 1);
            info.ArgumentList.RemoveAt(urls);
        }
        info.ArgumentList.Insert(at + 1, "restore");
        info.ArgumentList.Insert(at + 2, "--backup");
        info.ArgumentList.Insert(at + 3, Path.GetFullPath(backupPath));
        if (force) info.ArgumentList.Insert(at + 4, "--force");
        info.RedirectStandardInput = true;

        using var process = new Process { StartInfo = info };
        var errors = new OutputTail();
        ServerRestoreResult? result = null;
        process.ErrorDataReceived += (_, e) => errors.Add(e.Data);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            string[] parts = line.Split('\t');
            if (parts is ["progress", var phase, var done, var total] && long.TryParse(done, out long d) && long.TryParse(total, out long t))
                progress?.Invoke(phase, d, t);
            else if (parts is ["result", var json])
                result = JsonSerializer.Deserialize<ServerRestoreResult>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        };
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ServerRestoreException(1, $"The restore could not be started with '{launch.DotnetHost}' ({e.Message}). Check that the .NET runtime is installed.");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        byte[] secret = new byte[Encoding.UTF8.GetByteCount(passphrase.Span) + 1];
        try
        {
            Encoding.UTF8.GetBytes(passphrase.Span, secret);
            secret[^1] = (byte)'\n';
            await process.StandardInput.BaseStream.WriteAsync(secret, cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        finally
        {
            Array.Clear(secret);
        }
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped by the user: the restore's transaction rolls back when its process ends.
            process.Kill(entireProcessTree: true);
            throw;
        }
        process.WaitForExit(); // the output events are all delivered after this
        if (process.ExitCode != 0 || result is null)
        {
            string reason = errors.ToString();
            throw new ServerRestoreException(process.ExitCode == 0 ? 1 : process.ExitCode,
                reason.Length > 0 ? reason : $"The restore stopped with exit code {process.ExitCode} and said nothing.");
        }
        return result;
    }
}
