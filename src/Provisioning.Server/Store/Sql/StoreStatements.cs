using System.Text;

namespace Provisioning.Server.Store.Sql;

/// <summary>
/// Every statement the store sends, written once for all engines from a <see cref="SqlDialect"/>'s pieces. Fixed
/// statements are properties; statements whose shape depends on the request (range lists, optional filters, IN lists)
/// are methods. <see cref="All"/> lists every one (the composed ones in a representative form), so a check can parse or
/// run the whole set for an engine.
/// </summary>
/// <remarks>Parameters are <c>@name</c>. Times are UTC Unix milliseconds; request IDs 16 bytes (RFC 4122 order).</remarks>
public sealed class StoreStatements
{
    /// <summary>The device record columns every record query reads, in table order.</summary>
    public const string RecordColumns =
        "id, request_id, node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, kms_fingerprint, apps, app_data, station, " +
        "recorded_at, confirmed_at, replaced_at, kcv";

    /// <summary>The host record columns every host record query reads, in table order.</summary>
    public const string HostRecordColumns =
        "id, request_id, config_id, node_id, device_ref, batch, ts, status, app_data, station, recorded_at, confirmed_at, replaced_at";

    private const string PackageColumns =
        "id, config_id, revision, is_current, node_type, node_version, app_label, comment, imported_at, created, replaced_at, package_sha256, " +
        "kms_public_key_pem, kms_fingerprint";
    private const string ExportColumns =
        "id, config_id, batch, node_id, from_ts, to_ts, include_pending, status, count, size, sha256, started, completed, requested_by, unresolved";
    private const string TokenColumns = "id, name, role, created, revoked";
    private const string UserColumns = "id, name, role, password_hash, disabled, created, updated, failed_logins, locked_until, last_login";
    private const string CertificateColumns = "id, name, serial, thumbprint, not_before, not_after, issued, issued_by, revoked, revoked_by";
    private const string AuditColumns = "id, at, actor_kind, actor_id, actor_name, address, action, target, detail, succeeded";

    private readonly SqlDialect _d;

