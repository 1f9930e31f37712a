using System.Management.Automation;
using System.Security;
using System.Security.Cryptography;
using Provisioning.Core;
using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Makes a station client certificate: the key pair is generated here, the server's CA signs the request, and a password-protected PFX is written.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "ProvStationCertificate", SupportsShouldProcess = true)]
[OutputType(typeof(ProvStationCertificate))]
public sealed class NewProvStationCertificateCommand : ProvServerCmdlet
{
    /// <summary>A name saying which station or line uses the certificate (its subject's common name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ValidateLength(1, StationCertificateLimits.MaxNameLength)]
    public string Name { get; set; } = "";

    /// <summary>The PFX file to write.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The password that encrypts the PFX.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public SecureString? Password { get; set; }

    /// <summary>Days the certificate is valid.</summary>
    [Parameter]
    [ValidateRange(1, StationCertificateLimits.MaxValidDays)]
    public int ValidDays { get; set; } = StationCertificateLimits.DefaultValidDays;

    /// <summary>Replaces an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        string path = ResolvePath(Path);
        if (!Force && File.Exists(path))
        {
            WriteError(Error(new IOException($"The file '{path}' already exists; use -Force to replace it."), "CertificateFileExists", ErrorCategory.ResourceExists, path));
            return;
        }
        if (System.IO.Path.GetDirectoryName(path) is { Length: > 0 } folder && !Directory.Exists(folder))
        {
            WriteError(Error(new DirectoryNotFoundException($"The folder '{folder}' does not exist; create it first (the PFX is written there)."),
                "CertificateFolderMissing", ErrorCategory.ObjectNotFound, path));
            return;
        }
        if (Password is null || Password.Length == 0)
        {
            WriteError(Error(new ArgumentException("Give -Password: the PFX holds the station's private key and is encrypted with it."), "PasswordMissing", ErrorCategory.InvalidArgument, Name));
            return;
        }
        if (!ShouldProcess($"{Connection}", $"Issue station certificate '{Name}' ({ValidDays} days) into {path}")) return;

        using var request = StationCertificateFile.NewRequest(Name);
        if (!TryCall((c, ct) => c.IssueCertificateAsync(new CertificateSigningRequest(request.Name, request.SigningRequestPem, ValidDays), ct), Name, out var issued))
            return;
        char[] password = Reveal(Password);
        try
        {
            using var certificate = request.Write(issued!.Certificate, issued.CaCertificate, path, password, Force.IsPresent);
            using var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(issued.CaCertificate);
            WriteObject(new ProvStationCertificate(issued.Info, path, CertificateFingerprint.Of(ca)));
        }
        catch (Exception e) when (e is CryptographicException or KeyFileException or IOException or UnauthorizedAccessException)
        {
            // A certificate whose key was never kept must not stay usable: revoke it, and say so.
            string revoked = TryRevoke(issued!.Info.Id);
            var category = e is CryptographicException ? ErrorCategory.InvalidResult : FileErrorCategory(e, ErrorCategory.WriteError) ?? ErrorCategory.WriteError;
            WriteError(Error(new IOException($"The certificate '{Name}' was not written to '{path}': {ExceptionText.Of(e)} {revoked}", e),
                "CertificateNotWritten", category, path));
        }
        finally { Clear(password); }
    }

    private string TryRevoke(long id)
    {
        try
        {
            Await(Client.RevokeCertificateAsync(id, Cancellation));
            return $"The issued certificate (ID {id}) was revoked, since its key is lost.";
        }
        catch (ProvServerException e)
        {
            return $"Revoke the issued certificate (ID {id}) with Revoke-ProvStationCertificate -Id {id}: its key is lost ({e.Message}).";
        }
    }
}
