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
/// <para>
/// The web import verifies once and commits later: <see cref="StageAsync"/> keeps the verified upload staged (files
/// unpacked, gateway keys already sealed under the master key; the passphrase is not kept) under an unguessable ID bound
/// to the person who uploaded it; <see cref="CommitStagedAsync"/> imports it without a second upload, and
/// <see cref="DiscardStaged"/>, a timeout or a restart removes it.
/// </para>
/// </summary>
public sealed class PackageImporter : IDisposable
{
    /// <summary>How long a verified upload waits for Import or Cancel.</summary>
    public static readonly TimeSpan StagedLifetime = TimeSpan.FromMinutes(30);
    /// <summary>Staged uploads one person may hold at once; a new one replaces their oldest.</summary>
    public const int MaxStagedPerOwner = 3;

    /// <summary>How long a claim on a config (held in the database while an import runs) lasts unless renewed.</summary>
    public static readonly TimeSpan ClaimLifetime = TimeSpan.FromMinutes(5);

    // Configs this instance is importing, with the claim each holds in the database (which other instances see).
    private readonly ConcurrentDictionary<ulong, string> _importing = new();
    private readonly ISharedChanges _shared;
    private readonly ConcurrentDictionary<string, Held> _held = new(StringComparer.Ordinal);
    private readonly IProvStore _store;
    private readonly FileRepository _repository;
    private readonly MasterKey _masterKey;
    private readonly ConfigFacts _facts;
    private readonly ServerSettings _settings;
    private readonly ILogger<PackageImporter> _log;
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;

    public PackageImporter(IProvStore store, FileRepository repository, MasterKey masterKey, ConfigFacts facts,
        IOptions<ServerSettings> options, ILogger<PackageImporter> log, TimeProvider time)
    {
        _store = store;
        _shared = store as ISharedChanges ?? new Auth.NoSharedChanges();
        _repository = repository;
        _masterKey = masterKey;
        _facts = facts;
        _settings = options.Value;
        _log = log;
        _time = time;
        _sweeper = time.CreateTimer(_ => { Sweep(); RenewClaims(); }, null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    /// <summary>Context that binds sealed gateway keys to their config.</summary>
    public static string GatewayKeysContext(ulong configId) => $"prov-gateway-keys:v1:{configId}";

    /// <summary>
    /// Verifies and (unless <paramref name="dryRun"/>) imports the package read from <paramref name="upload"/>.
    /// Throws <see cref="PackageRejectedException"/>, <see cref="PackageFormatException"/>, <see cref="ImportConflictException"/>,
    /// <see cref="AliasConflictException"/>, or an IOException when the upload breaks off.
    /// </summary>
    public async Task<ImportResult> ImportAsync(Stream upload, string sourceName, char[] passphrase, string? comment, bool dryRun, CancellationToken ct)
    {
        string staging = NewStagingFolder();
        ulong? claimed = null;
        try
        {
            // Claim the config as soon as the manifest names it, so a second upload of the same config fails fast.
            var verified = await VerifyAsync(upload, sourceName, staging, passphrase, dryRun ? null : manifest =>
            {
                Claim(manifest.ConfigId.Value);
                claimed = manifest.ConfigId.Value;
            }, ct);
            if (dryRun)
            {
                var current = await _store.GetPackageAsync(verified.ConfigId, ct);
                return new ImportResult(Preview(verified, current, comment), Imported: false, current?.Revision);
            }
            byte[] sealedKeys = SealGatewayKeys(staging, passphrase, verified.ConfigId);
            return await CommitAsync(staging, verified, sealedKeys, comment, sourceName);
        }
        finally
        {
            if (claimed is { } id)
                await ReleaseAsync(id);
            TryDelete(staging);
        }
    }

    /// <summary>
    /// Verifies the upload once and keeps it staged for <see cref="CommitStagedAsync"/> by <paramref name="owner"/>; the
    /// gateway keys are sealed now, so the passphrase is not needed (nor kept) afterwards. Throws what
    /// <see cref="ImportAsync"/> throws; nothing stays staged when it does.
    /// </summary>
    public async Task<StagedImport> StageAsync(Stream upload, string sourceName, char[] passphrase, string? comment, string owner, CancellationToken ct)
    {
        Sweep();
        string staging = NewStagingFolder();
        try
        {
            var verified = await VerifyAsync(upload, sourceName, staging, passphrase, null, ct);
            byte[] sealedKeys = SealGatewayKeys(staging, passphrase, verified.ConfigId);
            var current = await _store.GetPackageAsync(verified.ConfigId, ct);
            var staged = new StagedImport(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), owner, sourceName,
                Preview(verified, current, comment), current?.Revision, _time.GetUtcNow() + StagedLifetime);
            foreach (var old in _held.Values.Where(h => h.Staged.Owner == owner).OrderBy(h => h.Staged.Expires).SkipLast(MaxStagedPerOwner - 1))
                Remove(old.Staged.Id);
            _held[staged.Id] = new Held(staged, staging, verified, sealedKeys, comment);
            _log.LogInformation("Verified config {ConfigId} ({AppLabel}) from {Source}; staged as {StagedId} until Import or Cancel",
                verified.ConfigId, verified.Manifest.AppLabel, sourceName, staged.Id);
            return staged;
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
    }

    /// <summary>A staged upload of <paramref name="owner"/>; null when unknown, expired or someone else's.</summary>
    public StagedImport? GetStaged(string id, string owner) =>
        _held.TryGetValue(id, out var held) && held.Staged.Owner == owner && held.Staged.Expires > _time.GetUtcNow() ? held.Staged : null;

    /// <summary>
    /// Imports a staged upload (once: the staging is gone afterwards, whether the import succeeded or not). Throws
    /// <see cref="StagedImportNotFoundException"/> when it is unknown, expired or not <paramref name="owner"/>'s, and
    /// <see cref="ImportConflictException"/> or <see cref="AliasConflictException"/> when the database changed since.
    /// </summary>
    public async Task<ImportResult> CommitStagedAsync(string id, string owner)
    {
        if (GetStaged(id, owner) is null || !_held.TryRemove(id, out var held))
            throw new StagedImportNotFoundException();
        try
        {
            Claim(held.Verified.ConfigId);
            try
            {
                await CheckAliasesAsync(held.Verified.Manifest, CancellationToken.None);
                return await CommitAsync(held.Folder, held.Verified, held.SealedKeys, held.Comment, held.Staged.SourceName);
            }
            finally
            {
                await ReleaseAsync(held.Verified.ConfigId);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(held.SealedKeys);
            TryDelete(held.Folder);
        }
    }

    /// <summary>Removes a staged upload of <paramref name="owner"/> (Cancel); false when there was none.</summary>
    public bool DiscardStaged(string id, string owner) => GetStaged(id, owner) is not null && Remove(id);

    /// <summary>Removes every staged upload (the server is stopping).</summary>
    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (string id in _held.Keys)
            Remove(id);
    }

    /// <summary>Removes the staged uploads whose time is up (also run every minute).</summary>
    public void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var held in _held.Values.Where(h => h.Staged.Expires <= now))
            if (Remove(held.Staged.Id))
                _log.LogInformation("Discarded the staged upload {StagedId} (config {ConfigId}): neither imported nor cancelled within {Minutes} minutes",
                    held.Staged.Id, held.Verified.ConfigId, StagedLifetime.TotalMinutes);
    }