    /// <summary>The statements for one engine.</summary>
    public StoreStatements(SqlDialect dialect)
    {
        _d = dialect;
        var d = dialect;

        SchemaTableExists = d.SchemaTableExists;
        SchemaVersion = "SELECT COALESCE(MAX(version), 0) FROM schema_version";

        InsertToken = d.InsertReturningId("tokens", "name, role, secret_hash, created", "@name, @role, @hash, @created");
        FindToken = $"SELECT {TokenColumns} FROM tokens WHERE secret_hash = @hash";
        ListTokens = $"SELECT {TokenColumns} FROM tokens ORDER BY id";
        RevokeToken = "UPDATE tokens SET revoked = @revoked WHERE id = @id AND revoked IS NULL";
        TokenExists = d.Exists("FROM tokens WHERE id = @id");
        HasAdminToken = d.Exists("FROM tokens WHERE role = @role AND revoked IS NULL");

        ChangeCount = "SELECT changes FROM change_counter WHERE id = 1";
        DeleteStaleImportClaim = "DELETE FROM import_claims WHERE config_id = @config AND claimed_at < @stale";
        InsertImportClaim = "INSERT INTO import_claims (config_id, claim, claimed_at) VALUES (@config, @claim, @at)";
        RenewImportClaim = "UPDATE import_claims SET claimed_at = @at WHERE claim = @claim";
        ReleaseImportClaim = "DELETE FROM import_claims WHERE config_id = @config AND claim = @claim";
        ReleaseImportClaimsLike = "DELETE FROM import_claims WHERE claim LIKE @prefix";

        AliasOwner = "SELECT config_id FROM aliases WHERE alias = @alias";
        NextRevision = "SELECT COALESCE(MAX(revision), 0) + 1 FROM packages WHERE config_id = @config";
        RetireCurrentPackage = "UPDATE packages SET is_current = 0, replaced_at = @at WHERE config_id = @config AND is_current = 1";
        InsertPackage = d.InsertReturningId("packages",
            "config_id, revision, is_current, node_type, node_version, app_label, comment, imported_at, created, creator, format_version, " +
            "package_sha256, kms_public_key_pem, kms_fingerprint, sealed_gateway_keys",
            "@config, @revision, 1, @nodeType, @nodeVersion, @appLabel, @comment, @importedAt, @created, @creator, @format, @sha, @kmsPem, @kmsFp, @sealed");
        InsertPackageApp = "INSERT INTO package_apps (package_id, ordinal, name, version, public_key_pem) VALUES (@id, @ordinal, @name, @version, @pem)";
        InsertPackageAlias = "INSERT INTO package_aliases (package_id, ordinal, alias) VALUES (@id, @ordinal, @alias)";
        InsertPackageHardwareType = "INSERT INTO package_hardware_types (package_id, ordinal, hardware_type) VALUES (@id, @ordinal, @type)";
        InsertPackageFile = "INSERT INTO package_files (package_id, ordinal, path, role, app, size, md5, sha256) " +
            "VALUES (@id, @ordinal, @path, @role, @app, @size, @md5, @sha)";
        DeleteAliases = "DELETE FROM aliases WHERE config_id = @config";
        InsertAlias = "INSERT INTO aliases (alias, config_id) VALUES (@alias, @config)";
        AllPackages = $"SELECT {PackageColumns} FROM packages";
        CurrentPackages = $"SELECT {PackageColumns} FROM packages WHERE is_current = 1";
        CurrentPackage = $"SELECT {PackageColumns} FROM packages WHERE config_id = @config AND is_current = 1";
        GatewayKeys = "SELECT revision, sealed_gateway_keys FROM packages WHERE config_id = @config AND is_current = 1";
        FileReferenced = d.Exists("FROM package_files WHERE sha256 = @sha");

        var (idColumn, idValue) = d.NextDeviceRecordId is { } next ? ("id, ", next + ", ") : ("", "");
        // One round trip: lock (or create) the node's row first, so two stations re-provisioning one node take turns; then the record.
        RecordDevice = d.LockNode + ";\n" +
            $"INSERT INTO device_records ({idColumn}request_id, node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, " +
            $"kms_fingerprint, app_data, station, recorded_at, kcv) VALUES ({idValue}@request, @node, @config, @batch, @ts, @status, @key, @algorithm, " +
            "@fingerprint, @apps, @station, @recorded, @kcv)";
        LockNode = d.LockNode;
        RecordByRequest = $"SELECT {RecordColumns} FROM device_records WHERE request_id = @request";
        RecordById = $"SELECT {RecordColumns} FROM device_records WHERE id = @id";
        LiveRecords = $"SELECT {RecordColumns} FROM device_records WHERE node_id = @node AND status IN (@confirmed, @pending) ORDER BY id";
        ConfirmedRecord = $"SELECT {RecordColumns} FROM device_records WHERE node_id = @node AND status = @confirmed";
        NodeHistory = $"SELECT {RecordColumns} FROM device_records WHERE node_id = @node ORDER BY id DESC";
        NodeRecorded = d.Exists("FROM device_records WHERE node_id = @node");
        PromoteRecord = PromoteStatement(abandonNewer: false);
        PromoteRecordAbandoningNewer = PromoteStatement(abandonNewer: true);
        AbandonPending = "UPDATE device_records SET status = @abandoned, replaced_at = @at WHERE node_id = @node AND status = @pending";
        NodesPage = $"SELECT node_id FROM nodes WHERE node_id > @after ORDER BY node_id {d.Limit("@limit")}";
        UnresolvedNodesPage = $"SELECT DISTINCT node_id FROM device_records WHERE status = @pending AND node_id > @after ORDER BY node_id {d.Limit("@limit")}";

        InsertHostRecord = d.InsertReturningId("host_records",
            "request_id, config_id, node_id, device_ref, batch, ts, status, app_data, station, recorded_at",
            "@request, @config, @node, @ref, @batch, @ts, @status, @apps, @station, @recorded");
        HostRecordByRequest = $"SELECT {HostRecordColumns} FROM host_records WHERE request_id = @request";
        // A confirmation makes the record its device's current one, as for a node's records: the device's other
        // confirmed records are replaced, its older pending ones abandoned.
        ConfirmHostRecord =
            "UPDATE host_records SET status = @replaced, replaced_at = @at WHERE device_ref = @ref AND status = @confirmed AND id <> @id;\n" +
            "UPDATE host_records SET status = @abandoned, replaced_at = @at WHERE device_ref = @ref AND status = @pending AND id < @id;\n" +
            "UPDATE host_records SET status = @confirmed, confirmed_at = @at WHERE id = @id";

        InsertExport = d.InsertReturningId("exports",
            "config_id, batch, node_id, from_ts, to_ts, include_pending, status, count, size, started, requested_by",
            "@config, @batch, @node, @from, @to, @pending, @status, 0, 0, @started, @by");
        FinishExport = "UPDATE exports SET status = @status, count = @count, size = @size, sha256 = @sha, completed = @completed, " +
            "unresolved = @unresolved WHERE id = @id";
        ExportById = $"SELECT {ExportColumns} FROM exports WHERE id = @id";
        ListExports = $"SELECT {ExportColumns} FROM exports ORDER BY id DESC";
        ListExportsOfConfig = $"SELECT {ExportColumns} FROM exports WHERE config_id = @config ORDER BY id DESC";

        InsertAudit = d.InsertReturningId("audit_log", "at, actor_kind, actor_id, actor_name, address, action, target, detail, succeeded",
            "@at, @kind, @actorId, @actor, @address, @action, @target, @detail, @ok");

        InsertUser = d.InsertReturningId("users", "name, role, password_hash, disabled, created, updated, failed_logins",
            "@name, @role, @hash, 0, @created, @created, 0");
        FindUser = $"SELECT {UserColumns} FROM users WHERE name = @name";
        UserById = $"SELECT {UserColumns} FROM users WHERE id = @id";
        ListUsers = $"SELECT {UserColumns} FROM users ORDER BY name";
        DeleteUser = "DELETE FROM users WHERE name = @name";
        CountLoginFailure = "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = @id";
        LockUser = "UPDATE users SET locked_until = @until WHERE id = @id";
        RecordLoginSuccess = "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login = @at, password_hash = COALESCE(@hash, password_hash) WHERE id = @id";

        InsertCertificate = d.InsertReturningId("station_certificates", "name, serial, thumbprint, not_before, not_after, issued, issued_by",
            "@name, @serial, @thumbprint, @notBefore, @notAfter, @issued, @issuedBy");
        FindCertificate = $"SELECT {CertificateColumns} FROM station_certificates WHERE thumbprint = @thumbprint";
        CertificateById = $"SELECT {CertificateColumns} FROM station_certificates WHERE id = @id";
        ListCertificates = $"SELECT {CertificateColumns} FROM station_certificates ORDER BY id";
        RevokeCertificate = "UPDATE station_certificates SET revoked = @revoked, revoked_by = @revokedBy WHERE id = @id AND revoked IS NULL";
    }

