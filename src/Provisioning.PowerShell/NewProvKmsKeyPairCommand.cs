using System.Management.Automation;
using System.Security;
using Provisioning.Core.Crypto;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Creates a KMS RSA key pair (kms_key.pem and kms_key.pub.pem).</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "ProvKmsKeyPair", SupportsShouldProcess = true)]
[OutputType(typeof(KmsKeyPairFiles))]
public sealed class NewProvKmsKeyPairCommand : ProvCmdlet
{
    /// <summary>Folder to write the two PEM files into (created if missing). Defaults to the current location.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = ".";

    /// <summary>Encrypts the private key (PKCS#8, AES-256-CBC, PBKDF2-SHA256) with this passphrase. -Passphrase is the older name.</summary>
    [Parameter]
    [Alias("Passphrase")]
    public SecureString? KmsKeyPassphrase { get; set; }

    /// <summary>RSA modulus size in bits.</summary>
    [Parameter]
    [ValidateSet("2048", "3072", "4096")]
    public int KeySize { get; set; } = KmsKeyPair.DefaultKeySize;

    /// <summary>Replaces existing key files.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        string folder = ResolvePath(Path);
        if (!Force)
            RefuseExisting(folder, KmsKeyPair.PrivateKeyFileName, KmsKeyPair.PublicKeyFileName);
        if (!ShouldProcess(folder, $"Create KMS key pair {KmsKeyPair.PrivateKeyFileName} / {KmsKeyPair.PublicKeyFileName}")) return;
        char[] passphrase = Reveal(KmsKeyPassphrase);
        try
        {
            WriteObject(KmsKeyPair.Create(folder, passphrase, Force.IsPresent, KeySize));
        }
        catch (KeyFileException e) { Fail(e, "KmsKeyPairNotWritten", ErrorCategory.ResourceExists, folder); }
        catch (Exception e) when (FileErrorCategory(e, ErrorCategory.WriteError) is { } category) { Fail(e, "KmsKeyPairNotWritten", category, folder); }
        finally { Clear(passphrase); }
    }
}
