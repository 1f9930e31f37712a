using Provisioning.Core.Backup;

namespace Provisioning.Core.Client;

/// <summary>A backup saved on disk and read back whole with its passphrase.</summary>
/// <param name="Path">Full path of the file.</param>
/// <param name="Summary">What it holds (tables with row counts, files), as read back.</param>
public sealed record ServerBackupFile(string Path, BackupSummary Summary);

/// <summary>
/// Takes a backup of a running server: streams <c>POST /server/backup</c> into <c>&lt;path&gt;.partial</c>, then reads the
/// file back with the passphrase (every chunk, section, file and the file MAC) and only then moves it into place, so a
/// file at the path is always a whole backup that this passphrase opens. On failure nothing is left at the path.
/// </summary>
public static class ServerBackupDownload
{
    /// <summary>Runs the backup; <paramref name="progress"/> gets the phase ("Receiving", "Checking") and the bytes so far.</summary>
    public static async Task<ServerBackupFile> RunAsync(ProvServerClient client, string path, ReadOnlyMemory<char> passphrase, bool overwrite,
        Action<string, long>? progress = null, CancellationToken cancellationToken = default)
    {
        string target = System.IO.Path.GetFullPath(path);
        string partial = target + ".partial";
        if (!overwrite && File.Exists(target))
            throw new IOException($"The file '{target}' already exists; use -Force to replace it.");
        try
        {
            using (var response = await client.StartBackupAsync(passphrase, cancellationToken).ConfigureAwait(false))
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                var received = new Progress<long>(n => progress?.Invoke("Receiving", n));
                await client.CopyBodyAsync(response, file, null, received, "the backup", cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            BackupSummary summary;
            try
            {
                await using var check = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
                summary = await BackupReader.VerifyAsync(check, passphrase, new Progress<long>(n => progress?.Invoke("Checking", n)), cancellationToken).ConfigureAwait(false);
            }
            catch (BackupDamagedException e)
            {
                throw new ProvServerException(client.Server, null, "BackupIncomplete",
                    $"The backup received from {ServerAddress.Display(client.Server)} is not whole ({e.Message}) and was not saved to '{target}'; the server's log says why. Back up again.");
            }
            File.Move(partial, target, overwrite);
            return new ServerBackupFile(target, summary);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }
}