    /// <summary>The engine these statements are for.</summary>
    public string Engine => _d.Engine;

#pragma warning disable CS1591 // each statement's name says what it does; the parameters are in its text
    public string SchemaTableExists { get; }
    public string SchemaVersion { get; }

    public string InsertToken { get; }
    public string FindToken { get; }
    public string ListTokens { get; }
    public string RevokeToken { get; }

    /// <summary>The database's change count (schema 6), moved by triggers with every change an instance may cache.</summary>
    public string ChangeCount { get; }

    /// <summary>Drops a claim on a config that nobody renewed since <c>@stale</c> (left by a server that died importing).</summary>
    public string DeleteStaleImportClaim { get; }

    /// <summary>Claims a config for an import; a unique violation means another import holds it.</summary>
    public string InsertImportClaim { get; }

    /// <summary>Renews one held import claim.</summary>
    public string RenewImportClaim { get; }

    /// <summary>Gives up one import claim.</summary>
    public string ReleaseImportClaim { get; }

    /// <summary>Gives up every import claim whose ID starts as <c>@prefix</c> (a LIKE pattern).</summary>
    public string ReleaseImportClaimsLike { get; }
    public string TokenExists { get; }
    public string HasAdminToken { get; }

    public string AliasOwner { get; }
    public string NextRevision { get; }
    public string RetireCurrentPackage { get; }
    public string InsertPackage { get; }
    public string InsertPackageApp { get; }
    public string InsertPackageAlias { get; }
    public string InsertPackageHardwareType { get; }
    public string InsertPackageFile { get; }
    public string DeleteAliases { get; }
    public string InsertAlias { get; }
    public string AllPackages { get; }
    public string CurrentPackages { get; }
    public string CurrentPackage { get; }
    public string GatewayKeys { get; }
    public string FileReferenced { get; }

