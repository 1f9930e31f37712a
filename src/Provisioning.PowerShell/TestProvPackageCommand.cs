using System.Management.Automation;
using System.Security;
using Provisioning.Core.Packaging;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Verifies a configuration package: safe structure, every file's hashes, the gateway key signature, and optionally the passphrase.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "ProvPackage", DefaultParameterSetName = PathSet)]
[OutputType(typeof(ProvPackageVerification))]
public sealed class TestProvPackageCommand : ProvCmdlet
{
    /// <summary>The packages (.tar.gz) to verify; wildcards are expanded.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("PackagePath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>The packages (.tar.gz) to verify, taken exactly as typed (no wildcards); Get-ChildItem output binds here by its PSPath.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>The gateway key file passphrase; when given, the cmdlet checks that it opens the gateway key file (the keys are never shown).</summary>
    [Parameter]
    public SecureString? Passphrase { get; set; }

    private void Unreadable(Exception e, ErrorCategory category, string path)
    {
        // Name the package in every message: in a batch the entry name alone does not say which file failed.
        string message = e.Message.Contains(path, StringComparison.Ordinal) ? e.Message : $"{path}: {e.Message}";
        WriteError(new ErrorRecord(e, "PackageUnreadable", category, path) { ErrorDetails = new ErrorDetails(message) });
        WriteObject(new ProvPackageVerification(path, message));
    }

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        if (Passphrase is { Length: 0 })
            Fail(new ArgumentException("The passphrase is empty: give the gateway key file passphrase, or leave -Passphrase out to skip that check."),
                "PassphraseEmpty", ErrorCategory.InvalidArgument, null);
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (string path in InputPaths(Path, LiteralPath, "PackageNotFound")) Verify(path);
    }

    private void Verify(string path)
    {
        char[]? passphrase = Passphrase is null ? null : Reveal(Passphrase);
        var progress = NewProgress<PackageProgress>(2, $"Verifying package {System.IO.Path.GetFileName(path)}", p =>
            ($"{p.Activity} {p.CurrentEntry}", p.BytesTotal > 0 ? (int)(p.BytesDone * 100 / p.BytesTotal) : 0));
        try
        {
            var result = PackageVerifier.Verify(path, new PackageVerifyOptions
            {
                Passphrase = passphrase,
                Progress = progress,
                CancellationToken = Cancellation,
            });
            foreach (var problem in result.Problems)
            {
                var (id, category) = problem.Kind switch
                {
                    PackageProblemKind.HashMismatch => ("PackageHashMismatch", ErrorCategory.InvalidData),
                    PackageProblemKind.BadSignature => ("PackageSignatureInvalid", ErrorCategory.SecurityError),
                    PackageProblemKind.WrongPassphrase => ("WrongPassphrase", ErrorCategory.AuthenticationError),
                    _ => ("PackageKeyFileInvalid", ErrorCategory.InvalidData),
                };
                WriteError(Error(new InvalidDataException($"{path}: {problem.Message}"), id, category, problem.EntryName ?? path));
            }
            WriteObject(new ProvPackageVerification(result));
        }
        catch (OperationCanceledException) { throw new PipelineStoppedException(); }
        // One unreadable package must not stop the others coming down the pipeline; it is reported as an error
        // and as a result that is not valid, so a filter on IsValid still sees it.
        catch (PackageFormatException e) { Unreadable(e, ErrorCategory.InvalidData, path); }
        catch (Exception e) when (FileErrorCategory(e, ErrorCategory.ReadError) is { } category) { Unreadable(e, category, path); }
        finally
        {
            progress.Complete();
            if (passphrase is not null) Clear(passphrase);
        }
    }
}
