using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Provisioning.Core.Api;
using Provisioning.Core.Crypto;
using Provisioning.Core.Packaging;
using Provisioning.Server.Endpoints;
using Provisioning.Server.Hosting;
using Provisioning.Server.Keys;
using Provisioning.Server.Repository;
using Provisioning.Server.Store;

namespace Provisioning.Server.Import;

/// <summary>
/// Imports an uploaded package atomically (guide §7.1.2): one streaming pass verifies everything Test-ProvPackage checks
/// while unpacking into a private staging folder; only then are files moved into the repository and metadata, aliases
/// and the re-sealed gateway keys committed in one database transaction. Any failure — a bad package, a cut upload,
/// a killed server — leaves no imported state: staging is removed (or emptied on the next start) and repository files
/// are only referenced once the transaction commits.
/// </summary>
public sealed class PackageImporter(IProvStore store, FileRepository repository, MasterKey masterKey, ConfigFacts facts,
    IOptions<ServerSettings> options, ILogger<PackageImporter> log)
{
    private readonly ConcurrentDictionary<ulong, byte> _importing = new();
    private readonly ServerSettings _settings = options.Value;

    /// <summary>Context that binds sealed gateway keys to their config.</summary>
    public static string GatewayKeysContext(ulong configId) => $"prov-gateway-keys:v1:{configId}";

    /// <summary>
    /// Verifies and (unless <paramref name="dryRun"/>) imports the package read from <paramref name="upload"/>.
    /// Throws <see cref="PackageRejectedException"/>, <see cref="PackageFormatException"/>, <see cref="ImportConflictException"/>,
    /// <see cref="AliasConflictException"/>, or an IOException when the upload breaks off.
    /// </summary>
    public async Task<ImportResult> ImportAsync(Stream upload, string sourceName, char[] passphrase, string? comment, bool dryRun, CancellationToken ct)
    {
        string staging = Path.Combine(_settings.StagingPath, Guid.NewGuid().ToString("N"));
        Hosting.OwnerOnlyFolder.Create(staging);
        ulong? claimed = null;
        try
        {
            using var counted = new UploadStream(upload, _settings.MaxPackageSize);
            var verification = await Task.Run(() => PackageVerifier.Verify(counted, sourceName, new PackageVerifyOptions
            {
                Passphrase = passphrase,
                ExtractTo = staging,
                CancellationToken = ct,
                // Claim the config as soon as the manifest names it, so a second upload of the same config fails fast.
                ManifestRead = manifest =>
                {
                    if (dryRun)
                        return;
                    if (!_importing.TryAdd(manifest.ConfigId.Value, 0))
                        throw new ImportConflictException(manifest.ConfigId.Value);
                    claimed = manifest.ConfigId.Value;
                },
            }), ct);
            string packageSha256 = await Task.Run(counted.Finish, ct);
            if (!verification.IsValid)
                throw new PackageRejectedException(sourceName, verification.Problems);

            var manifest = verification.Manifest;
            ulong configId = manifest.ConfigId.Value;
            await CheckAliasesAsync(manifest, ct);
            string kmsPem = ReadText(staging, PackageLayout.KmsPublicKeyPath);
            var appKeys = manifest.Files.Where(f => f.Role == PackageFileRole.AppPublicKey && f.App is not null)
                .ToDictionary(f => f.App!, f => ReadText(staging, f.Path), StringComparer.Ordinal);

            if (dryRun)
            {
                var current = await store.GetPackageAsync(configId, ct);
                var preview = new PackageSummary(configId, (current?.Revision ?? 0) + 1, true, manifest.NodeType, manifest.NodeVersion,
                    manifest.AppLabel, manifest.Apps.Select(a => new AppVersion(a.Name, a.Version)).ToList(), manifest.Aliases, comment,
                    DateTimeOffset.UtcNow, manifest.Created, packageSha256, verification.KmsFingerprint ?? "", null);
                return new ImportResult(preview, Imported: false, current?.Revision);
            }

            byte[] sealedKeys = SealGatewayKeys(staging, passphrase, configId);
            foreach (var file in manifest.Files.Where(f => !PackageLayout.IsKeyRole(f.Role)))
                repository.Add(Path.Combine(staging, file.Path), file.Sha256);

            var previous = await store.GetPackageAsync(configId, ct);
            var stored = await store.AddPackageAsync(new NewPackage(manifest, comment, DateTimeOffset.UtcNow, packageSha256, kmsPem,
                verification.KmsFingerprint ?? "", appKeys, sealedKeys), CancellationToken.None);
            facts.Forget(configId);
            log.LogInformation("Imported config {ConfigId} revision {Revision} ({AppLabel}) from {Source}", configId, stored.Revision, manifest.AppLabel, sourceName);
            return new ImportResult(PackageViews.Summary(stored), Imported: true, previous?.Revision);
        }
        finally
        {
            if (claimed is { } id)
                _importing.TryRemove(id, out _);
            TryDelete(staging);
        }
    }

    private async Task CheckAliasesAsync(PackageManifest manifest, CancellationToken ct)
    {
        foreach (string alias in manifest.Aliases)
            if (await store.ResolveAliasAsync(alias, ct) is { } owner && owner != manifest.ConfigId.Value)
                throw new AliasConflictException(alias, owner);
    }

    /// <summary>Opens the gateway key file with the passphrase and seals both keys under the master key; plaintext is zeroed.</summary>
    private byte[] SealGatewayKeys(string staging, char[] passphrase, ulong configId)
    {
        byte[] encrypted = File.ReadAllBytes(Path.Combine(staging, PackageLayout.GatewayKeyFilePath));
        using var keys = GatewayKeyFile.Decrypt(encrypted, passphrase);
        byte[] plain = new byte[GatewayKeys.KeyLength * 2];
        try
        {
            keys.GatewayKey.CopyTo(plain);
            keys.CdldKey.CopyTo(plain.AsSpan(GatewayKeys.KeyLength));
            return masterKey.Seal(plain, GatewayKeysContext(configId));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static string ReadText(string staging, string path) => File.ReadAllText(Path.Combine(staging, path), Encoding.UTF8);

    private void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
        catch (IOException ex)
        {
            log.LogWarning("Could not remove the staging folder {Folder}: {Reason}; it is removed on the next start.", folder, ex.Message);
        }
    }
}
