using Provisioning.Server.Backup;

namespace Provisioning.Server.Tests.Store;

public abstract partial class ProvStoreTests
{
    [StoreFact]
    public async Task The_backup_carries_every_table_and_column_the_schema_scripts_create()
    {
        var actual = await ((IBackupStore)Store).DescribeTablesAsync();
        var expected = BackupTables.All.ToDictionary(t => t.Name, t => t.Columns.Select(c => c.Name).Order().ToList());
        var tables = actual.Keys.Where(t => t != "schema_version").Order().ToList();
        Assert.Equal(expected.Keys.Order().ToList(), tables);
        foreach (var table in tables)
            Assert.True(expected[table].SequenceEqual(actual[table].Order()),
                $"{table}: the schema has {string.Join(", ", actual[table].Order())}; the backup carries {string.Join(", ", expected[table])}. Add the new column to BackupTables.");
    }

    [StoreFact]
    public async Task A_snapshot_sees_one_point_in_time_while_writers_go_on()
    {
        var backup = (IBackupStore)Store;
        var tokens = BackupTables.Find("tokens")!;
        await Store.AddTokenAsync("before", "station", [1], StoreTestData.T0);
        long seen = -1, after = -1;
        await backup.ReadSnapshotAsync(async snapshot =>
        {
            int first = 0;
            await foreach (var _ in snapshot.ReadTableAsync(tokens)) first++;
            // A writer commits while the snapshot is open; the snapshot must not see it.
            await Store.AddTokenAsync("during", "station", [2], StoreTestData.T0);
            int second = 0;
            await foreach (var _ in snapshot.ReadTableAsync(tokens)) second++;
            seen = first == second ? second : -1;
        });
        after = await backup.CountRowsAsync(tokens);
        Assert.Equal(1, seen);
        Assert.Equal(2, after);
    }
}
