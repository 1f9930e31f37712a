using System.Management.Automation;
using System.Security;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Restores a backup made by Backup-ProvServer into an empty server (data folder and database), on any engine.</para>
/// </summary>
[Cmdlet(VerbsData.Restore, "ProvServer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ProvRestore))]
public sealed class RestoreProvServerCommand : ProvCmdlet
{
    /// <summary>The backup file.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The data folder of the server to restore into (created when missing).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string DataPath { get; set; } = "";

    /// <summary>The database to restore into: sqlite (default, in the data folder), sqlite:&lt;file&gt; or mysql:&lt;connection string&gt;.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>The database user and password.</summary>
    [Parameter]
    [Credential]
    public PSCredential? DatabaseCredential { get; set; }

    /// <summary>The passphrase the backup was made with.</summary>
    [Parameter(Mandatory = true)]
    public SecureString Passphrase { get; set; } = null!;

    /// <summary>Replaces everything in a server that is not empty (its tables, repository and secret files) with the backup.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        string backup = ResolveOneExistingPath(Path, nameof(Path));
        string serverAssembly = StartProvServerCommand.ServerAssembly;
        if (!File.Exists(serverAssembly))
            Fail(new FileNotFoundException($"The server is not installed beside the module: '{serverAssembly}' is missing. Build the module with ./build.ps1 Build."),
                "ServerNotInstalled", ErrorCategory.ObjectNotFound, serverAssembly);
        string? host = DotnetHost.Find();
        if (host is null)
            Fail(new FileNotFoundException("The 'dotnet' host that runs the restore was not found. Install the .NET 10 runtime."), "DotnetNotFound", ErrorCategory.ObjectNotFound, "dotnet");

        string dataPath = ResolvePath(DataPath);
        char[]? password = DatabaseCredential is null ? null : Reveal(DatabaseCredential.Password);
        char[] passphrase = Reveal(Passphrase);
        var latest = new LatestValue<(string Phase, long Done, long Total)>();
        var progress = NewProgress<(string Phase, long Done, long Total)>(8, $"Restoring {System.IO.Path.GetFileName(backup)}", p =>
            ($"{(p.Phase == "Verifying" ? "Checking the whole backup before writing" : "Writing into the new server")}: {p.Done:N0} of {p.Total:N0} bytes",
             p.Total > 0 ? (int)(p.Done * 100 / p.Total) : -1));
        try
        {
            var launch = new ServerLaunch
            {
                ServerAssembly = serverAssembly,
                DotnetHost = host!,
                DataPath = dataPath,
                Database = StartProvServerCommand.ResolveSqliteFile(Database, ResolvePath),
                DatabaseUser = DatabaseCredential?.UserName,
                DatabasePassword = password,
            };
            string description;
            try { description = launch.DescribeDatabase(); }
            catch (ArgumentException e) { Fail(e, "InvalidDatabaseSpec", ErrorCategory.InvalidArgument, Database); return; }
            string action = Force ? "Restore the backup, replacing whatever the server holds" : "Restore the backup into an empty server";
            if (!ShouldProcess($"data {dataPath}, database {description}", $"{action} ({backup})")) return;

            ServerRestoreResult result;
            try
            {
                result = Await(ServerRestoreProcess.RunAsync(launch, backup, passphrase, Force, (phase, done, total) => latest.Report((phase, done, total)), Cancellation), () =>
                {
                    if (latest.Take() is { } p) progress.Report(p);
                });
            }
            catch (ServerRestoreException e)
            {
                var (id, category) = e.ExitCode switch
                {
                    2 => ("WrongPassphrase", ErrorCategory.AuthenticationError),
                    3 => ("BackupDamaged", ErrorCategory.InvalidData),
                    4 => ("RestoreRefused", ErrorCategory.ResourceExists),
                    _ => ("RestoreFailed", ErrorCategory.WriteError),
                };
                WriteError(Error(e, id, category, backup));
                return;
            }
            WriteObject(new ProvRestore(result, dataPath, description));
        }
        finally
        {
            if (password is not null) Clear(password);
            Clear(passphrase);
            progress.Complete();
        }
    }
}
