using System.Text.RegularExpressions;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Provisioning.Server.Store;

namespace Provisioning.Server.Tests.Store;

/// <summary>
/// The T-SQL schema scripts, checked without a SQL Server (none can be installed where these tests run): each parses
/// with Microsoft's T-SQL parser, the server sends the same batches sqlcmd would, the versions match the other engines',
/// and the tables and columns they leave are those of the SQLite schema. Running them is the SQL Server suite's job
/// (<see cref="SqlServerStoreTests"/>, when PROV_TEST_SQLSERVER names a server).
/// </summary>
public sealed class SqlServerSchemaScriptTests
{
    public static TheoryData<string> ScriptNames() => new(SchemaScripts.For("sqlserver").Scripts.Select(s => s.Name));

    private static SchemaScript Script(string name) => SchemaScripts.For("sqlserver").Scripts.Single(s => s.Name == name);

    [Theory]
    [MemberData(nameof(ScriptNames))]
    public void Each_script_parses_as_T_SQL_with_no_error(string name)
    {
        var fragment = SqlServerTSql.Parse(Script(name).Sql, name);
        Assert.Empty(SqlServerTSql.ForeignKeywords(fragment));
        Assert.DoesNotContain('`', Script(name).Sql);
    }

    [Theory]
    [MemberData(nameof(ScriptNames))]
    public void The_server_sends_the_batches_sqlcmd_would_and_each_parses_alone(string name)
    {
        var script = Script(name);
        var parsed = (TSqlScript)SqlServerTSql.Parse(script.Sql, name);
        var batches = SqlServerScript.Batches(script.Sql);

        Assert.Equal(parsed.Batches.Count, batches.Count);
        foreach (var (batch, i) in batches.Select((b, i) => (b, i)))
        {
            Assert.DoesNotMatch(new Regex(@"^\s*GO\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase), batch);
            var alone = (TSqlScript)SqlServerTSql.Parse(batch, $"{name}, batch {i + 1}");
            Assert.Single(alone.Batches);
            Assert.Empty(SqlServerTSql.Parameters(alone)); // a script a DBA runs has no parameters to bind
        }
    }

    [Theory]
    [MemberData(nameof(ScriptNames))]
    public void Each_script_says_how_a_DBA_runs_it_and_records_its_version_once(string name)
    {
        var script = Script(name);
        var header = string.Join("\n", script.Sql.Split('\n').TakeWhile(l => l.StartsWith("--", StringComparison.Ordinal)));
        Assert.Contains("sqlcmd", header);
        Assert.Contains("GO", header);
        Assert.Contains($"version {script.Version},", header);
        // The version row is inserted only when missing, so the script can be run again.
        Assert.Matches(new Regex($@"IF NOT EXISTS \(SELECT 1 FROM dbo\.schema_version WHERE version = {script.Version}\)\s*\nINSERT INTO dbo\.schema_version \(version, description\) VALUES \({script.Version}, N'"),
            script.Sql);
    }

    [Theory]
    [MemberData(nameof(ScriptNames))]
    public void Every_create_is_guarded_so_running_a_script_again_is_harmless(string name)
    {
        var visitor = new CreateVisitor();
        SqlServerTSql.Parse(Script(name).Sql, name).Accept(visitor);
        Assert.All(visitor.Unguarded, what => Assert.Fail($"{name}: {what} is not inside an IF (or CREATE OR ALTER), so a second run fails"));
    }

    [Fact]
    public void The_versions_are_those_of_the_SQLite_and_MariaDB_scripts()
    {
        string Versions(string engine) => string.Join(", ", SchemaScripts.For(engine).Scripts.Select(s => $"{s.Version}:{Path.GetFileName(s.Name)}"));
        Assert.Equal(Versions("sqlite"), Versions("sqlserver"));
        Assert.Equal(Versions("mysql"), Versions("sqlserver"));
    }

    [Fact]
    public void The_scripts_leave_the_tables_and_columns_the_SQLite_scripts_leave()
    {
        var sqlite = SqliteSchema.Of(SchemaScripts.For("sqlite").Scripts);
        var sqlServer = SqlServerTSql.SchemaTables();

        string Show(Dictionary<string, SortedSet<string>> tables) =>
            string.Join("\n", tables.OrderBy(t => t.Key).Select(t => $"{t.Key}: {string.Join(", ", t.Value)}"));
        Assert.Equal(Show(sqlite), Show(sqlServer));
    }

    [Fact]
    public void The_audit_log_is_append_only_through_triggers_refusing_update_and_delete()
    {
        var visitor = new TriggerVisitor();
        foreach (var script in SchemaScripts.For("sqlserver").Scripts)
            SqlServerTSql.Parse(script.Sql, script.Name).Accept(visitor);

        Assert.Equal(["audit_log:Delete", "audit_log:Update"], visitor.Refusals.Order());
    }

    [Fact]
    public void A_GO_line_ends_a_batch_in_any_case_with_a_comment_and_a_repeat_count_is_refused()
    {
        Assert.Equal(["SELECT 1", "SELECT 2", "SELECT 3"],
            SqlServerScript.Batches("SELECT 1\ngo\r\nSELECT 2\n  GO -- next\n-- only a comment\nGO\nSELECT 3"));
        Assert.Equal(["SELECT 'GO'\nGOTO x"], SqlServerScript.Batches("SELECT 'GO'\nGOTO x"));
        Assert.Throws<FormatException>(() => SqlServerScript.Batches("SELECT 1\nGO 3"));
    }

    [Fact]
    public void The_scripts_ship_beside_the_server_for_a_DBA()
    {
        foreach (var script in SchemaScripts.For("sqlserver").Scripts)
        {
            var file = Path.Combine(AppContext.BaseDirectory, "schema", script.Name);
            Assert.True(File.Exists(file), $"{file} should ship beside the server");
            Assert.Equal(script.Sql, File.ReadAllText(file));
        }
    }

    // ---- what the scripts create -----------------------------------------------------------------------------------

    private sealed class CreateVisitor : TSqlFragmentVisitor
    {
        private int _ifDepth;
        public List<string> Unguarded { get; } = [];

        public override void ExplicitVisit(IfStatement node)
        {
            _ifDepth++;
            base.ExplicitVisit(node);
            _ifDepth--;
        }

        public override void Visit(CreateTableStatement node) => Check($"CREATE TABLE {node.SchemaObjectName.BaseIdentifier.Value}");
        public override void Visit(CreateIndexStatement node) => Check($"CREATE INDEX {node.Name.Value}");
        public override void Visit(AlterTableAddTableElementStatement node) => Check($"ALTER TABLE {node.SchemaObjectName.BaseIdentifier.Value} ADD");
        public override void Visit(InsertStatement node) => Check("INSERT");
        public override void Visit(CreateTriggerStatement node) => Check($"CREATE TRIGGER {node.Name.BaseIdentifier.Value}");
        public override void Visit(CreateProcedureStatement node) => Check($"CREATE PROCEDURE {node.ProcedureReference.Name.BaseIdentifier.Value}");
        public override void Visit(CreateViewStatement node) => Check($"CREATE VIEW {node.SchemaObjectName.BaseIdentifier.Value}");

        private void Check(string what)
        {
            if (_ifDepth == 0)
                Unguarded.Add(what);
        }
    }

    private sealed class TriggerVisitor : TSqlFragmentVisitor
    {
        public List<string> Refusals { get; } = [];

        public override void Visit(CreateOrAlterTriggerStatement node) => Record(node);
        public override void Visit(CreateTriggerStatement node) => Record(node);

        private void Record(TriggerStatementBody node)
        {
            // Only the audit log's triggers refuse; the change-count triggers of schema 6 count and let the change stand.
            if (node.TriggerObject.Name.BaseIdentifier.Value != "audit_log")
                return;
            var refuses = new ThrowFinder();
            node.StatementList.Accept(refuses);
            Assert.True(refuses.Found, $"trigger {node.Name.BaseIdentifier.Value} should THROW");
            Assert.Equal(TriggerType.InsteadOf, node.TriggerType);
            foreach (var action in node.TriggerActions)
                Refusals.Add($"{node.TriggerObject.Name.BaseIdentifier.Value}:{action.TriggerActionType}");
        }
    }

    private sealed class ThrowFinder : TSqlFragmentVisitor
    {
        public bool Found { get; private set; }
        public override void Visit(ThrowStatement node) => Found = true;
    }

    /// <summary>Tables and columns of the SQLite scripts, read as plainly as they are written (one column per line).</summary>
    private static class SqliteSchema
    {
        public static Dictionary<string, SortedSet<string>> Of(IEnumerable<SchemaScript> scripts)
        {
            var tables = new Dictionary<string, SortedSet<string>>(StringComparer.OrdinalIgnoreCase);
            foreach (var script in scripts)
            {
                var text = Regex.Replace(script.Sql, "--[^\n]*", "");
                // In script order, so that a table rebuilt (create new, copy, drop old, rename) ends as the new one.
                var steps = new (string Pattern, Action<Match> Apply)[]
                {
                    (@"CREATE TABLE (?:IF NOT EXISTS )?(\w+)\s*\((.*?)\n\)", m => tables[m.Groups[1].Value] = new(
                        m.Groups[2].Value.Split('\n').Select(l => Regex.Match(l.Trim(), @"^(\w+)").Groups[1].Value)
                            .Where(w => w.Length > 0 && w.ToUpperInvariant() is not ("PRIMARY" or "UNIQUE" or "CONSTRAINT" or "FOREIGN" or "CHECK")),
                        StringComparer.OrdinalIgnoreCase)),
                    (@"ALTER TABLE (\w+) ADD (?:COLUMN )?(\w+)", m => tables[m.Groups[1].Value].Add(m.Groups[2].Value)),
                    (@"ALTER TABLE (\w+) DROP (?:COLUMN )?(\w+)", m => tables[m.Groups[1].Value].Remove(m.Groups[2].Value)),
                    (@"ALTER TABLE (\w+) RENAME COLUMN (\w+) TO (\w+)", m =>
                    {
                        tables[m.Groups[1].Value].Remove(m.Groups[2].Value);
                        tables[m.Groups[1].Value].Add(m.Groups[3].Value);
                    }),
                    (@"ALTER TABLE (\w+) RENAME TO (\w+)", m =>
                    {
                        if (tables.Remove(m.Groups[1].Value, out var columns))
                            tables[m.Groups[2].Value] = columns;
                    }),
                    (@"DROP TABLE (?:IF EXISTS )?(\w+)", m => tables.Remove(m.Groups[1].Value)),
                };
                var found = steps.SelectMany(step => Regex.Matches(text, step.Pattern, RegexOptions.Singleline).Select(m => (m, step.Apply)));
                foreach (var (match, apply) in found.OrderBy(f => f.m.Index))
                    apply(match);
            }
            return tables;
        }
    }
}
