using Microsoft.Data.SqlClient;
using MySqlConnector;

namespace Provisioning.Server.Store;

/// <summary>
/// Opens the store a database spec names:
/// <c>sqlite</c> (default: <c>provisioning.db</c> under the data path), <c>sqlite:&lt;file&gt;</c>, or
/// <c>mysql:&lt;MySqlConnector connection string&gt;</c> (MySQL or MariaDB), or
/// <c>sqlserver:&lt;SqlClient connection string&gt;</c> (Microsoft SQL Server). A password given separately
/// (settings <c>Provisioning:DatabasePassword</c> or the environment) is added to the MySQL or SQL Server connection
/// string, so it need not appear on a command line.
/// </summary>
public static class StoreFactory
{
    /// <summary>File name of the default SQLite database under the data path.</summary>
    public const string DefaultSqliteFile = "provisioning.db";

    private const string SpecForms =
        "use 'sqlite' (the default), 'sqlite:<file>', 'mysql:Server=<host>;Database=<name>;User ID=<user>' or " +
        "'sqlserver:Server=<host>;Database=<name>;User ID=<user>'";

    /// <summary>Creates the store (not yet migrated). Throws <see cref="ArgumentException"/> naming a bad spec (its message is for an operator, with no parameter name appended).</summary>
    /// <remarks>A relative <c>sqlite:&lt;file&gt;</c> is taken relative to <paramref name="dataPath"/>.</remarks>
    public static IProvStore Create(string? spec, string dataPath, string? password = null)
    {
        var (engine, rest) = Split(spec);
        switch (engine)
        {
            case "sqlite":
                if (rest is null)
                    return new SqliteStore(Path.Combine(dataPath, DefaultSqliteFile));
                if (rest.Trim().Length == 0)
                    throw new ArgumentException($"The database spec 'sqlite:' names no file; {SpecForms}.");
                return new SqliteStore(Path.GetFullPath(rest.Trim(), Path.GetFullPath(dataPath)));
            case "mysql":
                return new MySqlStore(MySqlConnectionString(rest ?? "", password));
            case "sqlserver":
                return new SqlServerStore(SqlServerConnectionString(rest ?? "", password));
            default:
                throw new ArgumentException($"The database spec {Quote(spec!)} is not understood; {SpecForms}.");
        }
    }

    /// <summary>
    /// The spec with any password removed, for logs and operators. Given <paramref name="dataPath"/>, a SQLite spec names
    /// the database file's full path (the default file, or a relative one, lies under the data path).
    /// </summary>
    public static string Describe(string? spec, string? dataPath = null)
    {
        var (engine, rest) = Split(spec);
        switch (engine)
        {
            case "sqlite" when dataPath is not null:
                return "sqlite:" + (rest is null ? Path.Combine(Path.GetFullPath(dataPath), DefaultSqliteFile) : Path.GetFullPath(rest.Trim(), Path.GetFullPath(dataPath)));
            case "sqlite":
                return rest is null ? "sqlite" : "sqlite:" + rest.Trim();
            case "mysql":
                try
                {
                    var builder = new MySqlConnectionStringBuilder(rest ?? "");
                    builder.Remove("Password");
                    return "mysql:" + builder.ConnectionString;
                }
                catch (ArgumentException)
                {
                    return "mysql:(connection string not readable)";
                }
            case "sqlserver":
                try
                {
                    var builder = new SqlConnectionStringBuilder(rest ?? "");
                    builder.Remove("Password");
                    return "sqlserver:" + builder.ConnectionString;
                }
                catch (Exception e) when (e is ArgumentException or FormatException)
                {
                    return "sqlserver:(connection string not readable)";
                }
            default:
                return "(database spec not understood)";
        }
    }

    private static (string Engine, string? Tail) Split(string? spec)
    {
        var text = spec?.Trim() ?? "";
        if (text.Length == 0 || text.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
            return ("sqlite", null);
        var colon = text.IndexOf(':');
        if (colon <= 0)
            return ("", null);
        return (text[..colon].Trim().ToLowerInvariant(), text[(colon + 1)..]);
    }

    private static string MySqlConnectionString(string text, string? password)
    {
        MySqlConnectionStringBuilder builder;
        try
        {
            builder = new MySqlConnectionStringBuilder(text);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The MySQL connection string in the database spec is not valid ({e.Message}); {SpecForms}.");
        }
        if (string.IsNullOrWhiteSpace(builder.Server))
            throw new ArgumentException($"The MySQL connection string in the database spec names no server; {SpecForms}.");
        if (string.IsNullOrWhiteSpace(builder.Database))
            throw new ArgumentException($"The MySQL connection string in the database spec names no database; {SpecForms}.");
        if (password is not null)
            builder.Password = password;
        return builder.ConnectionString;
    }

    /// <summary>
    /// The SqlClient connection string of a <c>sqlserver:</c> spec, checked for a server and a database, with a separately
    /// given password added (SQL Server authentication). Integrated security (Windows or Kerberos) needs no password,
    /// and one given with it is refused rather than silently ignored.
    /// </summary>
    private static string SqlServerConnectionString(string text, string? password)
    {
        SqlConnectionStringBuilder builder;
        try
        {
            builder = new SqlConnectionStringBuilder(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new ArgumentException($"The SQL Server connection string in the database spec is not valid ({e.Message.TrimEnd('.')}); {SpecForms}.");
        }
        if (string.IsNullOrWhiteSpace(builder.DataSource))
            throw new ArgumentException($"The SQL Server connection string in the database spec names no server; {SpecForms}.");
        if (string.IsNullOrWhiteSpace(builder.InitialCatalog))
            throw new ArgumentException($"The SQL Server connection string in the database spec names no database; {SpecForms}.");
        if (password is not null)
        {
            if (builder.IntegratedSecurity)
                throw new ArgumentException(
                    "The SQL Server connection string asks for Integrated Security, yet a database password was given as well; use one or the other.");
            builder.Password = password;
        }
        return builder.ConnectionString;
    }

    /// <summary>The spec for an error message, unless it may carry a password (it looks like a connection string).</summary>
    private static string Quote(string spec)
    {
        var text = spec.Trim();
        if (text.Contains('=') || text.Contains(';'))
            return "(a connection string without an engine prefix such as 'mysql:')";
        return $"'{(text.Length > 60 ? text[..60] + "…" : text)}'";
    }
}
