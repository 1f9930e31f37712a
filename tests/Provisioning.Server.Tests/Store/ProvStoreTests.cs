using Provisioning.Core.Api;
using Provisioning.Core.Export;
using Provisioning.Server.Store;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

/// <summary>
/// The store suite, written once and run against every engine by a subclass per engine (<see cref="SqliteStoreTests"/>,
/// <see cref="MariaDbStoreTests"/>). Each test gets a fresh, migrated database.
/// </summary>
public abstract partial class ProvStoreTests : IAsyncLifetime
{
    private readonly List<IProvStore> _opened = [];

    /// <summary>The migrated store each test starts with.</summary>
    protected IProvStore Store { get; private set; } = null!;

    /// <summary>Database spec of <see cref="Store"/>.</summary>
    protected string Spec { get; private set; } = "";

    /// <summary>A private data folder, removed after the test.</summary>
    protected string DataPath { get; } = Directory.CreateTempSubdirectory("prov-store-test-").FullName;

    /// <summary>Creates a new, empty database and returns its spec for <see cref="StoreFactory.Create"/>.</summary>
    protected abstract Task<string> CreateDatabaseAsync();

    /// <summary>Removes every database <see cref="CreateDatabaseAsync"/> made.</summary>
    protected abstract Task DropDatabasesAsync();

    /// <summary>Runs SQL on a database directly, bypassing the store.</summary>
    protected abstract Task ExecuteRawAsync(string spec, string sql);

    public async Task InitializeAsync()
    {
        Spec = await CreateDatabaseAsync();
        Store = OpenStore(Spec);
        await Store.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _opened)
            await store.DisposeAsync();
        await DropDatabasesAsync();
        Directory.Delete(DataPath, recursive: true);
    }

    /// <summary>Another store instance (as another server would open), disposed after the test.</summary>
    protected IProvStore OpenStore(string spec)
    {
        var store = StoreFactory.Create(spec, DataPath);
        _opened.Add(store);
        return store;
    }

    private static int NewestSchema(IProvStore store) => SchemaScripts.For(store.Engine).Newest;

    // ---- schema ------------------------------------------------------------------------------------------------

    [StoreFact]
    public async Task Migrate_creates_the_schema_and_running_it_again_changes_nothing()
    {
        var store = OpenStore(await CreateDatabaseAsync());
        Assert.Equal(0, await store.GetSchemaVersionAsync());

        await store.MigrateAsync();
        Assert.Equal(NewestSchema(store), await store.GetSchemaVersionAsync());
        var token = await store.AddTokenAsync("admin", TokenRoles.Admin, [1, 2, 3], T0);

        await store.MigrateAsync();
        Assert.Equal(NewestSchema(store), await store.GetSchemaVersionAsync());
        Assert.Equal([token], await store.ListTokensAsync());
    }

    [StoreFact]
    public async Task Migrate_refuses_a_database_a_newer_server_has_upgraded()
    {
        await ExecuteRawAsync(Spec, "INSERT INTO schema_version (version, description) VALUES (999, 'from the future')");
        var store = OpenStore(Spec);

        var e = await Assert.ThrowsAsync<SchemaVersionTooNewException>(() => store.MigrateAsync());

        Assert.Equal(999, e.DatabaseVersion);
        Assert.Contains("database schema version 999 is newer than this server supports", e.Message);
        Assert.Contains($"({NewestSchema(store)}); upgrade the server", e.Message);
    }

    [StoreFact]
    public async Task Two_servers_migrating_one_new_database_at_once_both_succeed()
    {
        var spec = await CreateDatabaseAsync();
        var first = OpenStore(spec);
        var second = OpenStore(spec);

        await Task.WhenAll(Task.Run(() => first.MigrateAsync()), Task.Run(() => second.MigrateAsync()));

        Assert.Equal(NewestSchema(first), await first.GetSchemaVersionAsync());
        await first.AddTokenAsync("a", TokenRoles.Admin, [1], T0);
        await second.AddTokenAsync("b", TokenRoles.Station, [2], T0);
        Assert.Equal(["a", "b"], (await first.ListTokensAsync()).Select(t => t.Name));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /// <summary>Records a device (and confirms it unless told not to), as a station would.</summary>
    protected async Task<DeviceRecord> ProvisionAsync(uint node, ulong config, uint batch = 1000, int minute = 0, bool confirm = true, byte key = 1)
    {
        var at = T0.AddMinutes(minute);
        var (record, created) = await Store.RecordDeviceAsync(node, Guid.NewGuid(), Device(config, batch, at, key), at);
        Assert.True(created);
        return confirm ? (await Store.ConfirmDeviceAsync(node, record.RequestId, at.AddSeconds(5)))! : record;
    }

    protected async Task<List<ExportedDevice>> ExportAsync(ExportQuery query)
    {
        var devices = new List<ExportedDevice>();
        await foreach (var device in Store.ReadExportAsync(query))
            devices.Add(device);
        return devices;
    }

    protected async Task<uint[]> ExportedNodesAsync(ExportQuery query) => (await ExportAsync(query)).Select(d => d.NodeId).ToArray();
}
