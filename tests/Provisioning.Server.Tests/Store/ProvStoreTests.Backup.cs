using Provisioning.Server.Backup;

namespace Provisioning.Server.Tests.Store;

public abstract partial class ProvStoreTests
{
    [StoreFact]
    public async Task The_backup_carries_every_table_and_column_the_schema_scripts_create()
    {
        var actual = await ((IBackupStore)Store).DescribeTablesAsync();
        var carried = BackupTables.All.ToDictionary(t => t.Name, t => t.Columns.Select(c => c.Name).ToHashSet());
        var tables = actual.Keys.Where(t => t != "schema_version" && !BackupTables.NotCarried.Contains(t)).Order().ToList();
        Assert.Equal(carried.Keys.Order().ToList(), tables);
        foreach (var table in tables)
        {
            var missing = actual[table].Where(c => !carried[table].Contains(c)).ToList();
            Assert.True(missing.Count == 0, $"{table}: the schema has {string.Join(", ", missing)}, which backups leave out. Add it to BackupTables.");
        }
        // What a backup of this database reads: every column it has, no other.
        foreach (var table in BackupTables.In(actual))
            Assert.Equal(actual[table.Name].Order(), table.Columns.Select(c => c.Name).Order());
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