    public string RecordDevice { get; }
    public string LockNode { get; }
    public string RecordByRequest { get; }
    public string RecordById { get; }
    public string LiveRecords { get; }
    public string ConfirmedRecord { get; }
    public string NodeHistory { get; }
    public string NodeRecorded { get; }
    public string PromoteRecord { get; }
    public string PromoteRecordAbandoningNewer { get; }
    public string AbandonPending { get; }
    public string NodesPage { get; }
    public string UnresolvedNodesPage { get; }

    public string InsertHostRecord { get; }
    public string HostRecordByRequest { get; }
    public string ConfirmHostRecord { get; }

    public string InsertExport { get; }
    public string FinishExport { get; }
    public string ExportById { get; }
    public string ListExports { get; }
    public string ListExportsOfConfig { get; }

    public string InsertAudit { get; }

    public string InsertUser { get; }
    public string FindUser { get; }
    public string UserById { get; }
    public string ListUsers { get; }
    public string DeleteUser { get; }
    public string CountLoginFailure { get; }
    public string LockUser { get; }
    public string RecordLoginSuccess { get; }

    public string InsertCertificate { get; }
    public string FindCertificate { get; }
    public string CertificateById { get; }
    public string ListCertificates { get; }
    public string RevokeCertificate { get; }
#pragma warning restore CS1591

    /// <summary>
    /// Makes record <c>@id</c> node <c>@node</c>'s current one: the previous current record becomes replaced, older pending
    /// ones (all other pending ones with <paramref name="abandonNewer"/>) abandoned, the nodes row points at it.
    /// </summary>
    private static string PromoteStatement(bool abandonNewer) =>
        "UPDATE device_records SET status = @replaced, replaced_at = @at WHERE node_id = @node AND status = @confirmed;\n" +
        $"UPDATE device_records SET status = @abandoned, replaced_at = @at WHERE node_id = @node AND status = @pending AND {(abandonNewer ? "id <> @id" : "id < @id")};\n" +
        "UPDATE device_records SET status = @confirmed, confirmed_at = @at WHERE id = @id;\n" +
        "UPDATE nodes SET current_record_id = @id WHERE node_id = @node";

    /// <summary>The records of several nodes, by node then newest first; parameters <c>@n0</c> … <c>@n{count-1}</c>.</summary>
    public string RecordsOfNodes(int count) =>
        $"SELECT {RecordColumns} FROM device_records WHERE node_id IN ({string.Join(", ", Enumerable.Range(0, count).Select(i => $"@n{i}"))}) ORDER BY node_id, id DESC";

    /// <summary>The packages matching a condition on <c>packages</c> (<see cref="AllPackages"/> and friends are the usual ones).</summary>
    public static string PackageChildren(string table, string columns, IEnumerable<long> packageIds) =>
        $"SELECT package_id, {columns} FROM {table} WHERE package_id IN ({string.Join(", ", packageIds)}) ORDER BY package_id, ordinal";

