namespace Provisioning.Server.Tests.Store;

/// <summary>
/// Where the MariaDB tests find their server: <c>PROV_TEST_MYSQL</c> holds a connection string (no database; the
/// tests create and drop their own) for a user allowed to create databases, as <c>build/mariadb.sh start</c> prints.
/// Unset, the MariaDB tests are skipped — unless <c>PROV_TEST_REQUIRE_MYSQL=1</c>, when they fail instead.
/// </summary>
internal static class MariaDbTestServer
{
    public const string ConnectionVariable = "PROV_TEST_MYSQL";
    public const string RequireVariable = "PROV_TEST_REQUIRE_MYSQL";

    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } value ? value : null;

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>Why the MariaDB tests do not run here; null when they run (or must run and will fail).</summary>
    public static string? SkipReason => ConnectionString is null && !Required
        ? $"MariaDB tests skipped: {ConnectionVariable} is not set. Start a server with 'build/mariadb.sh start <dir>' and export the line it prints."
        : null;

    /// <summary>The connection string, or a failure saying MariaDB is required.</summary>
    public static string RequireConnectionString() => ConnectionString ?? throw new InvalidOperationException(
        $"MariaDB is required ({RequireVariable}=1) but {ConnectionVariable} is not set. Start a server with 'build/mariadb.sh start <dir>' and export the line it prints.");
}
