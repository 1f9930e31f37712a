using System.Management.Automation;
using System.Security;
using Provisioning.Core.Crypto;
using Provisioning.Core.Export;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Reads a key export (device_keys.xml) and decrypts each device's root key with the KMS private key, as the KMS ingests it; with -AppName, each device's application key with the head end's private key.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Read, "ProvKeyFile", DefaultParameterSetName = PathSet)]
[OutputType(typeof(ProvDeviceKey), ParameterSetName = [PathSet, LiteralPathSet])]
[OutputType(typeof(ProvAppKey), ParameterSetName = [AppPathSet, AppLiteralPathSet])]
public sealed class ReadProvKeyFileCommand : ProvCmdlet, IDisposable
{
    private const string AppPathSet = "AppPath", AppLiteralPathSet = "AppLiteralPath";

    private KeyFileIngest? _ingest;
    private AppKeyIngest? _appIngest;

    /// <summary>The export files to read; wildcards are expanded.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = AppPathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>The export files to read, taken exactly as typed (no wildcards); Get-ChildItem output binds here by its PSPath.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(Mandatory = true, ParameterSetName = AppLiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>The KMS private key (kms_key.pem). -KmsPrivateKeyPath is the older name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("KmsPrivateKeyPath")]
    [ValidateNotNullOrEmpty]
    public string KmsPrivateKeyFile { get; set; } = "";

    /// <summary>Passphrase of an encrypted KMS private key. -Passphrase is the older name.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Alias("Passphrase")]
    public SecureString? KmsKeyPassphrase { get; set; }

    /// <summary>The application whose keys are decrypted (its app bundle name, e.g. emcm), as the head end reads them.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AppPathSet)]
    [Parameter(Mandatory = true, ParameterSetName = AppLiteralPathSet)]
    [ValidateNotNullOrEmpty]
    public string AppName { get; set; } = "";

    /// <summary>The head end's private key for that application: the pair of the app bundle's public key (e.g. hes_key.pem).</summary>
    [Parameter(Mandatory = true, ParameterSetName = AppPathSet)]
    [Parameter(Mandatory = true, ParameterSetName = AppLiteralPathSet)]
    [ValidateNotNullOrEmpty]
    public string PrivateKeyPath { get; set; } = "";

    /// <summary>Passphrase of an encrypted application private key.</summary>
    [Parameter(ParameterSetName = AppPathSet)]
    [Parameter(ParameterSetName = AppLiteralPathSet)]
    public SecureString? PrivateKeyPassphrase { get; set; }

    /// <summary>Returns each key as plain bytes (RootKeyBytes, or KeyBytes with -AppName) instead of a SecureString.</summary>
    [Parameter]
    public SwitchParameter AsPlainBytes { get; set; }

    private bool ForApp => ParameterSetName is AppPathSet or AppLiteralPathSet;

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        if (ForApp)
        {
            OpenAppKey();
            return;
        }
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

    private void OpenAppKey()
    {
        string keyPath = "";
        try { keyPath = ResolveOneExistingPath(PrivateKeyPath, nameof(PrivateKeyPath)); }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException) { Fail(e, "AppKeyNotFound", e is FileNotFoundException ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidArgument, PrivateKeyPath); }
        char[] passphrase = Reveal(PrivateKeyPassphrase);
        try { _appIngest = new AppKeyIngest(AppName, keyPath, passphrase); }
        catch (WrongPassphraseException e) { Fail(e, "WrongPassphrase", ErrorCategory.SecurityError, keyPath); }
        catch (KeyFileException e) { Fail(e, "InvalidAppKey", ErrorCategory.InvalidData, keyPath); }
        finally { Clear(passphrase); }
        WriteVerbose($"Decrypting the keys of app '{AppName}' with the key {_appIngest!.KeyFingerprint} ({keyPath}).");
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName is LiteralPathSet or AppLiteralPathSet;
        foreach (string path in InputPaths(Path, LiteralPath, "KeyFileNotFound", literal))
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
            if (_appIngest is not null)
            {
                ReadAppKeys(reader, path, stream, progress);
                return;
            }
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

    // The head end's read: every device and host record of the file that carries data for the app, in file order.
    private void ReadAppKeys(KeyExportReader reader, string path, Stream stream, ProgressWriter<long> progress)
    {
        long decrypted = 0, failed = 0, without = 0;
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        while (reader.ReadRecord() is { } entry)
        {
            if (Cancellation.IsCancellationRequested) throw new PipelineStoppedException();
            progress.Report(stream.Position);
            var (record, apps) = entry switch
            {
                ExportedDevice d => (ExportedAppRecord.Of(d), d.Apps),
                ExportedHostRecord h => (ExportedAppRecord.Of(h), h.Apps),
                _ => throw new InvalidOperationException("The reader returned an unknown record."),
            };
            foreach (var a in apps) seen.Add(a.Name);
            if (_appIngest!.Find(apps) is not { } app)
            {
                without++;
                continue;
            }
            try
            {
                using var key = _appIngest.Decrypt(record, app, path);
                WriteObject(new ProvAppKey(key, path, AsPlainBytes));
                decrypted++;
            }
            catch (AppKeyDecryptionException e)
            {
                WriteError(Error(e, "AppKeyNotDecrypted", ErrorCategory.InvalidData, e.Record.NodeId is { } n ? $"0x{n:X8}" : e.Record.Describe()));
                failed++;
            }
        }
        long total = reader.Count + reader.HostRecordCount;
        if (decrypted + failed == 0 && total > 0)
            WriteError(Error(new ItemNotFoundException(
                $"{path} holds no data for app '{AppName}' in its {total} records ({(seen.Count == 0 ? "none carries application data" : "apps in the file: " + string.Join(", ", seen))}). " +
                "Check the app name (the app bundle's name in the package, case-sensitive), or export the config whose devices carry it."),
                "AppNotInKeyFile", ErrorCategory.ObjectNotFound, AppName));
        else if (without > 0)
            WriteVerbose($"{path}: {without} of {total} records carry no data for app '{AppName}'.");
        WriteVerbose($"{path}: {decrypted} '{AppName}' keys decrypted, {failed} failed; the file is complete (its summary matched).");
    }

    /// <inheritdoc/>
    protected override void EndProcessing() => Dispose();

    /// <summary>Releases the private keys.</summary>
    public void Dispose()
    {
        _ingest?.Dispose();
        _ingest = null;
        _appIngest?.Dispose();
        _appIngest = null;
    }
}
