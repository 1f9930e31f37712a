using System.Reflection;
using System.Text.RegularExpressions;
using Provisioning.Server.Store;
using Provisioning.Server.Store.Sql;

namespace Provisioning.Server.Tests.Store;

/// <summary>
/// Every statement the SQL Server store sends, checked with Microsoft's T-SQL parser without a server. The store can only
/// send what these enumerate: the shared statements built on its dialect (<see cref="StoreStatements.All"/>), the
/// dialect's own (<see cref="SqlServerDialect.OwnStatements"/>) and the schema scripts' batches (checked in
/// <see cref="SqlServerSchemaScriptTests"/>). The last tests here hold the store to that: no SQL is written anywhere else
/// in the store's code, and the enumeration misses no statement.
/// </summary>
public sealed class SqlServerStatementTests
{
    private static readonly SqlServerDialect Dialect = new();
    private static readonly StoreStatements Statements = new(Dialect);

    private static Dictionary<string, string> Sent() =>
        Statements.All().Concat(Dialect.OwnStatements()).ToDictionary(s => s.Name, s => s.Sql);

    public static TheoryData<string> StatementNames() => new(Sent().Keys.Order());

    [Theory]
    [MemberData(nameof(StatementNames))]
    public void Each_statement_parses_as_T_SQL_with_no_error_and_no_other_dialects_keywords(string name)
    {
        var sql = Sent()[name];
        var fragment = SqlServerTSql.Parse(sql, name);
        Assert.Empty(SqlServerTSql.ForeignKeywords(fragment));
        Assert.DoesNotContain('`', sql);
    }

