using System.Data.Common;
using System.Globalization;
using Provisioning.Core.Api;
using Provisioning.Core.Packaging;

namespace Provisioning.Server.Store;

// Imported packages: revisions per config (the newest current, older ones history), their apps, aliases and files,
// and the live alias → config mapping.
public abstract partial class SqlProvStore
{
    private const string PackageColumns =
        "p.id, p.config_id, p.revision, p.is_current, p.node_type, p.node_version, p.app_label, p.comment, p.imported_at, " +
        "p.created, p.replaced_at, p.package_sha256, p.kms_public_key_pem, p.kms_fingerprint";

    /// <inheritdoc/>
    public Task<StoredPackage> AddPackageAsync(NewPackage package, CancellationToken ct = default)
    {
        var manifest = package.Manifest;
        var unknownApp = package.AppPublicKeys.Keys.FirstOrDefault(name => manifest.Apps.All(a => a.Name != name));
        if (unknownApp is not null)
            throw new ArgumentException($"A public key was given for application '{unknownApp}', which the package manifest does not list.", nameof(package));
        var configId = manifest.ConfigId.Value;
        var aliases = manifest.Aliases.Distinct(StringComparer.Ordinal).ToList();
        var importedAt = ToMs(package.ImportedAt);

        return WriteAsync(async tx =>
        {
            var connection = tx.Connection!;
            foreach (var alias in aliases)
                await EnsureAliasFreeAsync(tx, alias, configId, ct);

            var revision = Convert.ToInt32(await ScalarAsync(connection, tx,
                "SELECT COALESCE(MAX(revision), 0) FROM packages WHERE config_id = @config", ct, ("@config", ConfigIdValue(configId)))) + 1;
            await ExecuteAsync(connection, tx,
                "UPDATE packages SET is_current = 0, replaced_at = @at WHERE config_id = @config AND is_current = 1", ct,
                ("@at", importedAt), ("@config", ConfigIdValue(configId)));

            long id;
            try
            {
                id = await InsertAsync(tx,
                    "INSERT INTO packages (config_id, revision, is_current, node_type, node_version, app_label, comment, imported_at, created, " +
                    "creator, format_version, package_sha256, kms_public_key_pem, kms_fingerprint, sealed_gateway_keys) VALUES (@config, @revision, 1, " +
                    "@nodeType, @nodeVersion, @appLabel, @comment, @importedAt, @created, @creator, @format, @sha, @kmsPem, @kmsFp, @sealed)", ct,
                    ("@config", ConfigIdValue(configId)), ("@revision", revision), ("@nodeType", manifest.NodeType),
                    ("@nodeVersion", manifest.NodeVersion), ("@appLabel", manifest.AppLabel), ("@comment", package.Comment),
                    ("@importedAt", importedAt), ("@created", ToMs(manifest.Created)), ("@creator", manifest.Creator),
                    ("@format", manifest.FormatVersion), ("@sha", package.PackageSha256), ("@kmsPem", package.KmsPublicKeyPem),
                    ("@kmsFp", package.KmsKeyFingerprint), ("@sealed", package.SealedGatewayKeys));
            }
            catch (DbException e) when (IsUniqueViolation(e))
            {
                throw new ImportConflictException(configId);
            }

            for (var i = 0; i < manifest.Apps.Count; i++)
                await ExecuteAsync(connection, tx,
                    "INSERT INTO package_apps (package_id, ordinal, name, version, public_key_pem) VALUES (@id, @ordinal, @name, @version, @pem)", ct,
                    ("@id", id), ("@ordinal", i), ("@name", manifest.Apps[i].Name), ("@version", manifest.Apps[i].Version),
                    ("@pem", package.AppPublicKeys.GetValueOrDefault(manifest.Apps[i].Name)));
            for (var i = 0; i < aliases.Count; i++)
                await ExecuteAsync(connection, tx, "INSERT INTO package_aliases (package_id, ordinal, alias) VALUES (@id, @ordinal, @alias)", ct,
                    ("@id", id), ("@ordinal", i), ("@alias", aliases[i]));
            for (var i = 0; i < manifest.HardwareTypes.Count; i++)
                await ExecuteAsync(connection, tx, "INSERT INTO package_hardware_types (package_id, ordinal, hardware_type) VALUES (@id, @ordinal, @type)", ct,
                    ("@id", id), ("@ordinal", i), ("@type", manifest.HardwareTypes[i]));
            for (var i = 0; i < manifest.Files.Count; i++)
            {
                var f = manifest.Files[i];
                await ExecuteAsync(connection, tx,
                    "INSERT INTO package_files (package_id, ordinal, path, role, app, size, md5, sha256) " +
                    "VALUES (@id, @ordinal, @path, @role, @app, @size, @md5, @sha)", ct,
                    ("@id", id), ("@ordinal", i), ("@path", f.Path), ("@role", f.Role.ToString()), ("@app", f.App), ("@size", f.Size),
                    ("@md5", f.Md5), ("@sha", f.Sha256));
            }

            // The current package defines the config's aliases: ones it no longer lists are freed.
            await ExecuteAsync(connection, tx, "DELETE FROM aliases WHERE config_id = @config", ct, ("@config", ConfigIdValue(configId)));
            foreach (var alias in aliases)
            {
                try
                {
                    await ExecuteAsync(connection, tx, "INSERT INTO aliases (alias, config_id) VALUES (@alias, @config)", ct,
                        ("@alias", alias), ("@config", ConfigIdValue(configId)));
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
        await using var command = Command(tx.Connection!, tx, "SELECT config_id FROM aliases WHERE alias = @alias", ("@alias", alias));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (await reader.ReadAsync(ct) && GetConfigId(reader, 0) is var owner && owner != configId)
            throw new AliasConflictException(alias, owner);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<StoredPackage>> ListPackagesAsync(bool includeHistory, CancellationToken ct = default)
    {
        var packages = await LoadPackagesAsync(includeHistory ? "1 = 1" : "p.is_current = 1", ct);
        // Sorted here: SQLite stores config IDs above 2^63 as negative numbers, so SQL order is not numeric order.
        return packages.OrderBy(p => p.ConfigId).ThenBy(p => p.Revision).ToList();
    }

    /// <inheritdoc/>
    public async Task<StoredPackage?> GetPackageAsync(ulong configId, CancellationToken ct = default)
    {
        var packages = await LoadPackagesAsync("p.config_id = @config AND p.is_current = 1", ct, ("@config", ConfigIdValue(configId)));
        return packages.Count == 0 ? null : packages[0];
    }

    /// <inheritdoc/>
    public async Task<ulong?> ResolveAliasAsync(string alias, CancellationToken ct = default)
    {
        var rows = await QueryAsync("SELECT config_id FROM aliases WHERE alias = @alias", r => GetConfigId(r, 0), ct, ("@alias", alias));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc/>
    public async Task<(int Revision, byte[] Sealed)?> GetGatewayKeysAsync(ulong configId, CancellationToken ct = default)
    {
        var rows = await QueryAsync("SELECT revision, sealed_gateway_keys FROM packages WHERE config_id = @config AND is_current = 1",
            r => (r.GetInt32(0), r.GetFieldValue<byte[]>(1)), ct, ("@config", ConfigIdValue(configId)));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc/>
    public async Task<bool> IsFileReferencedAsync(string sha256, CancellationToken ct = default)
    {
        await using var connection = await OpenReadAsync(ct);
        return await ScalarAsync(connection, null, "SELECT 1 FROM package_files WHERE sha256 = @sha LIMIT 1", ct, ("@sha", sha256)) is not null;
    }

    private async Task<List<StoredPackage>> LoadPackagesAsync(string where, CancellationToken ct, params (string, object?)[] args)
    {
        var rows = await QueryAsync($"SELECT {PackageColumns} FROM packages p WHERE {where}", r => new PackageRow(
            r.GetInt64(0), GetConfigId(r, 1), r.GetInt32(2), r.GetBoolean(3), r.GetString(4), r.GetString(5), r.GetString(6),
            GetNullableString(r, 7), FromMs(r.GetInt64(8)), FromMs(r.GetInt64(9)), FromMs(r, 10), r.GetString(11), r.GetString(12),
            r.GetString(13)), ct, args);
        if (rows.Count == 0)
            return [];

        // Child rows never change once written, so reading them by package ID needs no shared snapshot.
        var ids = string.Join(",", rows.Select(p => p.Id.ToString(CultureInfo.InvariantCulture)));
        var apps = (await QueryAsync($"SELECT package_id, name, version, public_key_pem FROM package_apps WHERE package_id IN ({ids}) ORDER BY package_id, ordinal",
            r => (Id: r.GetInt64(0), App: new AppVersion(r.GetString(1), r.GetString(2)), Pem: GetNullableString(r, 3)), ct)).ToLookup(a => a.Id);
        var aliases = (await QueryAsync($"SELECT package_id, alias FROM package_aliases WHERE package_id IN ({ids}) ORDER BY package_id, ordinal",
            r => (Id: r.GetInt64(0), Alias: r.GetString(1)), ct)).ToLookup(a => a.Id, a => a.Alias);
        var hardwareTypes = (await QueryAsync($"SELECT package_id, hardware_type FROM package_hardware_types WHERE package_id IN ({ids}) ORDER BY package_id, ordinal",
            r => (Id: r.GetInt64(0), Type: r.GetString(1)), ct)).ToLookup(h => h.Id, h => h.Type);
        var files = (await QueryAsync($"SELECT package_id, path, role, app, size, md5, sha256 FROM package_files WHERE package_id IN ({ids}) ORDER BY package_id, ordinal",
            r => (Id: r.GetInt64(0), File: new PackageFileEntry(r.GetString(1), Enum.Parse<PackageFileRole>(r.GetString(2)), GetNullableString(r, 3),
                r.GetInt64(4), r.GetString(5), r.GetString(6))), ct)).ToLookup(f => f.Id, f => f.File);

        return rows.Select(p => new StoredPackage(p.Id, p.ConfigId, p.Revision, p.IsCurrent, p.NodeType, p.NodeVersion, p.AppLabel,
            apps[p.Id].Select(a => a.App).ToList(), aliases[p.Id].ToList(), p.Comment, p.ImportedAt, p.Created, p.ReplacedAt, p.PackageSha256,
            p.KmsPublicKeyPem, p.KmsFingerprint,
            apps[p.Id].Where(a => a.Pem is not null).ToDictionary(a => a.App.Name, a => a.Pem!, StringComparer.Ordinal),
            files[p.Id].ToList())
        {
            HardwareTypes = hardwareTypes[p.Id].ToList(),
        }).ToList();
    }

    private sealed record PackageRow(long Id, ulong ConfigId, int Revision, bool IsCurrent, string NodeType, string NodeVersion, string AppLabel,
        string? Comment, DateTimeOffset ImportedAt, DateTimeOffset Created, DateTimeOffset? ReplacedAt, string PackageSha256,
        string KmsPublicKeyPem, string KmsFingerprint);
}