    /// <summary>
    /// The key export's read: the live (confirmed and pending) records of config <c>@config</c>, in node then record
    /// order, optionally narrowed by batch ranges (<c>@b{i}a</c> … <c>@b{i}b</c>), node ranges (<c>@n{i}a</c> …), <c>@from</c> and <c>@to</c>.
    /// Both engines cluster device_records by (config_id, node_id, id), so this reads one range in order: no sort, no lookups.
    /// </summary>
    public static string ExportDevices(int batchRanges, int nodeRanges, bool from, bool to)
    {
        var sql = new StringBuilder(
            "SELECT node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, kms_fingerprint, apps, app_data " +
            "FROM device_records WHERE config_id = @config AND status IN (@confirmed, @pending)");
        AppendRanges(sql, "batch", "@b", batchRanges);
        AppendRanges(sql, "node_id", "@n", nodeRanges);
        if (from)
            sql.Append(" AND ts >= @from");
        if (to)
            sql.Append(" AND ts <= @to");
        return sql.Append(" ORDER BY node_id, id").ToString();
    }

    /// <summary>
    /// The key export's read of host records: the live ones of config <c>@config</c> by node, device and age, with the same
    /// filters as <see cref="ExportDevices"/> (a node range leaves out the records without a node ID).
    /// </summary>
    public static string ExportHostRecords(int batchRanges, int nodeRanges, bool from, bool to)
    {
        var sql = new StringBuilder(
            "SELECT id, node_id, device_ref, config_id, batch, ts, status, app_data, confirmed_at " +
            "FROM host_records WHERE config_id = @config AND status IN (@confirmed, @pending)");
        AppendRanges(sql, "batch", "@b", batchRanges);
        AppendRanges(sql, "node_id", "@n", nodeRanges);
        if (from)
            sql.Append(" AND ts >= @from");
        if (to)
            sql.Append(" AND ts <= @to");
        return sql.Append(" ORDER BY node_id, device_ref, id").ToString();
    }

    /// <summary>A page of host records, newest first, optionally of one config (<c>@config</c>), one node (<c>@node</c>), before <c>@before</c>.</summary>
    public string HostRecordsPage(bool config, bool node, bool before)
    {
        var sql = new StringBuilder($"SELECT {HostRecordColumns} FROM host_records WHERE 1 = 1");
        if (config) sql.Append(" AND config_id = @config");
        if (node) sql.Append(" AND node_id = @node");
        if (before) sql.Append(" AND id < @before");
        return sql.Append(" ORDER BY id DESC ").Append(_d.Limit("@limit")).ToString();
    }

    private static void AppendRanges(StringBuilder sql, string column, string prefix, int count)
    {
        if (count == 0)
            return;
        sql.Append(" AND (");
        for (var i = 0; i < count; i++)
            sql.Append(i > 0 ? " OR " : "").Append(column).Append(" BETWEEN ").Append(prefix).Append(i).Append("a AND ").Append(prefix).Append(i).Append('b');
        sql.Append(')');
    }

    /// <summary>The audit log, newest first, with the filters asked for (parameters <c>@from @to @before @prefixLength @prefix @action @user @limit</c>).</summary>
    public string ReadAudit(bool from, bool to, bool before, bool actionPrefix, bool action, bool user)
    {
        var sql = new StringBuilder($"SELECT {AuditColumns} FROM audit_log WHERE 1 = 1");
        if (from) sql.Append(" AND at >= @from");
        if (to) sql.Append(" AND at <= @to");
        if (before) sql.Append(" AND id < @before");
        // A prefix match without LIKE's wildcards in the user's text.
        if (actionPrefix) sql.Append(" AND SUBSTRING(action, 1, @prefixLength) = @prefix");
        else if (action) sql.Append(" AND action = @action");
        if (user) sql.Append(" AND LOWER(actor_name) = LOWER(@user)");
        return sql.Append(" ORDER BY id DESC ").Append(_d.Limit("@limit")).ToString();
    }

