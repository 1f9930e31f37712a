using System.Diagnostics;
using Microsoft.Data.SqlClient;
using Provisioning.Server.Store;

namespace Provisioning.Server.Tests.Store;

/// <summary>
/// The store suite on a real SQL Server at <c>PROV_TEST_SQLSERVER</c>: each test creates its own uniquely named
/// database (with READ_COMMITTED_SNAPSHOT on, as docs/database.md advises) and drops it afterwards. Without the variable
/// every test here is reported as skipped, naming it.
/// </summary>
[NeedsServer(typeof(SqlServerTestServer))]
public sealed class SqlServerStoreTests : ProvStoreTests
{
    private readonly List<string> _databases = [];

    private static SqlConnectionStringBuilder Server() => new(SqlServerTestServer.RequireConnectionString());

    protected override async Task<string> CreateDatabaseAsync()
    {
        var name = $"prov_test_{Guid.NewGuid():N}"[..26];
        await AdminAsync($"CREATE DATABASE [{name}]");
        _databases.Add(name);
        await AdminAsync($"ALTER DATABASE [{name}] SET READ_COMMITTED_SNAPSHOT ON");
        var builder = Server();
        builder.InitialCatalog = name;
        return "sqlserver:" + builder.ConnectionString;
    }

    protected override async Task DropDatabasesAsync()
    {
        SqlConnection.ClearAllPools();
        foreach (var name in _databases)
            await AdminAsync($"IF DB_ID(N'{name}') IS NOT NULL BEGIN ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{name}]; END");
    }

    protected override async Task ExecuteRawAsync(string spec, string sql)
    {
        await using var connection = new SqlConnection(spec["sqlserver:".Length..]);
        await connection.OpenAsync();
        await using var command = new SqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task AdminAsync(string sql)
    {
        var builder = Server();
        builder.InitialCatalog = "master";
        await using var connection = new SqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new SqlCommand(sql, connection) { CommandTimeout = 120 };
        await command.ExecuteNonQueryAsync();
    }

    [SqlServerFact]
    public async Task A_DBA_can_run_the_shipped_scripts_with_sqlcmd_twice_and_the_server_then_finds_the_schema_current()
    {
        var sqlcmd = FindSqlcmd();
        if (sqlcmd is null)
        {
            // No client tools beside the server: run the batches as sqlcmd would, one by one, outside any transaction.
            await RunByHandAsync(await CreateDatabaseAsync(), (spec, batch) => ExecuteRawAsync(spec, batch));
            return;
        }
        await RunByHandAsync(await CreateDatabaseAsync(), null, sqlcmd);
    }

    private async Task RunByHandAsync(string spec, Func<string, string, Task>? runBatch, string? sqlcmd = null)
    {
        var target = new SqlConnectionStringBuilder(spec["sqlserver:".Length..]);
        var scripts = SchemaScripts.For("sqlserver").Scripts.Select(s => Path.Combine(AppContext.BaseDirectory, "schema", s.Name)).ToList();
        foreach (var (run, script) in scripts.Concat(scripts).Select((s, i) => (i, s)))
        {
            if (runBatch is not null)
            {
                foreach (var batch in SqlServerScript.Batches(await File.ReadAllTextAsync(script)))
                    await runBatch(spec, batch);
                continue;
            }
            List<string> arguments = ["-S", target.DataSource, "-d", target.InitialCatalog, "-b", "-i", script];
            if (target.IntegratedSecurity) arguments.Add("-E");
            else arguments.AddRange(["-U", target.UserID]);
            if (target.TrustServerCertificate) arguments.Add("-C");
            var info = new ProcessStartInfo(sqlcmd!, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
            info.Environment["SQLCMDPASSWORD"] = target.Password; // not on the command line
            using var client = Process.Start(info)!;
            var output = client.StandardOutput.ReadToEndAsync();
            var errors = client.StandardError.ReadToEndAsync();
            await client.WaitForExitAsync();
            Assert.True(client.ExitCode == 0, $"sqlcmd run {run + 1} ({Path.GetFileName(script)}) failed: {await output} {await errors}");
        }

        var store = OpenStore(spec);
        Assert.Equal(SchemaScripts.For("sqlserver").Newest, await store.GetSchemaVersionAsync());
        await store.MigrateAsync();
        Assert.Equal(SchemaScripts.For("sqlserver").Newest, await store.GetSchemaVersionAsync());
        Assert.Empty(await store.ListTokensAsync());
    }

    private static string? FindSqlcmd()
    {
        string[] known = ["/opt/mssql-tools18/bin/sqlcmd", "/opt/mssql-tools/bin/sqlcmd"];
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, OperatingSystem.IsWindows() ? "sqlcmd.exe" : "sqlcmd"));
        return onPath.Concat(known).FirstOrDefault(File.Exists);
    }
}
