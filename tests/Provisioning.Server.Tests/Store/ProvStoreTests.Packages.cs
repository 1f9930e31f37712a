using Provisioning.Core.Api;
using Provisioning.Server.Store;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

public abstract partial class ProvStoreTests
{
    private const ulong ConfigA = 0x0001_0000_0000_00A1;
    private const ulong ConfigB = 0x0001_0000_0000_00B2;

    [StoreFact]
    public async Task A_first_import_is_revision_1_and_current_with_everything_a_station_needs()
    {
        var package = Package(ConfigA, ["kite_170_node_637_dev_net", "82JX570141"]);
        var added = await Store.AddPackageAsync(package);

        var stored = await Store.GetPackageAsync(ConfigA);
        Assert.NotNull(stored);
        Assert.Equal(1, stored.Revision);
        Assert.True(stored.IsCurrent);
        Assert.Null(stored.ReplacedAt);
        Assert.Equal(added.Id, stored.Id);
        Assert.Equal(("kite_170", "node-637", "2.1.0", "line 1 import"), (stored.AppLabel, stored.NodeType, stored.NodeVersion, stored.Comment));
        Assert.Equal([new AppVersion("meter", "1.4"), new AppVersion("valve", "0.9")], stored.Apps);
        Assert.Equal(["kite_170_node_637_dev_net", "82JX570141"], stored.Aliases);
        Assert.Equal(package.Manifest.Files, stored.Files);
        Assert.Equal(package.AppPublicKeys, stored.AppPublicKeys);
        Assert.Equal((T0, T0.AddDays(-1)), (stored.ImportedAt, stored.Created));
        Assert.Equal((package.PackageSha256, package.KmsPublicKeyPem, package.KmsKeyFingerprint),
            (stored.PackageSha256, stored.KmsPublicKeyPem, stored.KmsKeyFingerprint));
        Assert.Equal(added with { Apps = stored.Apps, Aliases = stored.Aliases, Files = stored.Files, AppPublicKeys = stored.AppPublicKeys, HardwareTypes = stored.HardwareTypes }, stored);

        var keys = await Store.GetGatewayKeysAsync(ConfigA);
        Assert.Equal(1, keys!.Value.Revision);
        Assert.Equal(package.SealedGatewayKeys, keys.Value.Sealed);
        Assert.Equal(ConfigA, await Store.ResolveAliasAsync("82JX570141"));
        Assert.True(await Store.IsFileReferencedAsync(new string('a', 64)));
        Assert.False(await Store.IsFileReferencedAsync(new string('e', 64)));
        Assert.Null(await Store.GetPackageAsync(ConfigB));
        Assert.Null(await Store.GetGatewayKeysAsync(ConfigB));
    }

    [StoreFact]
    public async Task Importing_a_config_again_makes_revision_2_current_and_keeps_revision_1_as_history()
    {
        await Store.AddPackageAsync(Package(ConfigA, ["line1"], T0, "old", sealedMarker: 1, fileMarker: 'a'));
        var second = await Store.AddPackageAsync(Package(ConfigA, ["line1"], T0.AddHours(3), "new", sealedMarker: 2, fileMarker: '7'));

        Assert.Equal(2, second.Revision);
        var current = await Store.GetPackageAsync(ConfigA);
        Assert.Equal((2, "new", true), (current!.Revision, current.Comment, current.IsCurrent));
        Assert.Equal(2, (await Store.GetGatewayKeysAsync(ConfigA))!.Value.Sealed[2]);
        Assert.Equal(ConfigA, await Store.ResolveAliasAsync("line1"));

        Assert.Equal([(ConfigA, 2)], (await Store.ListPackagesAsync(includeHistory: false)).Select(p => (p.ConfigId, p.Revision)));
        var all = await Store.ListPackagesAsync(includeHistory: true);
        Assert.Equal([(1, false, "old", (DateTimeOffset?)T0.AddHours(3)), (2, true, "new", null)],
            all.Select(p => (p.Revision, p.IsCurrent, p.Comment, p.ReplacedAt)));
        // History keeps its own files: the old firmware is still referenced.
        Assert.Equal(new string('a', 64), all[0].Files[0].Sha256);
        Assert.True(await Store.IsFileReferencedAsync(new string('a', 64)));
    }

    [StoreFact]
    public async Task Several_aliases_map_to_one_config_and_reimporting_with_them_is_fine()
    {
        await Store.AddPackageAsync(Package(ConfigA, ["maker-1", "maker-2", "maker-3"]));
        await Store.AddPackageAsync(Package(ConfigA, ["maker-1", "maker-2", "maker-3"], T0.AddHours(1)));

        foreach (var alias in new[] { "maker-1", "maker-2", "maker-3" })
            Assert.Equal(ConfigA, await Store.ResolveAliasAsync(alias));
        Assert.Null(await Store.ResolveAliasAsync("MAKER-1")); // aliases compare case-sensitively
        Assert.Null(await Store.ResolveAliasAsync("maker-4"));
    }

