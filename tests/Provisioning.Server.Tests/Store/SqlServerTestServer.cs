using Xunit.Sdk;

namespace Provisioning.Server.Tests.Store;

/// <summary>
/// Where the SQL Server tests find their server: <c>PROV_TEST_SQLSERVER</c> holds a SqlClient connection string (to
/// <c>master</c> or any database; the tests create and drop their own) for a login allowed to create databases, e.g.
/// <c>Server=sql1,1433;User ID=prov_test;Password=…;Encrypt=True;TrustServerCertificate=True</c>. Unset, those tests
/// are reported as skipped with the reason — unless <c>PROV_TEST_REQUIRE_SQLSERVER=1</c>, when they fail instead.
/// </summary>
internal static class SqlServerTestServer
{
    public const string ConnectionVariable = "PROV_TEST_SQLSERVER";
    public const string RequireVariable = "PROV_TEST_REQUIRE_SQLSERVER";

    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } value ? value : null;

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>Why the SQL Server tests do not run here; null when they run (or must run and will fail).</summary>
    public static string? SkipReason => ConnectionString is null && !Required
        ? $"SQL Server tests skipped: {ConnectionVariable} is not set. Set it to a connection string for a login that may create databases " +
          "(e.g. Server=host,1433;User ID=…;Password=…;TrustServerCertificate=True) to run the store suite against a real SQL Server."
        : null;

    /// <summary>The connection string, or a failure saying SQL Server is required.</summary>
    public static string RequireConnectionString() => ConnectionString ?? throw new InvalidOperationException(
        $"SQL Server is required ({RequireVariable}=1) but {ConnectionVariable} is not set.");
}

/// <summary>A test that runs against SQL Server only; skipped (reason set here) when no server is configured.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SqlServerFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> from the environment.</summary>
    public SqlServerFactAttribute() => Skip = SqlServerTestServer.SkipReason;
}