    [Theory]
    [MemberData(nameof(StatementNames))]
    public void Each_statement_names_only_tables_and_columns_the_SQL_Server_schema_has(string name)
    {
        var schema = SqlServerTSql.SchemaTables();
        var (tables, columns) = SqlServerTSql.NamesUsed(SqlServerTSql.Parse(Sent()[name], name));
        Assert.All(tables, t => Assert.True(schema.ContainsKey(t), $"{name} names table {t}, which the scripts do not create"));
        var known = tables.SelectMany(t => schema[t]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.All(columns, c => Assert.True(known.Contains(c), $"{name} names column {c}, which none of {string.Join(", ", tables)} has"));
    }

    [Theory]
    [MemberData(nameof(StatementNames))]
    public void Each_insert_gives_a_value_per_column_and_every_column_that_has_no_default(string name)
    {
        var required = SqlServerTSql.RequiredColumns();
        foreach (var (table, columns, valueCounts) in SqlServerTSql.Inserts(SqlServerTSql.Parse(Sent()[name], name)))
        {
            Assert.All(valueCounts, n => Assert.True(n == columns.Count, $"{name}: {columns.Count} columns of {table} but {n} values"));
            var missing = required[table].Except(columns, StringComparer.OrdinalIgnoreCase).ToList();
            Assert.True(missing.Count == 0, $"{name}: INSERT INTO {table} leaves out {string.Join(", ", missing)}, which are NOT NULL without a default");
        }
    }

    [Fact]
    public void The_insert_check_knows_which_columns_need_a_value()
    {
        var deviceRecords = SqlServerTSql.RequiredColumns()["device_records"];
        Assert.Contains("request_id", deviceRecords);
        Assert.Contains("encrypted_root_key", deviceRecords);
        Assert.DoesNotContain("id", deviceRecords);          // IDENTITY
        Assert.DoesNotContain("kcv", deviceRecords);         // NULL
        Assert.DoesNotContain("count", SqlServerTSql.RequiredColumns()["exports"]); // DEFAULT 0
        Assert.Single(SqlServerTSql.Inserts(SqlServerTSql.Parse(Statements.InsertAudit, "audit")));
    }

    [Fact]
    public void Each_shared_statement_takes_the_parameters_it_takes_on_SQLite_where_the_suite_always_binds_them()
    {
        var sqlite = new StoreStatements(new SqliteDialect()).All().ToDictionary(s => s.Name, s => s.Sql);
        foreach (var (name, sql) in Statements.All())
        {
            var onSqlite = new SortedSet<string>(Regex.Matches(sqlite[name], @"@\w+").Select(m => m.Value), StringComparer.OrdinalIgnoreCase);
            Assert.True(onSqlite.SetEquals(SqlServerTSql.Parameters(SqlServerTSql.Parse(sql, name))),
                $"{name}: T-SQL uses {string.Join(" ", SqlServerTSql.Parameters(SqlServerTSql.Parse(sql, name)))}, SQLite {string.Join(" ", onSqlite)}");
        }
    }

    [Fact]
    public void The_migration_lock_and_the_node_lock_take_the_parameters_the_store_binds()
    {
        Assert.Equal(["@resource", "@timeout"], SqlServerTSql.Parameters(SqlServerTSql.Parse(Dialect.TakeMigrationLock, "lock")));
        Assert.Equal(["@node"], SqlServerTSql.Parameters(SqlServerTSql.Parse(Dialect.LockNode, "node lock")));
    }

    [Fact]
    public void The_enumeration_lists_every_statement_the_shared_store_can_build()
    {
        var listed = Statements.All().Select(s => s.Name).ToList();
        var members = typeof(StoreStatements).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(string) && p.Name != nameof(StoreStatements.Engine)).Select(p => p.Name)
            .Concat(typeof(StoreStatements).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => m.ReturnType == typeof(string) && !m.IsSpecialName && m.Name != nameof(ToString)).Select(m => m.Name));
        Assert.All(members, m => Assert.True(listed.Any(n => n == m || n.StartsWith(m + " ", StringComparison.Ordinal)),
            $"StoreStatements.{m} is not in All(), so no parser check covers it"));
        var own = typeof(SqlServerDialect).GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(p => p.PropertyType == typeof(string) && p.Name != nameof(SqlDialect.Engine) && p.Name != nameof(SqlDialect.LockNode) &&
                        p.Name != nameof(SqlDialect.SchemaTableExists) && p.Name != nameof(SqlDialect.NextDeviceRecordId) &&
                        p.Name != nameof(SqlDialect.ListColumns)).Select(p => p.Name);
        Assert.All(own, p => Assert.Contains(p, Dialect.OwnStatements().Select(s => s.Name)));
    }

    [Theory]
    [InlineData("src/Provisioning.Server/Store/SqlServerStore.cs")]
    [InlineData("src/Provisioning.Server/Store/SqlServerScript.cs")]
    [InlineData("src/Provisioning.Server/Store/SqlProvStore*.cs")]
    public void The_store_code_writes_no_SQL_of_its_own_so_every_statement_comes_from_the_checked_set(string pattern)
    {
        var files = Directory.GetFiles(Path.GetDirectoryName(Path.Combine(SourceRoot(), pattern))!, Path.GetFileName(pattern));
        Assert.NotEmpty(files);
        var sqlInLiteral = new Regex(@"""[^""\n]*\b(SELECT|INSERT|UPDATE|DELETE|MERGE|EXEC|EXECUTE|DECLARE|CREATE|ALTER|DROP|TRUNCATE|FROM|WHERE|SET)\b[^""\n]*""");
        foreach (var file in files)
        {
            var code = Regex.Replace(File.ReadAllText(file), @"^\s*///?.*$", "", RegexOptions.Multiline); // comments may speak of SQL
            var found = sqlInLiteral.Matches(code).Select(m => m.Value).ToList();
            Assert.True(found.Count == 0, $"{Path.GetFileName(file)} writes SQL itself (put it in StoreStatements or SqlServerDialect): {string.Join(" | ", found)}");
        }
        // And the SQL Server store runs only the dialect's statements, the shared ones and script batches.
        var store = File.ReadAllText(Path.Combine(SourceRoot(), "src/Provisioning.Server/Store/SqlServerStore.cs"));
        var commands = Regex.Matches(store, @"Command\(([^,]+),").Select(m => m.Groups[1].Value.Trim()).ToList();
        Assert.NotEmpty(commands);
        Assert.All(commands, c => Assert.Matches(@"^(_dialect\.\w+|Sql\.\w+|batch)$", c));
    }

    private static string SourceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Provisioning.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"The source tree was not found above {AppContext.BaseDirectory}.");
    }
}
