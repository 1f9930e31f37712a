using Microsoft.SqlServer.TransactSql.ScriptDom;

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
