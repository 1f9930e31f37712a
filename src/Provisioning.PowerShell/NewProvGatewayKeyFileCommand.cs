using System.Management.Automation;
using System.Security;
using Provisioning.Core.Crypto;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Creates the encrypted and KMS-signed gateway key file (gw_keys.csv.aes and gw_keys.csv.aes.sig).</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "ProvGatewayKeyFile", SupportsShouldProcess = true)]
[OutputType(typeof(GatewayKeyFileInfo))]
public sealed class NewProvGatewayKeyFileCommand : ProvCmdlet
{
    /// <summary>The KMS private key PEM that signs the file. -KmsPrivateKeyPath is the older name.</summary>
    [Parameter(Mandatory = true)]
    [Alias("KmsPrivateKeyPath")]
    [ValidateNotNullOrEmpty]
    public string KmsPrivateKeyFile { get; set; } = "";

    /// <summary>Passphrase of the KMS private key, when it is encrypted.</summary>
    [Parameter]
    public SecureString? KmsKeyPassphrase { get; set; }

    /// <summary>The passphrase that encrypts the gateway key file; the provisioning server needs the same one to import packages.</summary>
    [Parameter(Mandatory = true)]
    public SecureString Passphrase { get; set; } = null!;

    /// <summary>Folder to write the two files into (created if missing). Defaults to the current location.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = ".";

    /// <summary>The gateway key as 32 hex digits; a random key when omitted.</summary>
    [Parameter]
    public SecureString? GatewayKey { get; set; }

    /// <summary>The code download (CDLD) key as 32 hex digits; a random key when omitted.</summary>
    [Parameter]
    public SecureString? CdldKey { get; set; }

    /// <summary>PBKDF2-SHA256 iterations stored in the file.</summary>
    [Parameter]
    [ValidateRange(10_000, 10_000_000)]
    public int Iterations { get; set; } = GatewayKeyFile.DefaultIterations;

    /// <summary>Replaces existing files.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        string folder = ResolvePath(Path);
        string keyPath = "";
        try { keyPath = ResolveOneExistingPath(KmsPrivateKeyFile, nameof(KmsPrivateKeyFile)); }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException) { Fail(e, "KmsKeyNotFound", e is FileNotFoundException ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidArgument, KmsPrivateKeyFile); }
        if (!Force)
            RefuseExisting(folder, GatewayKeyFile.FileName, GatewayKeyFile.SignatureFileName);
        if (!ShouldProcess(folder, $"Create gateway key file {GatewayKeyFile.FileName} signed by {keyPath}")) return;

        char[] kmsPassphrase = Reveal(KmsKeyPassphrase);
        char[] passphrase = Reveal(Passphrase);
        char[] gatewayHex = Reveal(GatewayKey);
        char[] cdldHex = Reveal(CdldKey);
        try
        {
            if (passphrase.Length == 0)
                Fail(new ArgumentException("A passphrase is required: the provisioning server asks for the same passphrase when it imports a package."),
                    "PassphraseRequired", ErrorCategory.InvalidArgument, null);
            if ((gatewayHex.Length == 0) != (cdldHex.Length == 0))
                Fail(new ArgumentException("Give both -GatewayKey and -CdldKey, or neither for two random keys."),
                    "GatewayKeysIncomplete", ErrorCategory.InvalidArgument, null);

            using var kmsKey = KmsKeyPair.LoadPrivateKey(keyPath, kmsPassphrase);
            using var keys = gatewayHex.Length == 0 ? GatewayKeys.CreateRandom() : GatewayKeys.FromHex(gatewayHex, cdldHex);
            if (keys.GatewayKey.SequenceEqual(keys.CdldKey))
                WriteWarning("The gateway key and the CDLD key are the same key. They are meant to differ; check that the right values were given.");
            WriteObject(GatewayKeyFile.Write(folder, keys, passphrase, kmsKey, Force.IsPresent, Iterations));
        }
        catch (WrongPassphraseException e) { Fail(e, "WrongKmsKeyPassphrase", ErrorCategory.AuthenticationError, keyPath); }
        catch (KeyFileException e) { Fail(e, "GatewayKeyFileNotWritten", ErrorCategory.InvalidData, keyPath); }
        catch (ArgumentException e) { Fail(e, "InvalidGatewayKey", ErrorCategory.InvalidArgument, null); }
        catch (Exception e) when (FileErrorCategory(e, ErrorCategory.WriteError) is { } category) { Fail(e, "GatewayKeyFileNotWritten", category, folder); }
        finally
        {
            Clear(kmsPassphrase); Clear(passphrase); Clear(gatewayHex); Clear(cdldHex);
        }
    }
}
