using Microsoft.SqlServer.TransactSql.ScriptDom;
using Provisioning.Server.Store;

namespace Provisioning.Server.Tests.Store;

/// <summary>
/// Microsoft's own T-SQL parser (ScriptDom, SQL Server 2022 grammar), which checks T-SQL without a server: what it
/// accepts, SQL Server's parser accepts. It checks syntax only; names, types and permissions need a real server.
/// </summary>
internal static class SqlServerTSql
{
    /// <summary>Parses <paramref name="sql"/> (a whole script, GO lines included, or one batch) and returns the tree.</summary>
    /// <exception cref="Xunit.Sdk.XunitException">Any parse error, with its line, column and message.</exception>
    public static TSqlFragment Parse(string sql, string what)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        var fragment = parser.Parse(reader, out var errors);
        Assert.True(errors.Count == 0,
            $"{what} does not parse as T-SQL:\n" + string.Join("\n", errors.Select(e => $"  line {e.Line}, column {e.Column}: {e.Message}")) + $"\n--\n{sql}");
        return fragment;
    }

    /// <summary>The @variables a statement uses that it does not declare itself: the parameters it must be sent with.</summary>
    public static SortedSet<string> Parameters(TSqlFragment fragment)
    {
        var visitor = new VariableVisitor();
        fragment.Accept(visitor);
        var used = visitor.Used.Where(v => !visitor.ProcedureParameterNames.Contains(v)).Select(v => v.Name);
        return new SortedSet<string>(used.Where(n => !visitor.Declared.Contains(n)), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Identifier tokens that are another dialect's keywords where T-SQL has none (LIMIT, AUTO_INCREMENT …).</summary>
    public static IEnumerable<string> ForeignKeywords(TSqlFragment fragment) =>
        fragment.ScriptTokenStream
            .Where(t => t.TokenType == TSqlTokenType.Identifier &&
                        t.Text.ToUpperInvariant() is "LIMIT" or "AUTO_INCREMENT" or "AUTOINCREMENT" or "IFNULL" or "SUBSTR" or "RETURNING" or "IGNORE" or "UNSIGNED")
            .Select(t => t.Text);

    /// <summary>Tables and their columns as the shipped SQL Server schema scripts leave them.</summary>
    public static Dictionary<string, SortedSet<string>> SchemaTables() => Schema().Tables;

    /// <summary>Per table, the columns every INSERT must give (NOT NULL, no default, not IDENTITY).</summary>
    public static Dictionary<string, SortedSet<string>> RequiredColumns() => Schema().Required;

    private static SchemaVisitor Schema()
    {
        var visitor = new SchemaVisitor();
        foreach (var script in SchemaScripts.For("sqlserver").Scripts)
            Parse(script.Sql, script.Name).Accept(visitor);
        return visitor;
    }

    /// <summary>Each INSERT … VALUES of a statement: its table, its column list and how many values each row gives.</summary>
    public static List<(string Table, List<string> Columns, List<int> ValueCounts)> Inserts(TSqlFragment fragment)
    {
        var visitor = new InsertVisitor();
        fragment.Accept(visitor);
        return visitor.Found;
    }

    private sealed class InsertVisitor : TSqlFragmentVisitor
    {
        public List<(string, List<string>, List<int>)> Found { get; } = [];

        public override void Visit(InsertSpecification node)
        {
            if (node.Target is not NamedTableReference table || node.InsertSource is not ValuesInsertSource values)
                return;
            Found.Add((table.SchemaObject.BaseIdentifier.Value, node.Columns.Select(c => c.MultiPartIdentifier.Identifiers[^1].Value).ToList(),
                values.RowValues.Select(r => r.ColumnValues.Count).ToList()));
        }
    }

    /// <summary>The tables a statement names (FROM, JOIN, INSERT INTO, UPDATE, DELETE) and the columns it names, unqualified.</summary>
    public static (SortedSet<string> Tables, SortedSet<string> Columns) NamesUsed(TSqlFragment fragment)
    {
        var visitor = new NameVisitor();
        fragment.Accept(visitor);
        // A statement over SQL Server's own catalog views (INFORMATION_SCHEMA, sys) names their columns, not the schema's.
        return (visitor.Tables, visitor.ReadsCatalog ? new(StringComparer.OrdinalIgnoreCase) : visitor.Columns);
    }

    private sealed class NameVisitor : TSqlFragmentVisitor
    {
        public SortedSet<string> Tables { get; } = new(StringComparer.OrdinalIgnoreCase);
        public SortedSet<string> Columns { get; } = new(StringComparer.OrdinalIgnoreCase);

        public bool ReadsCatalog { get; private set; }

        public override void Visit(NamedTableReference node)
        {
            if (node.SchemaObject.SchemaIdentifier?.Value is { } schema &&
                (schema.Equals("information_schema", StringComparison.OrdinalIgnoreCase) || schema.Equals("sys", StringComparison.OrdinalIgnoreCase)))
                ReadsCatalog = true;
            else
                Tables.Add(node.SchemaObject.BaseIdentifier.Value);
        }

        public override void Visit(ColumnReferenceExpression node)
        {
            if (node.ColumnType == ColumnType.Regular && node.MultiPartIdentifier is { } name)
                Columns.Add(name.Identifiers[^1].Value);
        }
    }

    /// <summary>Tables and their columns as the T-SQL scripts leave them (created, altered, dropped, renamed with sp_rename).</summary>
    private sealed class SchemaVisitor : TSqlFragmentVisitor
    {
        public Dictionary<string, SortedSet<string>> Tables { get; } = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>Per table, the columns an INSERT must give: NOT NULL, without a default, not an IDENTITY.</summary>
        public Dictionary<string, SortedSet<string>> Required { get; } = new(StringComparer.OrdinalIgnoreCase);

        private static bool MustBeGiven(ColumnDefinition c) =>
            c.IdentityOptions is null && c.DefaultConstraint is null &&
            c.Constraints.OfType<NullableConstraintDefinition>().Any(n => !n.Nullable);

        public override void Visit(CreateTableStatement node)
        {
            var name = node.SchemaObjectName.BaseIdentifier.Value;
            Tables[name] = new(node.Definition.ColumnDefinitions.Select(c => c.ColumnIdentifier.Value), StringComparer.OrdinalIgnoreCase);
            Required[name] = new(node.Definition.ColumnDefinitions.Where(MustBeGiven).Select(c => c.ColumnIdentifier.Value), StringComparer.OrdinalIgnoreCase);
        }

        public override void Visit(AlterTableAddTableElementStatement node)
        {
            var name = node.SchemaObjectName.BaseIdentifier.Value;
            foreach (var column in node.Definition.ColumnDefinitions)
            {
                Tables[name].Add(column.ColumnIdentifier.Value);
                if (MustBeGiven(column))
                    Required[name].Add(column.ColumnIdentifier.Value);
            }
        }

        public override void Visit(AlterTableDropTableElementStatement node)
        {
            foreach (var element in node.AlterTableDropTableElements.Where(e => e.TableElementType == TableElementType.Column))
            {
                Tables[node.SchemaObjectName.BaseIdentifier.Value].Remove(element.Name.Value);
                Required[node.SchemaObjectName.BaseIdentifier.Value].Remove(element.Name.Value);
            }
        }

        public override void Visit(DropTableStatement node)
        {
            foreach (var name in node.Objects)
            {
                Tables.Remove(name.BaseIdentifier.Value);
                Required.Remove(name.BaseIdentifier.Value);
            }
        }

        // EXEC sp_rename N'dbo.old', N'new'  /  EXEC sp_rename N'dbo.table.old', N'new', N'COLUMN'
        public override void Visit(ExecuteSpecification node)
        {
            if (node.ExecutableEntity is not ExecutableProcedureReference { ProcedureReference.ProcedureReference.Name.BaseIdentifier.Value: var proc } call ||
                !proc.Equals("sp_rename", StringComparison.OrdinalIgnoreCase))
                return;
            var args = call.Parameters.Select(p => (p.ParameterValue as StringLiteral)?.Value ?? "").ToList();
            var from = args[0].Split('.');
            if (args.Count > 2 && args[2].Equals("COLUMN", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var set in new[] { Tables[from[^2]], Required[from[^2]] })
                    if (set.Remove(from[^1]))
                        set.Add(args[1]);
            }
            else if (Tables.Remove(from[^1], out var columns))
            {
                Tables[args[1]] = columns;
                Required[args[1]] = Required.Remove(from[^1], out var required) ? required : [];
            }
        }
    }

    private sealed class VariableVisitor : TSqlFragmentVisitor
    {
        public List<VariableReference> Used { get; } = [];
        public HashSet<string> Declared { get; } = new(StringComparer.OrdinalIgnoreCase);
        public HashSet<VariableReference> ProcedureParameterNames { get; } = new(ReferenceEqualityComparer.Instance);

        public override void Visit(VariableReference node) => Used.Add(node);

        public override void Visit(DeclareVariableElement node) => Declared.Add(node.VariableName.Value);

        // EXEC sp_x @Name = value: @Name is the procedure's parameter, not one the statement is sent with.
        public override void Visit(ExecuteParameter node)
        {
            if (node.Variable is { } name)
                ProcedureParameterNames.Add(name);
        }
    }
}
