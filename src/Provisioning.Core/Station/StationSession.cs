using System.Security.Cryptography;
using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Station;

/// <summary>
/// One configuration's material for a provisioning run: the config as the server describes it, its node files
/// (downloaded once and checked against size, SHA-256 and MD5), the gateway and CDLD keys (fetched once, on first
/// need, zeroed on dispose) and the KMS public key that encrypts each node's root key.
/// </summary>
public sealed class StationSession : IDisposable
{
    private readonly ProvServerClient _server;
    private readonly RSA _kms;
    private readonly object _kmsGate = new();
    private readonly OnceAsync<byte[]> _factoryConfig;
    private readonly OnceAsync<GatewayKeys> _gatewayKeys;
    private readonly CancellationTokenSource _disposed = new();

    private readonly PathTranslation? _translation;
    private readonly Dictionary<(string App, AppFileRole Role), OnceAsync<byte[]>> _appFiles = new();

    private StationSession(ProvServerClient server, ConfigInfo config, RSA kms, byte[] firmware, byte[]? fieldConfig, PathTranslation? translation)
    {
        _server = server;
        _translation = translation;
        Config = config;
        _kms = kms;
        Firmware = firmware;
        FieldConfig = fieldConfig;
        _factoryConfig = new OnceAsync<byte[]>(FetchFactoryConfigAsync);
        _gatewayKeys = new OnceAsync<GatewayKeys>(FetchGatewayKeysAsync);
    }

    /// <summary>The configuration.</summary>
    public ConfigInfo Config { get; }

    /// <summary>The node firmware image, verified.</summary>
    public ReadOnlyMemory<byte> Firmware { get; }

    /// <summary>The field configuration, verified; null when the package has none.</summary>
    public ReadOnlyMemory<byte>? FieldConfig { get; }

    /// <summary>
    /// Fetches the configuration (by ID or alias), checks its KMS public key and downloads and checks the firmware and field
    /// configuration. Throws <see cref="StationFailureException"/> with code 100, 101, 102 or 108.
    /// </summary>
    public static async Task<StationSession> OpenAsync(ProvServerClient server, ConfigSelector selector, CancellationToken cancellationToken,
        PathTranslation? translation = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(selector);
        ConfigInfo config;
        try
        {
            config = selector.ConfigId is { } id
                ? await server.GetConfigAsync(id, cancellationToken).ConfigureAwait(false)
                : await server.GetConfigByAliasAsync(selector.Alias!, cancellationToken).ConfigureAwait(false);
        }
        catch (ProvServerException e)
        {
            throw ServerFailures.From(e, $"fetching {selector}");
        }
        if (config.Node?.Firmware is null || string.IsNullOrEmpty(config.NodeType))
            throw Invalid(config, "it names no node firmware or node type");

        RSA kms = LoadKmsKey(config);
        try
        {
            byte[] firmware = await NodeFileDownload.FetchAsync(server, config.Node.Firmware, cancellationToken, translation).ConfigureAwait(false);
            byte[]? field = config.Node.FieldConfig is { } f ? await NodeFileDownload.FetchAsync(server, f, cancellationToken, translation).ConfigureAwait(false) : null;
            return new StationSession(server, config, kms, firmware, field, translation);
        }
        catch (StationFailureException e)
        {
            kms.Dispose();
            throw new StationFailureException(e.Code, e.Message, e.InnerException) { ConfigId = config.ConfigId };
        }
        catch
        {
            kms.Dispose();
            throw;
        }
    }

    /// <summary>The factory configuration (fetched on first use, then shared); 44 when the package has none.</summary>
    public Task<byte[]> GetFactoryConfigAsync() => _factoryConfig.GetAsync(_disposed.Token);

    /// <summary>The gateway and CDLD keys (fetched on first use, then shared; the session owns and zeroes them).</summary>
    public Task<GatewayKeys> GetGatewayKeysAsync() => _gatewayKeys.GetAsync(_disposed.Token);

    /// <summary>
    /// A file of the configuration's app bundle <paramref name="appName"/> (guide C.2/C.4), fetched on first use, checked
    /// against size, SHA-256 and MD5, then shared. Throws <see cref="StationFailureException"/>: 75 (firmware) or 76 (a
    /// configuration) when the config has no such bundle or the bundle lacks that file; 102 or 108 as for node files.
    /// </summary>
    public Task<byte[]> GetAppFileAsync(string appName, AppFileRole role)
    {
        ArgumentException.ThrowIfNullOrEmpty(appName);
        OnceAsync<byte[]> once;
        lock (_appFiles)
        {
            if (!_appFiles.TryGetValue((appName, role), out once!))
                _appFiles[(appName, role)] = once = new OnceAsync<byte[]>(ct => FetchAppFileAsync(appName, role, ct));
        }
        return once.GetAsync(_disposed.Token);
    }

    /// <summary>The app bundle <paramref name="appName"/> of the configuration; 75 when the config has none of that name.</summary>
    public AppBundle GetApp(string appName)
    {
        var app = Config.Apps?.FirstOrDefault(a => string.Equals(a.Name, appName, StringComparison.Ordinal));
        if (app is null)
        {
            string known = Config.Apps is { Count: > 0 } apps ? $"it has {string.Join(", ", apps.Select(a => $"'{a.Name}'"))}" : "it has none";
            throw new StationFailureException(ProvExitCode.HostFirmwareUnavailable,
                $"Config {Config.ConfigId} has no app bundle '{appName}' ({known}). Import a package that carries the '{appName}' bundle (New-ProvPackage -App), or check the config ID or alias.")
            { ConfigId = Config.ConfigId };
        }
        return app;
    }

