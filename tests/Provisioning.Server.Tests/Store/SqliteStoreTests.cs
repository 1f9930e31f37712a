using Microsoft.Data.Sqlite;

namespace Provisioning.Server.Tests.Store;

/// <summary>The store suite on SQLite: each test gets its own database file in a temporary folder.</summary>
public sealed class SqliteStoreTests : ProvStoreTests
{
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
}
