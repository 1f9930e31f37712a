using System.Management.Automation;
using System.Security;
using Provisioning.Core.Crypto;
using Provisioning.Core.Export;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Reads a key export (device_keys.xml) and decrypts each device's root key with the KMS private key, as the KMS ingests it.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Read, "ProvKeyFile", DefaultParameterSetName = PathSet)]
[OutputType(typeof(ProvDeviceKey))]
public sealed class ReadProvKeyFileCommand : ProvCmdlet, IDisposable
{
    private KeyFileIngest? _ingest;

    /// <summary>The export files to read; wildcards are expanded.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>The export files to read, taken exactly as typed (no wildcards); Get-ChildItem output binds here by its PSPath.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>The KMS private key (kms_key.pem). -KmsPrivateKeyPath is the older name.</summary>
    [Parameter(Mandatory = true)]
    [Alias("KmsPrivateKeyPath")]
    [ValidateNotNullOrEmpty]
    public string KmsPrivateKeyFile { get; set; } = "";

    /// <summary>Passphrase of an encrypted KMS private key. -Passphrase is the older name.</summary>
    [Parameter]
    [Alias("Passphrase")]
    public SecureString? KmsKeyPassphrase { get; set; }

    /// <summary>Returns each root key as plain bytes (RootKeyBytes) instead of a SecureString.</summary>
    [Parameter]
    public SwitchParameter AsPlainBytes { get; set; }

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        string keyPath = "";
        try { keyPath = ResolveOneExistingPath(KmsPrivateKeyFile, nameof(KmsPrivateKeyFile)); }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException) { Fail(e, "KmsKeyNotFound", e is FileNotFoundException ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidArgument, KmsPrivateKeyFile); }
        char[] passphrase = Reveal(KmsKeyPassphrase);
        try { _ingest = new KeyFileIngest(keyPath, passphrase); }
        catch (WrongPassphraseException e) { Fail(e, "WrongPassphrase", ErrorCategory.SecurityError, keyPath); }
        catch (KeyFileException e) { Fail(e, "InvalidKmsKey", ErrorCategory.InvalidData, keyPath); }
        finally { Clear(passphrase); }
        WriteVerbose($"Decrypting with the KMS key {_ingest!.KmsKeyFingerprint} ({keyPath}).");
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (string path in InputPaths(Path, LiteralPath, "KeyFileNotFound"))
            ReadFile(path);
    }

    private void ReadFile(string path)
    {
        if (!File.Exists(path))
            Fail(new FileNotFoundException($"The key export file '{path}' does not exist.", path), "KeyFileNotFound", ErrorCategory.ObjectNotFound, path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        long length = Math.Max(1, stream.Length);
        long decrypted = 0, failed = 0;
        var progress = NewProgress<long>(5, $"Reading {System.IO.Path.GetFileName(path)}", position =>
            ($"{decrypted + failed:N0} devices, {position:N0} of {length:N0} bytes", (int)(position * 100 / length)));
        KeyExportReader? reader = null;
        try
        {
            reader = new KeyExportReader(stream, path, leaveOpen: true);
            WriteVerbose($"{path}: export {reader.Header.ExportId} of config {reader.Header.ConfigId}, made {reader.Header.Created:u}.");
            while (reader.Read() is { } device)
            {
                if (Cancellation.IsCancellationRequested) throw new PipelineStoppedException();
                progress.Report(stream.Position);
                try
                {
                    using var key = _ingest!.Decrypt(device, path);
                    WriteObject(new ProvDeviceKey(key, path, AsPlainBytes));
                    decrypted++;
                }
                catch (RootKeyDecryptionException e)
                {
                    bool wrongKey = !string.Equals(e.FileKeyFingerprint, e.GivenKeyFingerprint, StringComparison.OrdinalIgnoreCase);
                    WriteError(Error(e, wrongKey ? "WrongKmsKey" : "RootKeyNotDecrypted", ErrorCategory.InvalidData, $"0x{e.NodeId:X8}"));
                    failed++;
                }
            }
            WriteVerbose($"{path}: {decrypted} of {reader.Count} devices decrypted; the file is complete (its summary matched).");
        }
        catch (FormatException e) { Fail(e, "InvalidKeyFile", ErrorCategory.InvalidData, path); }
        catch (Exception e) when (FileErrorCategory(e, ErrorCategory.ReadError) is { } category) { Fail(e, "KeyFileNotRead", category, path); }
        finally
        {
            reader?.Dispose();
            progress.Complete();
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing() => Dispose();

    /// <summary>Releases the KMS private key.</summary>
    public void Dispose()
    {
        _ingest?.Dispose();
        _ingest = null;
    }
}
