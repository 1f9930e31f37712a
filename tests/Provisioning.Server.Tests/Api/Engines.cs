using MySqlConnector;

namespace Provisioning.Server.Tests.Api;

/// <summary>
/// The database engines the API tests run on: SQLite always; MariaDB when PROV_TEST_MYSQL names a server (a
/// MySqlConnector connection string whose user may create databases). With PROV_TEST_REQUIRE_MYSQL=1 a missing
/// MariaDB fails the run instead of leaving those cases out.
/// </summary>
public static class Engines
{
    public static TheoryData<string> All
    {
        get
        {
            var data = new TheoryData<string> { "sqlite" };
            if (Environment.GetEnvironmentVariable("PROV_TEST_MYSQL") is { Length: > 0 } || Environment.GetEnvironmentVariable("PROV_TEST_REQUIRE_MYSQL") == "1")
                data.Add("mysql");
            return data;
        }
    }

    /// <summary>A database spec for a fresh, empty database on <paramref name="engine"/>.</summary>
    public static async Task<string?> FreshDatabaseAsync(string engine)
    {
        if (engine == "sqlite")
            return null;
        string connection = Environment.GetEnvironmentVariable("PROV_TEST_MYSQL")
            ?? throw new InvalidOperationException("PROV_TEST_REQUIRE_MYSQL=1 but PROV_TEST_MYSQL is not set: start MariaDB (build/mariadb.sh start <dir>) and export the line it prints.");
        string name = "prov_api_" + Guid.NewGuid().ToString("N")[..12];
        await using (var db = new MySqlConnection(connection))
        {
            await db.OpenAsync();
            await using var create = new MySqlCommand($"CREATE DATABASE `{name}` CHARACTER SET utf8mb4", db);
            await create.ExecuteNonQueryAsync();
        }
        var builder = new MySqlConnectionStringBuilder(connection) { Database = name };
        return "mysql:" + builder.ConnectionString;
    }
}
