using System.Globalization;
using System.Management.Automation;
using System.Security;
using System.Text;
using Provisioning.Core.Api;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Imports configuration packages into the provisioning server; -WhatIf shows the uploaded package information without importing.</para>
/// </summary>
[Cmdlet(VerbsData.Import, "ProvPackage", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(PackageSummary))]
public sealed class ImportProvPackageCommand : ProvServerCmdlet
{
    /// <summary>The packages (.tar.gz) to import; wildcards are expanded.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("PackagePath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>The packages (.tar.gz) to import, taken exactly as typed (no wildcards); Get-ChildItem output binds here by its PSPath.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>The gateway key file passphrase.</summary>
    [Parameter(Mandatory = true)]
    public SecureString Passphrase { get; set; } = new();

    /// <summary>A comment shown in the overview.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Comment { get; set; }

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        if (Passphrase.Length == 0)
            Fail(new ArgumentException("The passphrase is empty: give the gateway key file passphrase the package was built with."),
                "PassphraseEmpty", ErrorCategory.InvalidArgument, null);
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (string path in InputPaths(Path, LiteralPath, "PackageNotFound")) Import(path);
    }

    private void Import(string path)
    {
        if (Directory.Exists(path) || !File.Exists(path))
        {
            string why = Directory.Exists(path) ? "is a folder, not a package" : "does not exist";
            WriteError(Error(new FileNotFoundException($"The package '{path}' {why}."), "PackageNotFound", ErrorCategory.ObjectNotFound, path));
            return;
        }

        char[] passphrase = Reveal(Passphrase);
        try
        {
            // -WhatIf and -Confirm show what the server read from the package, so the dry run comes first; a plain import uploads once.
            string target = $"{path} into {Connection}";
            if (Previewing)
            {
                if (!Upload(path, passphrase, dryRun: true, out var preview)) return;
                // Shown like Write-Host (and capturable from the information stream), ahead of the What if / Confirm line.
                WriteInformation(new HostInformationMessage { Message = UploadedPackageInformation(preview!.Package) }, new[] { "PSHOST" });
                target = $"{path} (config {preview.Package.ConfigId}, revision {preview.Package.Revision}) into {Connection}";
            }
            if (!ShouldProcess(target, "Import package")) return;

            if (!Upload(path, passphrase, dryRun: false, out var result)) return;
            if (result!.ReplacedRevision is { } replaced)
                WriteVerbose($"Config {result.Package.ConfigId} revision {result.Package.Revision} replaces revision {replaced}, which stays in history.");
            var output = PSObject.AsPSObject(result.Package);
            output.Properties.Add(new PSNoteProperty("Path", path));
            output.Properties.Add(new PSNoteProperty("ReplacedRevision", result.ReplacedRevision));
            output.TypeNames.Insert(0, "Provisioning.ImportedPackage");
            WriteObject(output);
        }
        finally { Clear(passphrase); }
    }

    private bool Previewing
    {
        get
        {
            var bound = MyInvocation.BoundParameters;
            bool Switch(string name) => bound.TryGetValue(name, out var v) && v is SwitchParameter { IsPresent: true };
            return Switch("WhatIf") || Switch("Confirm") || LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
        }
    }

    private bool Upload(string path, char[] passphrase, bool dryRun, out ImportResult? result)
    {
        string name = System.IO.Path.GetFileName(path);
        long total = new FileInfo(path).Length;
        var sent = new LatestValue<long>();
        var progress = NewProgress<long>(3, $"{(dryRun ? "Checking" : "Importing")} package {name}", bytes =>
            ($"Uploaded {bytes:N0} of {total:N0} bytes", total > 0 ? (int)(bytes * 100 / total) : -1));
        result = null;
        try
        {
            result = Await(Client.ImportPackageAsync(path, passphrase, Comment, dryRun, sent, Cancellation), () =>
            {
                if (sent.Take() is { } bytes) progress.Report(bytes);
            });
            return true;
        }
        catch (ProvServerException e)
        {
            WriteError(PackageError(e, path));
            return false;
        }
        catch (Exception e) when (FileErrorCategory(e, ErrorCategory.ReadError) is { } category)
        {
            WriteError(Error(e, "PackageUnreadable", category, path));
            return false;
        }
        finally { progress.Complete(); }
    }

    // One error per package, naming it (the server knows only the file name) and listing every problem the server found.
    private static ErrorRecord PackageError(ProvServerException e, string path)
    {
        var record = ServerError(e, path);
        // The server's own heading ("The package x was not imported:") is left out of Problems: the path heads the message once.
        string message = e.Problems.Count switch
        {
            > 1 => $"{path} was not imported:{Environment.NewLine}{string.Join(Environment.NewLine, e.Problems.Select(p => "  - " + p))}",
            1 when e.Status == 422 => $"{path} was not imported: {e.Problems[0]}",
            _ => e.Message.Contains(path, StringComparison.Ordinal) ? e.Message : $"{path}: {e.Message}",
        };
        if (e.Status == 409) message += " Nothing was changed on the server.";
        record.ErrorDetails = new ErrorDetails(message);
        return record;
    }

    /// <summary>The guide's "Uploaded Package Information" block.</summary>
    internal static string UploadedPackageInformation(PackageSummary p)
    {
        var text = new StringBuilder("Uploaded Package Information:").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"  Prov. Config ID: {p.ConfigId}");
        if (p.Aliases.Count > 0) text.AppendLine(CultureInfo.InvariantCulture, $"  Config Aliases: {string.Join(", ", p.Aliases)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  App. Label: {p.AppLabel}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  Node Type: {p.NodeType}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  Node Version: {p.NodeVersion}");
        foreach (var app in p.Apps)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  App. Name: {app.Name}");
            text.AppendLine(CultureInfo.InvariantCulture, $"  App. Version: {app.Version}");
        }
        text.Append(CultureInfo.InvariantCulture, $"  Revision: {p.Revision}{(p.Revision > 1 ? " (the current revision would stay in history)" : "")}");
        return text.ToString();
    }
}
