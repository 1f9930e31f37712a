using System.Data.Common;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace Provisioning.Bench;

/// <summary>
/// A server database the bench reaches directly, named <c>sqlite:&lt;file&gt;</c> or <c>mysql:&lt;database&gt;</c>.
/// The MySQL server and its credentials come from PROV_TEST_MYSQL (the line build/mariadb.sh prints), so no password
/// appears on a command line.
/// </summary>
internal sealed record BenchDatabase(string Engine, string Target)
{
    public bool IsSqlite => Engine == "sqlite";

    public static BenchDatabase Parse(string spec)
    {
        int colon = spec.IndexOf(':');
        string engine = colon < 0 ? "" : spec[..colon], target = colon < 0 ? "" : spec[(colon + 1)..];
        if ((engine != "sqlite" && engine != "mysql") || target.Length == 0)
            throw new ArgumentException($"Database '{spec}' is neither sqlite:<file> nor mysql:<database>.");
        return new BenchDatabase(engine, target);
    }

    public static string MySqlServer => Environment.GetEnvironmentVariable("PROV_TEST_MYSQL") is { Length: > 0 } server
        ? server
        : throw new InvalidOperationException("PROV_TEST_MYSQL is not set: start MariaDB with build/mariadb.sh start <dir> and export the line it prints.");

    /// <summary>Opens a connection the way the server's store does (plain driver defaults, no bench-only tuning).</summary>
    public async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = IsSqlite
            ? new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Target, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString())
            : new MySqlConnection(new MySqlConnectionStringBuilder(MySqlServer) { Database = Target, Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Creates or drops a MySQL database on the PROV_TEST_MYSQL server.</summary>
    public static async Task CreateOrDropMySqlAsync(string name, bool create)
    {
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            throw new ArgumentException($"Database name '{name}' may hold only letters, digits and underscores.");
        await using var connection = new MySqlConnection(MySqlServer);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(create ? $"CREATE DATABASE `{name}` CHARACTER SET utf8mb4" : $"DROP DATABASE IF EXISTS `{name}`", connection);
        await command.ExecuteNonQueryAsync();
    }
}
