using Microsoft.Data.Sqlite;
using Provisioning.Core.Api;
using Provisioning.Server.Store;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

/// <summary>The store suite on SQLite: each test gets its own database file in a temporary folder.</summary>
public sealed class SqliteStoreTests : ProvStoreTests
{
    private const ulong LayoutConfig = 0x45;

    protected override Task<string> CreateDatabaseAsync() =>
        Task.FromResult("sqlite:" + Path.Combine(DataPath, $"provisioning-{Guid.NewGuid():N}.db"));

    protected override Task DropDatabasesAsync() => Task.CompletedTask; // the data folder goes with the test

    protected override async Task ExecuteRawAsync(string spec, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = spec["sqlite:".Length..], Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task The_database_file_is_in_WAL_mode_so_exports_do_not_block_stations()
    {
        await using var connection = new SqliteConnection($"Data Source={Spec["sqlite:".Length..]};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", await command.ExecuteScalarAsync());
    }

    private async Task<long> ScalarAsync(string spec, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = spec["sqlite:".Length..], Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_new_database_has_8_KiB_pages_and_keeps_app_data_in_binary()
    {
        Assert.Equal(SqliteStore.NewDatabasePageSize, await ScalarAsync(Spec, "PRAGMA page_size"));
        // What a station records for a meter with an eMCM and a ZigBee radio: a 3072-bit RSA block and 300 bytes of app keys.
        DeviceApp[] apps = [new("emcm", "0a0b0c0d", new string('9', 512), "0011223344556677"), new("zigbee", "00124b0001abcdef", new string('7', 32), null)];
        for (uint node = 1; node <= 200; node++)
        {
            var request = Device(LayoutConfig, apps: apps) with { EncryptedRootKey = Convert.ToBase64String(new byte[384]) };
            var (record, _) = await Store.RecordDeviceAsync(node * 7919, Guid.NewGuid(), request, T0);
            await Store.ConfirmDeviceAsync(record.NodeId, record.RequestId, T0.AddSeconds(1));
        }

        Assert.Equal(200, await ScalarAsync(Spec, "SELECT COUNT(*) FROM device_records WHERE app_data IS NOT NULL AND apps IS NULL"));
    }

    [Fact]
    public async Task A_database_made_with_4_KiB_pages_keeps_them_and_migrates_to_the_lean_layout()
    {
        var spec = await CreateDatabaseAsync();
        await ExecuteRawAsync(spec, "PRAGMA page_size = 4096; CREATE TABLE made_by_an_older_server (x INTEGER)");
        var store = OpenStore(spec);
        await store.MigrateAsync();
        await store.RecordDeviceAsync(0x77, Guid.NewGuid(), Device(LayoutConfig), T0);

        Assert.Equal(4096, await ScalarAsync(spec, "PRAGMA page_size"));
        Assert.Equal(SchemaScripts.For("sqlite").Newest, await store.GetSchemaVersionAsync());
        Assert.Equal(Device(LayoutConfig).Apps, (await store.GetDeviceAsync(0x77))!.Records.Single().Apps);
    }

    [Fact]
    public async Task Every_statement_the_store_sends_compiles_against_the_schema()
    {
        var statements = ((SqlProvStore)Store).Sql.All().ToList();
        Assert.True(statements.Count > 60, $"only {statements.Count} statements listed");
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Spec["sqlite:".Length..], Pooling = false }.ToString());
        await connection.OpenAsync();
        foreach (var (name, sql) in statements)
            foreach (var statement in sql.Split(";\n"))
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "EXPLAIN " + statement; // compiles (tables, columns, syntax) without running it
                foreach (var parameter in System.Text.RegularExpressions.Regex.Matches(statement, @"@\w+").Select(m => m.Value).Distinct())
                    command.Parameters.AddWithValue(parameter, DBNull.Value);
                try
                {
                    await using var reader = await command.ExecuteReaderAsync();
                }
                catch (SqliteException e)
                {
                    Assert.Fail($"{name} does not compile on SQLite: {e.Message}\n{statement}");
                }
            }
    }

    [Fact]
    public async Task Writes_of_stations_recording_at_once_share_transactions()
    {
        var store = (SqliteStore)Store;
        var before = store.Committed;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => store.RecordDeviceAsync(0x5000 + (uint)i, Guid.NewGuid(), Device(LayoutConfig), T0))));

        var (batches, items) = (store.Committed.Batches - before.Batches, store.Committed.Items - before.Items);
        Assert.Equal(64, items);
        Assert.True(batches < items, $"64 concurrent writes took {batches} transactions; they should share some");
    }
}
