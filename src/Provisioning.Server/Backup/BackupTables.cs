using Provisioning.Core.Backup;

namespace Provisioning.Server.Backup;

/// <summary>A table as the backup carries it: name, columns with their engine-neutral types, the order rows are read in.</summary>
public sealed record BackupTable(string Name, IReadOnlyList<BackupColumn> Columns, string OrderBy)
{
    /// <summary>Column names in order, comma-separated, for SQL.</summary>
    public string ColumnList => string.Join(", ", Columns.Select(c => c.Name));
}

/// <summary>
/// Every table of the schema the backup carries, in an order where a row's references come before it (restore inserts in
/// this order and drops in the reverse). Types: <c>int</c> (signed 64-bit), <c>uint64</c> (config IDs, unsigned 64-bit),
/// <c>text</c>, <c>blob</c>. A test checks that every table and column the schema scripts create is here, so a new column
/// cannot be left out of backups unnoticed. A column listed here that a database does not have yet (one a later schema
/// version adds) is left out of that database's backups and restores: see <see cref="In"/>.
/// </summary>
public static class BackupTables
{
    /// <summary>The tables, parents first.</summary>
    public static readonly IReadOnlyList<BackupTable> All =
    [
        Table("tokens", "id", "id:int name:text role:text secret_hash:blob created:int revoked:int"),
        Table("packages", "id", "id:int config_id:uint64 revision:int is_current:int node_type:text node_version:text app_label:text comment:text " +
            "imported_at:int created:int creator:text format_version:int replaced_at:int package_sha256:text kms_public_key_pem:text " +
            "kms_fingerprint:text sealed_gateway_keys:blob"),
        Table("package_apps", "package_id, ordinal", "package_id:int ordinal:int name:text version:text public_key_pem:text"),
        Table("package_aliases", "package_id, ordinal", "package_id:int ordinal:int alias:text"),
        Table("package_files", "package_id, ordinal", "package_id:int ordinal:int path:text role:text app:text size:int md5:text sha256:text"),
        Table("package_hardware_types", "package_id, ordinal", "package_id:int ordinal:int hardware_type:text"),
        Table("aliases", "alias", "alias:text config_id:uint64"),
        Table("device_records", "id", "id:int request_id:blob node_id:int config_id:uint64 batch:int ts:int status:text encrypted_root_key:blob " +
            "key_algorithm:text kms_fingerprint:text apps:text station:text recorded_at:int confirmed_at:int replaced_at:int kcv:text app_data:blob"),
        Table("nodes", "node_id", "node_id:int current_record_id:int"),
        Table("host_records", "id", "id:int request_id:blob config_id:uint64 node_id:int device_ref:text batch:int ts:int status:text app_data:blob " +
            "station:text recorded_at:int confirmed_at:int replaced_at:int"),
        Table("exports", "id", "id:int config_id:uint64 batch:text node_id:text from_ts:int to_ts:int include_pending:int status:text count:int " +
            "size:int sha256:text started:int completed:int requested_by:text unresolved:int"),
        Table("users", "id", "id:int name:text role:text password_hash:text disabled:int created:int updated:int failed_logins:int " +
            "locked_until:int last_login:int"),
        Table("station_certificates", "id", "id:int name:text serial:text thumbprint:text not_before:int not_after:int issued:int issued_by:text " +
            "revoked:int revoked_by:text"),
        Table("audit_log", "id", "id:int at:int actor_kind:text actor_id:int actor_name:text address:text action:text target:text detail:text succeeded:int"),
    ];

    /// <summary>
    /// Tables backups leave out: what running server instances agree on through the database (schema 6: the change count
    /// and import claims), not data. A restored database gets them fresh from its schema scripts; a forced restore drops
    /// them with the rest.
    /// </summary>
    public static readonly IReadOnlyList<string> NotCarried = ["change_counter", "import_claims"];

    /// <summary>The tables as a database has them: each with only the columns it has (names from <see cref="IBackupStore.DescribeTablesAsync"/>).</summary>
    public static IReadOnlyList<BackupTable> In(IReadOnlyDictionary<string, IReadOnlyList<string>> database) =>
        All.Select(t => t with
        {
            Columns = t.Columns.Where(c => database.TryGetValue(t.Name, out var present) && present.Contains(c.Name)).ToList(),
        }).ToList();

    /// <summary>The table of this name; null when the backup names one this server does not have.</summary>
    public static BackupTable? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    private static BackupTable Table(string name, string orderBy, string columns) =>
        new(name, columns.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => c.Split(':')).Select(p => new BackupColumn(p[0], p[1])).ToList(), orderBy);
}
