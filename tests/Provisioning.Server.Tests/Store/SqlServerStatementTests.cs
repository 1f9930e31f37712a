using System.Reflection;
using Provisioning.Server.Store;

namespace Provisioning.Server.Tests.Store;

/// <summary>
/// Every statement the SQL Server store sends, parsed with Microsoft's T-SQL parser without a server. The statements
/// are the members of <see cref="SqlServerSql"/>, found by reflection, so a statement added there is checked without
/// editing this test.
/// </summary>
public sealed class SqlServerStatementTests
{
    public static TheoryData<string> StatementNames() => new(Statements().Keys);

    private static Dictionary<string, string> Statements() =>
        typeof(SqlServerSql).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(string) && f.Name != nameof(SqlServerSql.MigrationLockResource))
            .ToDictionary(f => f.Name, f => (string)f.GetValue(null)!);

    [Theory]
    [MemberData(nameof(StatementNames))]
    public void Each_statement_parses_as_T_SQL_with_no_error(string name)
    {
        var sql = Statements()[name];
        // A suffix (the inserted ID) is checked after a representative INSERT.
        var text = name == nameof(SqlServerSql.SelectInsertedId) ? "INSERT INTO tokens (name) VALUES (@name)" + sql : sql;
        var fragment = SqlServerTSql.Parse(text, $"SqlServerSql.{name}");
        Assert.Empty(SqlServerTSql.ForeignKeywords(fragment));
    }

    [Fact]
    public void The_migration_lock_and_the_node_lock_take_the_parameters_the_store_gives()
    {
        Assert.Equal(["@resource", "@timeout"], SqlServerTSql.Parameters(SqlServerTSql.Parse(SqlServerSql.TakeMigrationLock, "lock")));
        Assert.Equal(["@node"], SqlServerTSql.Parameters(SqlServerTSql.Parse(SqlServerSql.LockNode, "node lock")));
    }
}
