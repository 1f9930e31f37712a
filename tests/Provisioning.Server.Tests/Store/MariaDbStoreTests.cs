using System.Diagnostics;
using MySqlConnector;
using Provisioning.Server.Store;

namespace Provisioning.Server.Tests.Store;

/// <summary>
/// The store suite on MariaDB (or MySQL) at <c>PROV_TEST_MYSQL</c>: each test creates its own uniquely named database
/// and drops it afterwards, so runs never see each other's data.
/// </summary>
[NeedsServer(typeof(MariaDbTestServer))]
public sealed class MariaDbStoreTests : ProvStoreTests
{
    private readonly List<string> _databases = [];

    private static MySqlConnectionStringBuilder Server() => new(MariaDbTestServer.RequireConnectionString());

    protected override async Task<string> CreateDatabaseAsync()
    {
        var name = $"prov_test_{Guid.NewGuid():N}"[..26];
        await AdminAsync($"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        _databases.Add(name);
        var builder = Server();
        builder.Database = name;
        return "mysql:" + builder.ConnectionString;
    }

    protected override async Task DropDatabasesAsync()
    {
        foreach (var name in _databases)
            await AdminAsync($"DROP DATABASE IF EXISTS `{name}`");
    }

    protected override async Task ExecuteRawAsync(string spec, string sql)
    {
        await using var connection = new MySqlConnection(spec["mysql:".Length..]);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task AdminAsync(string sql)
    {
        await using var connection = new MySqlConnection(Server().ConnectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [MariaDbFact]
    public async Task A_DBA_can_run_the_shipped_scripts_by_hand_twice_and_the_server_then_finds_the_schema_current()
    {
        var spec = await CreateDatabaseAsync();
        var target = new MySqlConnectionStringBuilder(spec["mysql:".Length..]);
        var scripts = SchemaScripts.For("mysql").Scripts.Select(s => Path.Combine(AppContext.BaseDirectory, "schema", s.Name)).ToList();
        foreach (var script in scripts)
            Assert.True(File.Exists(script), $"{script} should ship beside the server");

        // Every script in order, as docs/database.md tells a DBA, then all of them once more.
        foreach (var (run, script) in scripts.Concat(scripts).Select((s, i) => (i, s)))
        {
            var info = new ProcessStartInfo("mariadb", ["--no-defaults", "--protocol=tcp", $"--host={target.Server}", $"--port={target.Port}",
                $"--user={target.UserID}", target.Database])
            {
                RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true,
            };
            info.Environment["MYSQL_PWD"] = target.Password; // not on the command line
            using var client = Process.Start(info)!;
            await client.StandardInput.WriteAsync(await File.ReadAllTextAsync(script));
            client.StandardInput.Close();
            var errors = client.StandardError.ReadToEndAsync();
            await client.WaitForExitAsync();
            Assert.True(client.ExitCode == 0, $"mariadb client run {run + 1} ({Path.GetFileName(script)}) failed: {await errors}");
        }

        var store = OpenStore(spec);
        Assert.Equal(SchemaScripts.For("mysql").Newest, await store.GetSchemaVersionAsync());
        await store.MigrateAsync();
        Assert.Equal(SchemaScripts.For("mysql").Newest, await store.GetSchemaVersionAsync());
        Assert.Empty(await store.ListTokensAsync());
    }

    [MariaDbFact]
    public async Task Every_statement_the_store_sends_prepares_against_the_schema()
    {
        var statements = ((SqlProvStore)Store).Sql.All().ToList();
        await using var connection = new MySqlConnection(Spec["mysql:".Length..]);
        await connection.OpenAsync();
        foreach (var (name, sql) in statements)
            foreach (var statement in sql.Split(";\n").SelectMany(s => s.Split("; SELECT LAST_INSERT_ID()")).Where(s => s.Length > 0))
            {
                // A server-side PREPARE checks syntax, tables and columns without running the statement.
                var text = System.Text.RegularExpressions.Regex.Replace(statement, @"@\w+", "?").Replace("'", "''");
                await using var command = new MySqlCommand($"PREPARE prov_check FROM '{text}'", connection);
                try
                {
                    await command.ExecuteNonQueryAsync();
                }
                catch (MySqlException e)
                {
                    Assert.Fail($"{name} does not prepare on MariaDB: {e.Message}\n{statement}");
                }
            }
    }
}
