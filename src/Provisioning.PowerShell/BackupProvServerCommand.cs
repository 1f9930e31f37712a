using System.Management.Automation;
using System.Security;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Takes a consistent backup of a running provisioning server while stations keep working, encrypted under a passphrase.</para>
/// </summary>
[Cmdlet(VerbsData.Backup, "ProvServer", SupportsShouldProcess = true)]
[OutputType(typeof(ProvBackup))]
public sealed class BackupProvServerCommand : ProvServerCmdlet
{
    /// <summary>The backup file to write (by convention *.provbak).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The passphrase that encrypts the backup; Restore-ProvServer needs it.</summary>
    [Parameter(Mandatory = true)]
    public SecureString Passphrase { get; set; } = null!;

    /// <summary>Replaces an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        string path = ResolvePath(Path);
        if (Directory.Exists(path))
        {
            WriteError(Error(new IOException($"'{path}' is a folder: give the file to write, e.g. {System.IO.Path.Combine(path, "provisioning.provbak")}."),
                "BackupPathIsFolder", ErrorCategory.InvalidArgument, path));
            return;
        }
        if (!Force && File.Exists(path))
        {
            WriteError(Error(new IOException($"The file '{path}' already exists; use -Force to replace it."), "BackupFileExists", ErrorCategory.ResourceExists, path));
            return;
        }
        if (Passphrase.Length == 0)
        {
            WriteError(Error(new ArgumentException("The backup passphrase is empty; give one (Read-Host -AsSecureString)."), "PassphraseEmpty", ErrorCategory.InvalidArgument, "Passphrase"));
            return;
        }
        if (!ShouldProcess(path, $"Back up the provisioning server {Connection}")) return;

        char[] passphrase = Reveal(Passphrase);
        var latest = new LatestValue<(string Phase, long Bytes)>();
        var progress = NewProgress<(string Phase, long Bytes)>(7, $"Backing up {Connection}", p =>
            (p.Phase == "Checking" ? $"Reading the backup back: {p.Bytes:N0} bytes checked" : $"Received {p.Bytes:N0} bytes", -1));
        try
        {
            var file = Await(ServerBackupDownload.RunAsync(Client, path, passphrase, Force, (phase, bytes) => latest.Report((phase, bytes)), Cancellation), () =>
            {
                if (latest.Take() is { } p) progress.Report(p);
            });
            WriteObject(new ProvBackup(file));
        }
        catch (ProvServerException e) { WriteError(ServerError(e, path)); }
        catch (Exception e) when (FileErrorCategory(e, ErrorCategory.WriteError) is { } category) { WriteError(Error(e, "BackupNotWritten", category, path)); }
        finally
        {
            Clear(passphrase);
            progress.Complete();
        }
    }
}
