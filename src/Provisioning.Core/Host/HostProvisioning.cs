using System.Security.Cryptography;
using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Host;

/// <summary>
/// What a host tool does around the node (guide C.4–C.5) besides fetching files (<see cref="HostConfigDownload"/>): encrypting
/// an application key for its app bundle's public key (the guide's <c>EncryptKeyInfo</c>) and saving a device's application
/// data on the server (<c>setDutParams</c>) as a host record, pending until the host holds it, then confirmed.
/// </summary>
public static class HostProvisioning
{
    /// <summary>
    /// Encrypts <paramref name="key"/> for the public key of app bundle <paramref name="appName"/> of <paramref name="config"/>
    /// (RSA-OAEP-SHA256, upper-case hex, as <see cref="AppKeyEncryption"/>). Throws <see cref="HostInputException"/> when the
    /// config has no such app, the app has no public key, or the key is empty or too long for one RSA block.
    /// </summary>
    public static string ProtectAppKey(ConfigInfo config, string appName, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(config);
        var app = FindApp(config, appName);
        if (string.IsNullOrWhiteSpace(app.PublicKey))
            throw new HostInputException("AppHasNoPublicKey",
                $"The app bundle '{appName}' of config {config.ConfigId} has no public key, so its keys cannot be encrypted for its head end. Import a package whose '{appName}' bundle carries one (New-ProvPackage -App @{{ ...; PublicKeyFile = ... }}).");
        if (key.IsEmpty)
            throw new HostInputException("EmptyAppKey", "The application key is empty; give the key the host holds.");
        using var rsa = KmsKeyPair.ParsePublicKey(app.PublicKey, $"the public key of app '{appName}' in config {config.ConfigId}");
        // OAEP with SHA-256 carries at most the block size less two hashes and two bytes.
        int room = rsa.KeySize / 8 - 2 * SHA256.HashSizeInBytes - 2;
        if (key.Length > room)
            throw new HostInputException("AppKeyTooLong",
                $"The application key is {key.Length} bytes; one RSA-OAEP-SHA256 block of the {rsa.KeySize}-bit public key of app '{appName}' carries at most {room}. Application keys are symmetric keys (16 or 32 bytes).");
        return AppKeyEncryption.Encrypt(rsa, key);
    }

    /// <summary>The app bundle <paramref name="appName"/> (case-sensitive); <see cref="HostInputException"/> naming the config's apps when there is none.</summary>
    public static AppBundle FindApp(ConfigInfo config, string appName)
    {
        ArgumentNullException.ThrowIfNull(config);
        var app = config.Apps?.FirstOrDefault(a => string.Equals(a.Name, appName, StringComparison.Ordinal));
        if (app is not null)
            return app;
        string known = config.Apps is { Count: > 0 } apps ? $"its app bundles are {string.Join(", ", apps.Select(a => $"'{a.Name}'"))}" : "it has no app bundles";
        throw new HostInputException("AppNotFound",
            $"Config {config.ConfigId} has no app bundle '{appName}' ({known}). Check the name (case-sensitive), or import a package that carries the '{appName}' bundle.");
    }

    /// <summary>
    /// Checks a value given as an app's id, key or extra information and returns it as hex: hex text (an optional 0x, blanks
    /// and separators ':' '-' dropped) or bytes; null stays null. Throws <see cref="HostInputException"/> naming the field,
    /// never repeating the value (it may be a key).
    /// </summary>
    public static string? Hex(object? value, string appName, string field)
    {
        switch (value)
        {
            case null:
                return null;
            case byte[] bytes:
                return Convert.ToHexString(bytes);
            case string text:
                var cleaned = new string(text.Where(c => !char.IsWhiteSpace(c) && c is not (':' or '-')).ToArray());
                if (cleaned.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) cleaned = cleaned[2..];
                if (cleaned.Length % 2 != 0 || !cleaned.All(char.IsAsciiHexDigit))
                    throw new HostInputException("InvalidAppValue", $"The {field} of app '{appName}' is not hex text of whole bytes (two digits 0-9, A-F per byte).");
                return cleaned;
            default:
                throw new HostInputException("InvalidAppValue", $"The {field} of app '{appName}' must be hex text or a byte array, not a {value.GetType().Name}.");
        }
    }

    /// <summary>
    /// Records a host record (pending) and, unless <paramref name="pendingOnly"/>, confirms it: the guide's <c>setDutParams</c>.
    /// A retry with the same <paramref name="requestId"/> is harmless. Server failures are <see cref="ProvServerException"/>.
    /// </summary>
    public static async Task<HostRecord> SaveAsync(ProvServerClient server, Guid requestId, HostRecordRequest record, bool pendingOnly,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(record);
        var stored = await server.RecordHostAsync(requestId, record, cancellationToken).ConfigureAwait(false);
        return pendingOnly ? stored : await server.ConfirmHostAsync(requestId, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Input a host tool gave that cannot be used; <see cref="ErrorId"/> is stable for scripts. Never carries key material.</summary>
public sealed class HostInputException(string errorId, string message) : ArgumentException(message)
{
    /// <summary>Stable identifier, e.g. <c>AppNotFound</c>.</summary>
    public string ErrorId { get; } = errorId;
}