    private async Task<byte[]> FetchAppFileAsync(string appName, AppFileRole role, CancellationToken cancellationToken)
    {
        var app = GetApp(appName);
        var (link, code, what) = role switch
        {
            AppFileRole.Firmware => (app.Firmware, ProvExitCode.HostFirmwareUnavailable, "firmware"),
            AppFileRole.FactoryConfig => (app.FactoryConfig, ProvExitCode.HostConfigUnavailable, "factory configuration"),
            _ => (app.FieldConfig, ProvExitCode.HostConfigUnavailable, "field configuration"),
        };
        if (link is null)
            throw new StationFailureException(code,
                $"The app bundle '{appName}' of config {Config.ConfigId} has no {what}. Import a package whose '{appName}' bundle carries one, or check the config ID or alias.")
            { ConfigId = Config.ConfigId };
        try
        {
            return await NodeFileDownload.FetchAsync(_server, link, cancellationToken, _translation).ConfigureAwait(false);
        }
        catch (StationFailureException e) when (e.ConfigId is null)
        {
            throw new StationFailureException(e.Code, e.Message, e.InnerException) { ConfigId = Config.ConfigId };
        }
    }

    /// <summary>Encrypts a node root key with the configuration's KMS public key (<see cref="RootKeyEncryption"/>), base64 as the server stores it.</summary>
    public string EncryptRootKey(ReadOnlySpan<byte> rootKey)
    {
        byte[] encrypted = new byte[_kms.KeySize / 8];
        // RSA instances are not documented as thread-safe; encryption takes microseconds, so one lock is no bottleneck.
        lock (_kmsGate)
            _kms.Encrypt(rootKey, encrypted, RootKeyEncryption.Padding);
        return Convert.ToBase64String(encrypted);
    }

    /// <summary>Zeroes the gateway keys and releases the KMS key.</summary>
    public void Dispose()
    {
        _disposed.Cancel();
        _gatewayKeys.Completed?.Dispose();
        _kms.Dispose();
    }

    private async Task<byte[]> FetchFactoryConfigAsync(CancellationToken cancellationToken)
    {
        if (Config.Node.FactoryConfig is not { } link)
            throw new StationFailureException(ProvExitCode.ConfigUnavailable,
                $"Config {Config.ConfigId} has no factory configuration, but -FactoryConfig asks for one: drop -FactoryConfig, or import a package that carries a node factory config.");
        return await NodeFileDownload.FetchAsync(_server, link, cancellationToken, _translation).ConfigureAwait(false);
    }

    private async Task<GatewayKeys> FetchGatewayKeysAsync(CancellationToken cancellationToken)
    {
        GatewayKeysInfo info;
        try
        {
            info = await _server.GetGatewayKeysAsync(Config.ConfigId, cancellationToken).ConfigureAwait(false);
        }
        catch (ProvServerException e)
        {
            throw ServerFailures.From(e, $"fetching the gateway keys of config {Config.ConfigId}");
        }
        GatewayKeys keys;
        try
        {
            keys = GatewayKeys.FromHex(info.GatewayKey, info.CdldKey);
        }
        catch (ArgumentException e)
        {
            throw Invalid(Config, $"its gateway keys are malformed ({e.Message})");
        }
        if (!string.Equals(GatewayKeys.CheckValue(keys.GatewayKey), info.GatewayKeyCheckValue, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(GatewayKeys.CheckValue(keys.CdldKey), info.CdldKeyCheckValue, StringComparison.OrdinalIgnoreCase))
        {
            keys.Dispose();
            throw Invalid(Config, "its gateway keys do not match the key check values it sent with them");
        }
        if (_disposed.IsCancellationRequested)
        {
            // The run ended while the keys were on their way: nobody will dispose them later.
            keys.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
        }
        return keys;
    }

    private static RSA LoadKmsKey(ConfigInfo config)
    {
        RSA kms;
        try
        {
            kms = KmsKeyPair.ParsePublicKey(config.KmsPublicKey ?? "", $"the KMS public key of config {config.ConfigId}");
        }
        catch (KeyFileException e)
        {
            throw Invalid(config, e.Message);
        }
        string fingerprint = KmsKeyPair.Fingerprint(kms);
        if (!string.Equals(fingerprint, config.KmsKeyFingerprint, StringComparison.OrdinalIgnoreCase))
        {
            kms.Dispose();
            throw Invalid(config, $"its KMS public key has fingerprint {fingerprint}, not the {config.KmsKeyFingerprint} it lists");
        }
        return kms;
    }

    private static StationFailureException Invalid(ConfigInfo config, string problem) =>
        new(ProvExitCode.ServerResponseInvalid,
            $"The server's description of config {config.ConfigId} is not usable: {problem}. Check that the server runs the same version as this module and import the package again.")
        { ConfigId = config.ConfigId };
}

/// <summary>Which file of an app bundle (guide C.4 <c>app_files[i]</c>).</summary>
public enum AppFileRole
{
    /// <summary><c>firmware_path</c>: the host's firmware image.</summary>
    Firmware,

    /// <summary><c>field_config_path</c>: the configuration for customer operation.</summary>
    FieldConfig,

    /// <summary><c>factory_config_path</c>: the configuration used during manufacturing.</summary>
    FactoryConfig,
}