    private bool Remove(string id)
    {
        if (!_held.TryRemove(id, out var held))
            return false;
        CryptographicOperations.ZeroMemory(held.SealedKeys);
        TryDelete(held.Folder);
        return true;
    }

    private string NewStagingFolder()
    {
        string staging = Path.Combine(_settings.StagingPath, Guid.NewGuid().ToString("N"));
        OwnerOnlyFolder.Create(staging);
        return staging;
    }

    // Claims the config on this instance, then in the database, so a second import of it on any instance sharing the
    // database is refused (409) while this one runs. Called from the verifier's thread as soon as the manifest is read.
    private void Claim(ulong configId)
    {
        string claim = ClaimPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        if (!_importing.TryAdd(configId, claim))
            throw new ImportConflictException(configId);
        bool claimed = false;
        try
        {
            claimed = _shared.TryClaimImportAsync(configId, claim, _time.GetUtcNow(), ClaimLifetime).GetAwaiter().GetResult();
        }
        finally
        {
            if (!claimed)
                _importing.TryRemove(configId, out _);
        }
        if (!claimed)
            throw new ImportConflictException(configId);
    }

    // Claims start with an ID of this instance (its machine and data folder), so that it can drop the claims it left
    // when it was killed (nothing of it is importing while it starts).
    private string ClaimPrefix => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Environment.MachineName}\n{_settings.DataPath}")), 0, 8);

    /// <summary>Drops the import claims this instance left in the database when it was stopped mid-import (called on start).</summary>
    public Task ReleaseLeftClaimsAsync() => _shared.ReleaseImportClaimsStartingAsync(ClaimPrefix);

    private async Task ReleaseAsync(ulong configId)
    {
        if (!_importing.TryRemove(configId, out var claim))
            return;
        try
        {
            await _shared.ReleaseImportClaimAsync(configId, claim, CancellationToken.None);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or InvalidOperationException)
        {
            // The claim goes stale by itself (ClaimLifetime); the import's own outcome stands.
            _log.LogWarning("Could not release the import claim on config {ConfigId} ({Error}); it lapses within {Minutes} minutes",
                configId, e.Message, ClaimLifetime.TotalMinutes);
        }
    }

    private void RenewClaims()
    {
        try
        {
            _shared.RenewImportClaimsAsync(_importing.Values.ToList(), _time.GetUtcNow()).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or InvalidOperationException)
        {
            _log.LogWarning("Could not renew the import claims ({Error})", e.Message);
        }
    }

    /// <summary>One streaming pass over the upload into <paramref name="staging"/>; throws unless the package is good.</summary>
    private async Task<Verified> VerifyAsync(Stream upload, string sourceName, string staging, char[] passphrase,
        Action<PackageManifest>? manifestRead, CancellationToken ct)
    {
        using var counted = new UploadStream(upload, _settings.MaxPackageSize);
        var verification = await Task.Run(() => PackageVerifier.Verify(counted, sourceName, new PackageVerifyOptions
        {
            Passphrase = passphrase,
            ExtractTo = staging,
            CancellationToken = ct,
            ManifestRead = manifestRead,
        }), ct);
        string packageSha256 = await Task.Run(counted.Finish, ct);
        if (!verification.IsValid)
            throw new PackageRejectedException(sourceName, verification.Problems);

        var manifest = verification.Manifest;
        await CheckAliasesAsync(manifest, ct);
        string kmsPem = ReadText(staging, PackageLayout.KmsPublicKeyPath);
        var appKeys = manifest.Files.Where(f => f.Role == PackageFileRole.AppPublicKey && f.App is not null)
            .ToDictionary(f => f.App!, f => ReadText(staging, f.Path), StringComparer.Ordinal);
        return new Verified(manifest, packageSha256, kmsPem, verification.KmsFingerprint ?? "", appKeys);
    }

    private static PackageSummary Preview(Verified verified, StoredPackage? current, string? comment)
    {
        var manifest = verified.Manifest;
        return new PackageSummary(verified.ConfigId, (current?.Revision ?? 0) + 1, true, manifest.NodeType, manifest.NodeVersion,
            manifest.AppLabel, manifest.Apps.Select(a => new AppVersion(a.Name, a.Version)).ToList(), manifest.Aliases, comment,
            DateTimeOffset.UtcNow, manifest.Created, verified.PackageSha256, verified.KmsFingerprint, null);
    }

    /// <summary>Moves the verified files into the repository and commits the package in one transaction.</summary>
    private async Task<ImportResult> CommitAsync(string staging, Verified verified, byte[] sealedKeys, string? comment, string sourceName)
    {
        var manifest = verified.Manifest;
        foreach (var file in manifest.Files.Where(f => !PackageLayout.IsKeyRole(f.Role)))
            _repository.Add(Path.Combine(staging, file.Path), file.Sha256);

        var previous = await _store.GetPackageAsync(verified.ConfigId, CancellationToken.None);
        var stored = await _store.AddPackageAsync(new NewPackage(manifest, comment, DateTimeOffset.UtcNow, verified.PackageSha256, verified.KmsPem,
            verified.KmsFingerprint, verified.AppKeys, sealedKeys), CancellationToken.None);
        _facts.Forget(verified.ConfigId);
        _log.LogInformation("Imported config {ConfigId} revision {Revision} ({AppLabel}) from {Source}", verified.ConfigId, stored.Revision, manifest.AppLabel, sourceName);
        return new ImportResult(PackageViews.Summary(stored), Imported: true, previous?.Revision);
    }

    private async Task CheckAliasesAsync(PackageManifest manifest, CancellationToken ct)
    {
        foreach (string alias in manifest.Aliases)
            if (await _store.ResolveAliasAsync(alias, ct) is { } owner && owner != manifest.ConfigId.Value)
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
            return _masterKey.Seal(plain, GatewayKeysContext(configId));
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
            _log.LogWarning("Could not remove the staging folder {Folder}: {Reason}; it is removed on the next start.", folder, ex.Message);
        }
    }

    private sealed record Verified(PackageManifest Manifest, string PackageSha256, string KmsPem, string KmsFingerprint,
        IReadOnlyDictionary<string, string> AppKeys)
    {
        public ulong ConfigId => Manifest.ConfigId.Value;
    }

    private sealed record Held(StagedImport Staged, string Folder, Verified Verified, byte[] SealedKeys, string? Comment);
}

/// <summary>A verified upload waiting for Import or Cancel.</summary>
/// <param name="Id">Unguessable ID the web pages use to commit or discard it.</param>
/// <param name="Owner">Who uploaded it; only they may commit or discard it.</param>
/// <param name="SourceName">The uploaded file's name.</param>
/// <param name="Package">What would be imported ("Uploaded Package Information").</param>
/// <param name="CurrentRevision">The config's current revision, which the import would replace; null for a new config.</param>
/// <param name="Expires">When it is discarded unless imported.</param>
public sealed record StagedImport(string Id, string Owner, string SourceName, PackageSummary Package, int? CurrentRevision, DateTimeOffset Expires);

/// <summary>The staged upload is gone (imported, cancelled, timed out, or the server restarted).</summary>
public sealed class StagedImportNotFoundException()
    : Exception($"This upload is no longer waiting: it was imported or cancelled, or {PackageImporter.StagedLifetime.TotalMinutes:0} minutes passed, or the server restarted. Upload the package again.");
