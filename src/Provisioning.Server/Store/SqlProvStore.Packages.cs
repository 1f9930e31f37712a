using System.Data.Common;
using Provisioning.Core.Api;
using Provisioning.Core.Packaging;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Store;

// Imported packages: revisions per config (the newest current, older ones history), their apps, aliases and files,
// and the live alias → config mapping.
public abstract partial class SqlProvStore
{
    /// <inheritdoc/>
    public Task<StoredPackage> AddPackageAsync(NewPackage package, CancellationToken ct = default)
    {
        var manifest = package.Manifest;
        var unknownApp = package.AppPublicKeys.Keys.FirstOrDefault(name => manifest.Apps.All(a => a.Name != name));
        if (unknownApp is not null)
            throw new ArgumentException($"A public key was given for application '{unknownApp}', which the package manifest does not list.", nameof(package));
        var configId = manifest.ConfigId.Value;
        var config = ConfigIdValue(configId);
        var aliases = manifest.Aliases.Distinct(StringComparer.Ordinal).ToList();
        var importedAt = ToMs(package.ImportedAt);

        return WriteAsync(async tx =>
        {
            foreach (var alias in aliases)
                await EnsureAliasFreeAsync(tx, alias, configId, ct);

            var revision = await ScalarAsync<int>(tx, Sql.NextRevision, new { config }, ct);
            await ExecuteAsync(tx, Sql.RetireCurrentPackage, new { at = importedAt, config }, ct);

            long id;
            try
            {
                id = await InsertAsync(tx, Sql.InsertPackage, new
                {
                    config, revision, nodeType = manifest.NodeType, nodeVersion = manifest.NodeVersion, appLabel = manifest.AppLabel,
                    comment = package.Comment, importedAt, created = ToMs(manifest.Created), creator = manifest.Creator,
                    format = manifest.FormatVersion, sha = package.PackageSha256, kmsPem = package.KmsPublicKeyPem,
                    kmsFp = package.KmsKeyFingerprint, @sealed = package.SealedGatewayKeys,
                }, ct);
            }
            catch (DbException e) when (IsUniqueViolation(e))
            {
                throw new ImportConflictException(configId);
            }

            for (var i = 0; i < manifest.Apps.Count; i++)
                await ExecuteAsync(tx, Sql.InsertPackageApp, new
                {
                    id, ordinal = i, name = manifest.Apps[i].Name, version = manifest.Apps[i].Version,
                    pem = package.AppPublicKeys.GetValueOrDefault(manifest.Apps[i].Name),
                }, ct);
            for (var i = 0; i < aliases.Count; i++)
                await ExecuteAsync(tx, Sql.InsertPackageAlias, new { id, ordinal = i, alias = aliases[i] }, ct);
            for (var i = 0; i < manifest.HardwareTypes.Count; i++)
                await ExecuteAsync(tx, Sql.InsertPackageHardwareType, new { id, ordinal = i, type = manifest.HardwareTypes[i] }, ct);
            for (var i = 0; i < manifest.Files.Count; i++)
            {
                var f = manifest.Files[i];
                await ExecuteAsync(tx, Sql.InsertPackageFile, new
                {
                    id, ordinal = i, path = f.Path, role = f.Role.ToString(), app = f.App, size = f.Size, md5 = f.Md5, sha = f.Sha256,
                }, ct);
            }

            // The current package defines the config's aliases: ones it no longer lists are freed.
            await ExecuteAsync(tx, Sql.DeleteAliases, new { config }, ct);
            foreach (var alias in aliases)
            {
                try
                {
                    await ExecuteAsync(tx, Sql.InsertAlias, new { alias, config }, ct);
                }
                catch (DbException e) when (IsUniqueViolation(e))
                {
                    // Another config's import took the alias after our check.
                    await EnsureAliasFreeAsync(tx, alias, configId, ct);
                    throw;
                }
            }

            return new StoredPackage(id, configId, revision, true, manifest.NodeType, manifest.NodeVersion, manifest.AppLabel,
                manifest.Apps.Select(a => new AppVersion(a.Name, a.Version)).ToList(), aliases, package.Comment, FromMs(importedAt),
                FromMs(ToMs(manifest.Created)), null, package.PackageSha256, package.KmsPublicKeyPem, package.KmsKeyFingerprint,
                new Dictionary<string, string>(package.AppPublicKeys, StringComparer.Ordinal), manifest.Files.ToList())
            {
                HardwareTypes = manifest.HardwareTypes.ToList(),
            };
        }, ct);
    }