    /// <summary>An admin's change to an account (parameters <c>@updated @hash @role @name</c>).</summary>
    public static string UpdateUser(bool password, bool role, bool? disabled)
    {
        var sets = new List<string> { "updated = @updated" };
        if (password)
            sets.Add("password_hash = @hash");
        if (role)
            sets.Add("role = @role");
        if (disabled is { } off)
            sets.Add(off ? "disabled = 1" : "disabled = 0");
        // A new password or re-enabling is an admin's decision that the account may be used again: the lock goes.
        if (password || disabled == false)
            sets.Add("failed_logins = 0, locked_until = NULL");
        return $"UPDATE users SET {string.Join(", ", sets)} WHERE name = @name";
    }

    /// <summary>Every statement, by name; composed ones in a representative form (every option on, two ranges, three nodes).</summary>
    /// <summary>Backup: the rows of a table.</summary>
    public static string BackupCount(string table) => $"SELECT COUNT(*) FROM {table}";

    /// <summary>Backup: every row of <paramref name="table"/>, in its backup order.</summary>
    public static string BackupRead(Backup.BackupTable table) => $"SELECT {table.ColumnList} FROM {table.Name} ORDER BY {table.OrderBy}";

    /// <summary>Restore: drops a table (children first), so a forced restore starts from an empty schema.</summary>
    public static string DropTable(string table) => $"DROP TABLE IF EXISTS {table}";

    /// <summary>Restore: <paramref name="rows"/> rows into <paramref name="table"/>, parameters <c>@p{row}_{column}</c>, IDs kept.</summary>
    public string RestoreInsert(Backup.BackupTable table, int rows)
    {
        var sql = new StringBuilder($"INSERT INTO {table.Name} ({table.ColumnList}) VALUES ");
        for (int r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (int c = 0; c < table.Columns.Count; c++)
                sql.Append(c == 0 ? "" : ", ").Append("@p").Append(r).Append('_').Append(c);
            sql.Append(')');
        }
        return _d.InsertKeepingIds(table.Name, sql.ToString());
    }

    /// <summary>Backup and restore: every column of the database's tables.</summary>
    public string ListColumns => _d.ListColumns;

    public IEnumerable<(string Name, string Sql)> All()
    {
        foreach (var property in typeof(StoreStatements).GetProperties())
            if (property.PropertyType == typeof(string) && property.Name != nameof(Engine))
                yield return (property.Name, (string)property.GetValue(this)!);
        yield return (nameof(RecordsOfNodes), RecordsOfNodes(3));
        foreach (var table in new[] { ("package_apps", "name, version, public_key_pem"), ("package_aliases", "alias"),
                     ("package_hardware_types", "hardware_type"), ("package_files", "path, role, app, size, md5, sha256") })
            yield return (nameof(PackageChildren) + " " + table.Item1, PackageChildren(table.Item1, table.Item2, [1, 2]));
        yield return (nameof(ExportDevices), ExportDevices(2, 2, true, true));
        yield return (nameof(ExportDevices) + " plain", ExportDevices(0, 0, false, false));
        yield return (nameof(ExportHostRecords), ExportHostRecords(2, 2, true, true));
        yield return (nameof(ExportHostRecords) + " plain", ExportHostRecords(0, 0, false, false));
        yield return (nameof(HostRecordsPage), HostRecordsPage(true, true, true));
        yield return (nameof(HostRecordsPage) + " plain", HostRecordsPage(false, false, false));
        yield return (nameof(ReadAudit), ReadAudit(true, true, true, true, false, true));
        yield return (nameof(ReadAudit) + " action", ReadAudit(false, false, false, false, true, false));
        yield return (nameof(UpdateUser), UpdateUser(true, true, true));
        yield return (nameof(UpdateUser) + " enable", UpdateUser(false, false, false));
        foreach (var table in Backup.BackupTables.All)
        {
            yield return (nameof(BackupCount) + " " + table.Name, BackupCount(table.Name));
            yield return (nameof(BackupRead) + " " + table.Name, BackupRead(table));
            yield return (nameof(RestoreInsert) + " " + table.Name, RestoreInsert(table, 2));
            yield return (nameof(DropTable) + " " + table.Name, DropTable(table.Name));
        }
        foreach (var table in Backup.BackupTables.NotCarried.Append("schema_version"))
            yield return (nameof(DropTable) + " " + table, DropTable(table));
    }
}