    [StoreFact]
    public async Task An_alias_of_another_config_is_refused_and_nothing_of_that_package_is_stored()
    {
        await Store.AddPackageAsync(Package(ConfigA, ["shared-name"]));

        var e = await Assert.ThrowsAsync<AliasConflictException>(() => Store.AddPackageAsync(Package(ConfigB, ["b-only", "shared-name"], fileMarker: '9')));

        Assert.Equal(("shared-name", ConfigA), (e.Alias, e.ExistingConfigId));
        Assert.Null(await Store.GetPackageAsync(ConfigB));
        Assert.Null(await Store.ResolveAliasAsync("b-only"));
        Assert.Equal(ConfigA, await Store.ResolveAliasAsync("shared-name"));
        Assert.False(await Store.IsFileReferencedAsync(new string('9', 64)));
        Assert.Single(await Store.ListPackagesAsync(includeHistory: true));

        // The config can still be imported once the clash is gone.
        Assert.Equal(1, (await Store.AddPackageAsync(Package(ConfigB, ["b-only"]))).Revision);
    }

    [StoreFact]
    public async Task The_current_package_defines_the_aliases_so_one_it_drops_is_free_for_another_config()
    {
        await Store.AddPackageAsync(Package(ConfigA, ["keep", "drop"]));
        await Store.AddPackageAsync(Package(ConfigA, ["keep"], T0.AddHours(1)));

        Assert.Null(await Store.ResolveAliasAsync("drop"));
        await Store.AddPackageAsync(Package(ConfigB, ["drop"]));
        Assert.Equal(ConfigB, await Store.ResolveAliasAsync("drop"));
        // History still shows what revision 1 listed.
        Assert.Equal(["keep", "drop"], (await Store.ListPackagesAsync(true)).First(p => p.ConfigId == ConfigA && p.Revision == 1).Aliases);
    }

    /// <summary>
    /// Simultaneous imports of one config never leave two current revisions or a gap. SQLite serialises them, so all
    /// become revisions in turn; on MariaDB the ones that overlap lose the race for the revision number and get
    /// <see cref="ImportConflictException"/>.
    /// </summary>
    [StoreFact]
    public async Task Simultaneous_imports_of_one_config_are_serialised_as_revisions_or_refused_as_conflicts()
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            try
            {
                return (await Store.AddPackageAsync(Package(ConfigA, ["same"], T0.AddMinutes(i)))).Revision;
            }
            catch (ImportConflictException e) when (e.ConfigId == ConfigA)
            {
                return 0;
            }
        })));

        var revisions = outcomes.Where(r => r > 0).Order().ToArray();
        Assert.NotEmpty(revisions);
        Assert.Equal(Enumerable.Range(1, revisions.Length), revisions);
        var all = await Store.ListPackagesAsync(includeHistory: true);
        Assert.Equal(revisions, all.Select(p => p.Revision));
        Assert.Equal(revisions[^1], Assert.Single(all, p => p.IsCurrent).Revision);
        if (Store.Engine == "sqlite")
            Assert.Equal(6, revisions.Length);
    }

    [StoreFact]
    public async Task The_largest_config_id_round_trips_and_sorts_after_smaller_ones()
    {
        const ulong max = 18446744073709551615;
        await Store.AddPackageAsync(Package(max, ["top"]));
        await Store.AddPackageAsync(Package(ConfigA));

        Assert.Equal(max, (await Store.GetPackageAsync(max))!.ConfigId);
        Assert.Equal(max, await Store.ResolveAliasAsync("top"));
        Assert.Equal([ConfigA, max], (await Store.ListPackagesAsync(false)).Select(p => p.ConfigId));

        var node = await ProvisionAsync(0xFFFFFFFF, max, batch: uint.MaxValue);
        Assert.Equal((max, 0xFFFFFFFFu, uint.MaxValue), (node.ConfigId, node.NodeId, node.Batch));
        Assert.Equal(max, (await Store.GetDeviceAsync(0xFFFFFFFF))!.Current!.ConfigId);
        var exported = Assert.Single(await ExportAsync(Query(max)));
        Assert.Equal((max, 0xFFFFFFFFu, uint.MaxValue), (exported.ConfigId, exported.NodeId, exported.Batch));

        var id = await Store.StartExportAsync(Query(max), new ExportRequest(max, null, null, null, null, false), "admin", T0);
        Assert.Equal(max, (await Store.GetExportAsync(id))!.ConfigId);
        Assert.Single(await Store.ListExportsAsync(max));
    }
}