    private async Task EnsureAliasFreeAsync(DbTransaction tx, string alias, ulong configId, CancellationToken ct)
    {
        var owners = await QueryAsync<ulong>(tx, Sql.AliasOwner, new { alias }, ct);
        if (owners.Count > 0 && owners[0] != configId)
            throw new AliasConflictException(alias, owners[0]);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<StoredPackage>> ListPackagesAsync(bool includeHistory, CancellationToken ct = default)
    {
        var packages = await LoadPackagesAsync(includeHistory ? Sql.AllPackages : Sql.CurrentPackages, null, ct);
        // Sorted here: SQLite stores config IDs above 2^63 as negative numbers, so SQL order is not numeric order.
        return packages.OrderBy(p => p.ConfigId).ThenBy(p => p.Revision).ToList();
    }

    /// <inheritdoc/>
    public async Task<StoredPackage?> GetPackageAsync(ulong configId, CancellationToken ct = default) =>
        (await LoadPackagesAsync(Sql.CurrentPackage, new { config = ConfigIdValue(configId) }, ct)).FirstOrDefault();

    /// <inheritdoc/>
    public async Task<ulong?> ResolveAliasAsync(string alias, CancellationToken ct = default)
    {
        var rows = await QueryAsync<ulong>(Sql.AliasOwner, new { alias }, ct);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc/>
    public async Task<(int Revision, byte[] Sealed)?> GetGatewayKeysAsync(ulong configId, CancellationToken ct = default)
    {
        var rows = await QueryAsync<GatewayKeysRow>(Sql.GatewayKeys, new { config = ConfigIdValue(configId) }, ct);
        return rows.Count == 0 ? null : (rows[0].Revision, rows[0].SealedGatewayKeys);
    }

    /// <inheritdoc/>
    public async Task<bool> IsFileReferencedAsync(string sha256, CancellationToken ct = default) =>
        await ScalarAsync<long>(Sql.FileReferenced, new { sha = sha256 }, ct) == 1;

    private async Task<List<StoredPackage>> LoadPackagesAsync(string sql, object? parameters, CancellationToken ct)
    {
        var rows = await QueryAsync<PackageRow>(sql, parameters, ct);
        if (rows.Count == 0)
            return [];

        // Child rows never change once written, so reading them by package ID needs no shared snapshot.
        var ids = rows.Select(p => p.Id).ToList();
        var apps = (await QueryAsync<PackageAppRow>(StoreStatements.PackageChildren("package_apps", "name, version, public_key_pem", ids), null, ct))
            .ToLookup(a => a.PackageId);
        var aliases = (await QueryAsync<PackageAliasRow>(StoreStatements.PackageChildren("package_aliases", "alias", ids), null, ct))
            .ToLookup(a => a.PackageId, a => a.Alias);
        var hardwareTypes = (await QueryAsync<PackageHardwareTypeRow>(StoreStatements.PackageChildren("package_hardware_types", "hardware_type", ids), null, ct))
            .ToLookup(h => h.PackageId, h => h.HardwareType);
        var files = (await QueryAsync<PackageFileRow>(StoreStatements.PackageChildren("package_files", "path, role, app, size, md5, sha256", ids), null, ct))
            .ToLookup(f => f.PackageId, f => new PackageFileEntry(f.Path, Enum.Parse<PackageFileRole>(f.Role), f.App, f.Size, f.Md5, f.Sha256));

        return rows.Select(p => new StoredPackage(p.Id, p.ConfigId, p.Revision, p.IsCurrent, p.NodeType, p.NodeVersion, p.AppLabel,
            apps[p.Id].Select(a => new AppVersion(a.Name, a.Version)).ToList(), aliases[p.Id].ToList(), p.Comment, FromMs(p.ImportedAt),
            FromMs(p.Created), FromMs(p.ReplacedAt), p.PackageSha256, p.KmsPublicKeyPem, p.KmsFingerprint,
            apps[p.Id].Where(a => a.PublicKeyPem is not null).ToDictionary(a => a.Name, a => a.PublicKeyPem!, StringComparer.Ordinal),
            files[p.Id].ToList())
        {
            HardwareTypes = hardwareTypes[p.Id].ToList(),
        }).ToList();
    }
}
