using Provisioning.Server.Store;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

// Hardware types a package's node firmware supports (schema version 2), and the upgrade of a version-1 database.
public abstract partial class ProvStoreTests
{
    [StoreFact]
    public async Task A_package_keeps_its_hardware_types_in_order_and_each_revision_its_own()
    {
        var first = await Store.AddPackageAsync(Package(ConfigA, hardwareTypes: ["rev-b", "rev-a"]));
        Assert.Equal(["rev-b", "rev-a"], first.HardwareTypes);
        Assert.Equal(["rev-b", "rev-a"], (await Store.GetPackageAsync(ConfigA))!.HardwareTypes);

        await Store.AddPackageAsync(Package(ConfigA, importedAt: T0.AddHours(1)));
        await Store.AddPackageAsync(Package(ConfigB, hardwareTypes: ["HW_3.1"]));

        Assert.Empty((await Store.GetPackageAsync(ConfigA))!.HardwareTypes);
        var all = await Store.ListPackagesAsync(includeHistory: true);
        Assert.Equal([(ConfigA, 1, "rev-b rev-a"), (ConfigA, 2, ""), (ConfigB, 1, "HW_3.1")],
            all.Select(p => (p.ConfigId, p.Revision, string.Join(' ', p.HardwareTypes))));
    }

    [StoreFact]
    public async Task A_database_made_with_schema_version_1_is_upgraded_and_its_packages_have_no_hardware_types()
    {
        // A database as a server of schema version 1 left it, holding one imported package.
        var spec = await CreateDatabaseAsync();
        var scripts = SchemaScripts.For(Store.Engine).Scripts;
        Assert.Equal(1, scripts[0].Version);
        await ExecuteRawAsync(spec, scripts[0].Sql);
        await ExecuteRawAsync(spec,
            "INSERT INTO packages (config_id, revision, is_current, node_type, node_version, app_label, comment, imported_at, created, creator, " +
            "format_version, package_sha256, kms_public_key_pem, kms_fingerprint, sealed_gateway_keys) VALUES (161, 1, 1, 'node-637', '2.0.0', " +
            $"'kite_170', 'before hardware types', 1772352000000, 1772265600000, 'Provisioning 0.1.0', 1, '{new string('d', 64)}', 'PEM', '{KmsFingerprint}', X'A55A01')");
        await ExecuteRawAsync(spec, "INSERT INTO package_aliases (package_id, ordinal, alias) VALUES (1, 0, 'old_line')");
        var store = OpenStore(spec);
        Assert.Equal(1, await store.GetSchemaVersionAsync());

        await store.MigrateAsync();

        Assert.Equal(NewestSchema(store), await store.GetSchemaVersionAsync());
        var old = await store.GetPackageAsync(161);
        Assert.Equal(("before hardware types", "2.0.0", 1), (old!.Comment, old.NodeVersion, old.Revision));
        Assert.Equal(["old_line"], old.Aliases);
        Assert.Empty(old.HardwareTypes);

        // The upgraded database takes new packages with hardware types; the old revision stays as it was.
        await store.AddPackageAsync(Package(161, importedAt: T0.AddDays(1), hardwareTypes: ["rev-a"]));
        var revisions = await store.ListPackagesAsync(includeHistory: true);
        Assert.Equal([(1, ""), (2, "rev-a")], revisions.Select(p => (p.Revision, string.Join(' ', p.HardwareTypes))));
    }
}
