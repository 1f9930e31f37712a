namespace Provisioning.Server.Store;

/// <summary>
/// Opens the store a database spec names:
/// <c>sqlite</c> (default: <c>provisioning.db</c> under the data path), <c>sqlite:&lt;file&gt;</c>, or
/// <c>mysql:&lt;MySqlConnector connection string&gt;</c> (MySQL or MariaDB). A password given separately
/// (settings <c>Provisioning:DatabasePassword</c> or the environment) is added to the MySQL connection string,
/// so it need not appear on a command line.
/// </summary>
public static class StoreFactory
{
    /// <summary>Creates the store (not yet migrated). Throws <see cref="ArgumentException"/> naming a bad spec.</summary>
    public static IProvStore Create(string? spec, string dataPath, string? password = null) => throw new NotImplementedException();

    /// <summary>The spec with any password removed, for logs and the health endpoint.</summary>
    public static string Describe(string? spec) => throw new NotImplementedException();
}
