using System.Security.Cryptography;
using Provisioning.Core.Api;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Export;

/// <summary>
/// The head end's side of a key export (guide C.5, §7.3): holds an application's private key (the pair of the app
/// bundle's public key, e.g. <c>hes_key.pem</c>) and decrypts the <c>key</c> of that application in each device or host
/// record, as <see cref="KeyFileIngest"/> does for root keys at the KMS. Plaintext exists only in pinned buffers that are zeroed.
/// </summary>
public sealed class AppKeyIngest : IDisposable
{
    private readonly RSA _privateKey;

    /// <summary>Loads the application's private key (PKCS#8, encrypted PKCS#8 or PKCS#1 PEM).</summary>
    /// <param name="appName">The application whose keys are read (the app bundle's name, e.g. <c>emcm</c>).</param>
    /// <param name="privateKeyPath">The private key file.</param>
    /// <param name="passphrase">Its passphrase when it is encrypted; empty otherwise.</param>
    /// <exception cref="KeyFileException">The key file is missing, not an RSA private key, or its passphrase is missing or wrong.</exception>
    public AppKeyIngest(string appName, string privateKeyPath, ReadOnlySpan<char> passphrase)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(appName);
        ArgumentException.ThrowIfNullOrWhiteSpace(privateKeyPath);
        AppName = appName;
        PrivateKeyPath = privateKeyPath;
        _privateKey = KmsKeyPair.LoadPrivateKey(privateKeyPath, passphrase);
        KeyFingerprint = KmsKeyPair.Fingerprint(_privateKey);
    }

    /// <summary>The application whose keys this ingest decrypts.</summary>
    public string AppName { get; }

    /// <summary>The private key file.</summary>
    public string PrivateKeyPath { get; }

    /// <summary>Fingerprint of the key pair (as <c>Get-ProvConfig</c> shows the app's public key).</summary>
    public string KeyFingerprint { get; }

    /// <summary>This application's data in a device or host record; null when the record has none for it.</summary>
    public DeviceApp? Find(IReadOnlyList<DeviceApp> apps) =>
        apps.FirstOrDefault(a => string.Equals(a.Name, AppName, StringComparison.Ordinal));

    /// <summary>Decrypts the application key of one record.</summary>
    /// <param name="record">Where the data comes from (node, config, batch, time, status).</param>
    /// <param name="app">The record's data for <see cref="AppName"/>.</param>
    /// <param name="sourceName">How messages name the export file.</param>
    /// <returns>The record with its key decrypted (no key when the record carries none); dispose it to zero the key.</returns>
    /// <exception cref="AppKeyDecryptionException">The key is not hex, was made for another key pair, or is damaged.</exception>
    public DecryptedAppKey Decrypt(ExportedAppRecord record, DeviceApp app, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(app);
        if (string.IsNullOrEmpty(app.Key))
            return new DecryptedAppKey(record, app, null);
        string owner = $"the '{AppName}' key of {record.Describe()}";
        int blockLength = _privateKey.KeySize / 8;
        if (app.Key.Length % 2 != 0 || !app.Key.All(char.IsAsciiHexDigit))
            throw new AppKeyDecryptionException(record, $"{sourceName}: {owner} is not hex: the file was edited or damaged. Export the keys again.");
        if (app.Key.Length / 2 != blockLength)
            throw new AppKeyDecryptionException(record,
                $"{sourceName}: {owner} is a {app.Key.Length / 2 * 8}-bit RSA block, but the private key given ({PrivateKeyPath}, {KeyFingerprint}) is {_privateKey.KeySize}-bit: " +
                $"it was encrypted for another key. Read the file with the private key of the '{AppName}' app bundle's public key.");
        // Decrypted into pinned buffers, so zeroing them leaves no copy behind.
        byte[] cipher = Convert.FromHexString(app.Key);
        byte[] block = GC.AllocateArray<byte>(blockLength, pinned: true);
        try
        {
            if (!_privateKey.TryDecrypt(cipher, block, AppKeyEncryption.Padding, out int length) || length == 0)
                throw new CryptographicException("The decrypted block is empty or does not fit.");
            return new DecryptedAppKey(record, app, PinnedKey.CopyOf(block.AsSpan(0, length)));
        }
        catch (CryptographicException e)
        {
            throw new AppKeyDecryptionException(record,
                $"{sourceName}: {owner} does not decrypt with the private key {PrivateKeyPath} ({KeyFingerprint}): it was encrypted for another key " +
                $"(is this the pair of the '{AppName}' app bundle's public key, as Get-ProvConfig shows it?), or its block is damaged. " +
                "Read the file with the right key, or export the keys again.", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }

    /// <summary>Releases the private key.</summary>
    public void Dispose() => _privateKey.Dispose();
}

/// <summary>Where an application's data in a key export comes from: a node's device record or a host record.</summary>
/// <param name="NodeId">The node; null for a host record made without one.</param>
/// <param name="ConfigId">Configuration.</param>
/// <param name="Batch">Batch number.</param>
/// <param name="Timestamp">When the device was provisioned.</param>
/// <param name="Status"><c>confirmed</c> or <c>pending</c>.</param>
/// <param name="Source"><c>device</c> (recorded with the node's root key by a station) or <c>host</c> (a host record).</param>
public sealed record ExportedAppRecord(uint? NodeId, ulong ConfigId, uint Batch, DateTimeOffset Timestamp, string Status, string Source)
{
    /// <summary>The record of a node's device element.</summary>
    public static ExportedAppRecord Of(ExportedDevice device) =>
        new(device.NodeId, device.ConfigId, device.Batch, device.Timestamp, device.Status, "device");

    /// <summary>The record of a host record.</summary>
    public static ExportedAppRecord Of(ExportedHostRecord host) =>
        new(host.NodeId, host.ConfigId, host.Batch, host.Timestamp, host.Status, "host");

    /// <summary>How messages name it.</summary>
    public string Describe() => NodeId is { } node
        ? (Source == "host" ? $"the host record of node 0x{node:X8}" : $"node 0x{node:X8}")
        : $"the host record of batch {Batch} made {Timestamp:u} (no node ID)";
}

/// <summary>An application key that could not be decrypted; the message names the record, never key material.</summary>
public sealed class AppKeyDecryptionException(ExportedAppRecord record, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The record whose key failed.</summary>
    public ExportedAppRecord Record { get; } = record;
}

/// <summary>
/// One record's application data with its key decrypted (<see cref="AppKeyIngest.Decrypt"/>). The key lives in a pinned
/// buffer that <see cref="Dispose"/> zeroes. <see cref="ToString"/> never shows it.
/// </summary>
public sealed class DecryptedAppKey : IDisposable
{
    private readonly PinnedKey? _key;

    internal DecryptedAppKey(ExportedAppRecord record, DeviceApp app, PinnedKey? key)
    {
        Record = record;
        App = app;
        _key = key;
        KeyCheckValue = key is not null && key.Span.Length == GatewayKeys.KeyLength ? GatewayKeys.CheckValue(key.Span) : null;
    }

    /// <summary>Where the data comes from.</summary>
    public ExportedAppRecord Record { get; }

    /// <summary>The application data as the file holds it (id, encrypted key, extra).</summary>
    public DeviceApp App { get; }

    /// <summary>Whether the record carried a key.</summary>
    public bool HasKey => _key is not null;

    /// <summary>Key check value (first 3 bytes of AES-ECB of a zero block, hex) of a 128-bit key; null otherwise.</summary>
    public string? KeyCheckValue { get; }

    /// <summary>The plaintext key (empty when the record carried none).</summary>
    public ReadOnlySpan<byte> Key => _key is null ? default : _key.Span;

    /// <summary>The key as lower-case hex in a read-only <see cref="System.Security.SecureString"/>; null when there is none.</summary>
    public System.Security.SecureString? KeyAsSecureString() => _key is null ? null : SecureHex.Of(_key.Span);

    /// <summary>A plain copy the caller owns (and should zero); null when there is no key.</summary>
    public byte[]? CopyKey() => _key?.Span.ToArray();

    /// <inheritdoc/>
    public override string ToString() => $"DecryptedAppKey({App.Name}, {Record.Describe()})";

    /// <summary>Zeroes the key.</summary>
    public void Dispose() => _key?.Dispose();
}
