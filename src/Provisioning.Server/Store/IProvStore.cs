using Provisioning.Core.Api;
using Provisioning.Core.Export;
using Provisioning.Core.Packaging;

namespace Provisioning.Server.Store;

/// <summary>
/// The server's database: tokens, imported packages (with history), aliases, device records (with history) and
/// export receipts. One interface, one implementation per engine (SQLite, MySQL/MariaDB); the same test suite runs
/// against each. Implementations are safe to call concurrently and hold no state that several server instances
/// sharing one database could disagree on.
/// </summary>
public interface IProvStore : IAsyncDisposable
{
    /// <summary><c>sqlite</c> or <c>mysql</c>.</summary>
    string Engine { get; }

    /// <summary>Creates or upgrades the schema to the newest script shipped with the server. Idempotent.</summary>
    Task MigrateAsync(CancellationToken ct = default);

    /// <summary>The schema version now in the database (0 when empty).</summary>
    Task<int> GetSchemaVersionAsync(CancellationToken ct = default);

    // ---- tokens ----------------------------------------------------------------------------------

    /// <summary>Stores a token by the SHA-256 of its secret.</summary>
    Task<TokenInfo> AddTokenAsync(string name, string role, byte[] secretHash, DateTimeOffset created, CancellationToken ct = default);

    /// <summary>The token with this secret hash, revoked or not; null when unknown.</summary>
    Task<StoredToken?> FindTokenAsync(byte[] secretHash, CancellationToken ct = default);

    /// <summary>All tokens, oldest first.</summary>
    Task<IReadOnlyList<TokenInfo>> ListTokensAsync(CancellationToken ct = default);

    /// <summary>Marks a token revoked; false when there is no such token.</summary>
    Task<bool> RevokeTokenAsync(long id, DateTimeOffset revoked, CancellationToken ct = default);

    /// <summary>Whether any unrevoked admin token exists.</summary>
    Task<bool> HasAdminTokenAsync(CancellationToken ct = default);

    // ---- packages --------------------------------------------------------------------------------

    /// <summary>
    /// Adds a package in one transaction: the next revision for its config ID becomes current, the previous one
    /// stays as history, aliases point at the config. Throws <see cref="AliasConflictException"/> when an alias
    /// belongs to another config and <see cref="ImportConflictException"/> when another import of the same config
    /// committed first (the revision was taken).
    /// </summary>
    Task<StoredPackage> AddPackageAsync(NewPackage package, CancellationToken ct = default);

    /// <summary>Current packages (or all revisions), ordered by config ID then revision.</summary>
    Task<IReadOnlyList<StoredPackage>> ListPackagesAsync(bool includeHistory, CancellationToken ct = default);

    /// <summary>The current package of a config, with files and apps; null when none.</summary>
    Task<StoredPackage?> GetPackageAsync(ulong configId, CancellationToken ct = default);

    /// <summary>The config an alias maps to; null when unknown. Aliases compare case-sensitively.</summary>
    Task<ulong?> ResolveAliasAsync(string alias, CancellationToken ct = default);

    /// <summary>The master-key-encrypted gateway keys of a config's current package; null when none.</summary>
    Task<(int Revision, byte[] Sealed)?> GetGatewayKeysAsync(ulong configId, CancellationToken ct = default);

    /// <summary>Whether some package (current or history) references a repository file.</summary>
    Task<bool> IsFileReferencedAsync(string sha256, CancellationToken ct = default);

    // ---- device records --------------------------------------------------------------------------

    /// <summary>
    /// Records a device's key as pending. The node's current (confirmed) record stays current: a node's exportable key
    /// changes only on confirmation. Idempotent by <paramref name="requestId"/>: a repeat with the same content returns
    /// the stored record with <c>Created</c> false; a repeat with different content throws <see cref="RequestConflictException"/>.
    /// </summary>
    Task<(DeviceRecord Record, bool Created)> RecordDeviceAsync(uint nodeId, Guid requestId, DeviceRecordRequest request,
        DateTimeOffset recordedAt, CancellationToken ct = default);

    /// <summary>
    /// Confirms a pending record (idempotent): it becomes the node's current record, the previous current record becomes
    /// replaced and older pending records of the node abandoned. A record that is no longer pending is returned as it
    /// is. Null when there is no such record for that node.
    /// </summary>
    Task<DeviceRecord?> ConfirmDeviceAsync(uint nodeId, Guid requestId, DateTimeOffset confirmedAt, CancellationToken ct = default);

    /// <summary>
    /// Settles a node's pending records from the key check value of the root key it reported (null: it holds none), in
    /// one transaction with the node locked: a matching current record stays and the pending ones are abandoned; a
    /// matching pending record is confirmed and the others abandoned; no root key abandons the pending ones; no match
    /// changes nothing.
    /// </summary>
    Task<DeviceResolution> ResolveDeviceAsync(uint nodeId, string? kcv, DateTimeOffset resolvedAt, CancellationToken ct = default);

    /// <summary>A node's current record and history, newest first; null when the node was never recorded.</summary>
    Task<DeviceHistory?> GetDeviceAsync(uint nodeId, CancellationToken ct = default);

    /// <summary>
    /// One page of devices in node order, after node <paramref name="after"/> (null: from the first): every recorded
    /// node, or only those with a pending record.
    /// </summary>
    Task<IReadOnlyList<DeviceHistory>> ListDevicesAsync(bool unresolvedOnly, uint? after, int limit, CancellationToken ct = default);

    // ---- host records (schema 7) ---------------------------------------------------------------------

    /// <summary>
    /// Records a host tool's application data for a device (guide C.5 setDutParams) as pending; never touches device records.
    /// Idempotent by <paramref name="requestId"/> as <see cref="RecordDeviceAsync"/>; other content under the same ID throws
    /// <see cref="HostRecordConflictException"/>.
    /// </summary>
    Task<(HostRecord Record, bool Created)> RecordHostAsync(Guid requestId, HostRecordRequest request, DateTimeOffset recordedAt, CancellationToken ct = default);

    /// <summary>
    /// Confirms a pending host record (idempotent): it becomes its device's current host record, the device's other confirmed
    /// ones replaced, its older pending ones abandoned. A record no longer pending is returned as it is; null when unknown.
    /// </summary>
    Task<HostRecord?> ConfirmHostAsync(Guid requestId, DateTimeOffset confirmedAt, CancellationToken ct = default);

    /// <summary>Host records newest first, optionally of one config or node, before the record <paramref name="before"/> (the next page).</summary>
    Task<IReadOnlyList<HostRecord>> ListHostRecordsAsync(ulong? configId, uint? nodeId, long? before, int limit, CancellationToken ct = default);

    /// <summary>
    /// Streams the host records an export of <paramref name="query"/> holds: per device, its confirmed host record, or with
    /// IncludePending a newer pending one; by node ID (records without one first), then device.
    /// </summary>
    IAsyncEnumerable<ExportedHostRecord> ReadHostExportAsync(ExportQuery query, CancellationToken ct = default);

    // ---- export ----------------------------------------------------------------------------------

    /// <summary>
    /// Streams one device per node matching the query, ordered by node ID, without holding them all in memory: the
    /// node's current (confirmed) record, or with IncludePending its newest pending record when it has one.
    /// <paramref name="tally"/>, when given, counts the nodes with a pending record in the selection as they pass.
    /// </summary>
    IAsyncEnumerable<ExportedDevice> ReadExportAsync(ExportQuery query, ExportTally? tally = null, CancellationToken ct = default);

    /// <summary>Starts an export in the history (status running) and returns its ID.</summary>
    Task<long> StartExportAsync(ExportQuery query, ExportRequest request, string? requestedBy, DateTimeOffset started, CancellationToken ct = default);

    /// <summary>Ends an export: complete with its receipt, or failed.</summary>
    Task FinishExportAsync(long exportId, string status, long count, long size, string? sha256, DateTimeOffset completed, long unresolved = 0,
        CancellationToken ct = default);

    /// <summary>One export receipt; null when unknown.</summary>
    Task<ExportReceipt?> GetExportAsync(long exportId, CancellationToken ct = default);

    /// <summary>Export history, newest first, optionally for one config.</summary>
    Task<IReadOnlyList<ExportReceipt>> ListExportsAsync(ulong? configId, CancellationToken ct = default);

    // ---- audit log (append-only) -------------------------------------------------------------------

    /// <summary>Appends an entry (its ID is assigned); the table refuses updates and deletes.</summary>
    Task<long> AppendAuditAsync(AuditEntry entry, CancellationToken ct = default);

    /// <summary>Entries matching the query, newest first.</summary>
    Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(AuditQuery query, CancellationToken ct = default);

    // ---- users (web accounts) ----------------------------------------------------------------------

    /// <summary>Adds an account (enabled, no failures); throws <see cref="UserExistsException"/> when the name is taken.</summary>
    Task<UserInfo> AddUserAsync(string name, string role, string passwordHash, DateTimeOffset created, CancellationToken ct = default);

    /// <summary>The account with this (normalised) name, with its password hash; null when none.</summary>
    Task<StoredUser?> FindUserAsync(string name, CancellationToken ct = default);

    /// <summary>All accounts by name, never a hash.</summary>
    Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken ct = default);

    /// <summary>Applies an admin's change; a new password or enabling also clears the failed count and the lock. Null when there is no such account.</summary>
    Task<UserInfo?> UpdateUserAsync(string name, StoredUserChange change, DateTimeOffset updated, CancellationToken ct = default);

    /// <summary>Removes an account; false when there is none.</summary>
    Task<bool> RemoveUserAsync(string name, CancellationToken ct = default);

    /// <summary>
    /// Counts a failed sign-in atomically; when <paramref name="lockFor"/> answers a period for the new count, the account is
    /// locked until then. Returns the count and the lock.
    /// </summary>
    Task<(int FailedLogins, DateTimeOffset? LockedUntil)> RecordLoginFailureAsync(long userId, DateTimeOffset at, Func<int, TimeSpan?> lockFor,
        CancellationToken ct = default);

    /// <summary>A successful sign-in: clears the failed count and the lock, sets the last sign-in and, when given, stores a rehashed password.</summary>
    Task RecordLoginSuccessAsync(long userId, DateTimeOffset at, string? newPasswordHash, CancellationToken ct = default);

    // ---- station certificates ----------------------------------------------------------------------

    /// <summary>Records a certificate the CA just issued (by its serial and thumbprint, never a key).</summary>
    Task<StationCertificateInfo> AddStationCertificateAsync(NewStationCertificate certificate, CancellationToken ct = default);

    /// <summary>The certificate with this thumbprint (SHA-256 of the DER, hex), revoked or not; null when unknown. Never cached.</summary>
    Task<StationCertificateInfo?> FindStationCertificateAsync(string thumbprint, CancellationToken ct = default);

    /// <summary>Every certificate issued, oldest first.</summary>
    Task<IReadOnlyList<StationCertificateInfo>> ListStationCertificatesAsync(CancellationToken ct = default);

    /// <summary>Marks a certificate revoked (an already revoked one keeps its first revocation) and returns it; null when there is no such certificate.</summary>
    Task<StationCertificateInfo?> RevokeStationCertificateAsync(long id, DateTimeOffset revoked, string? revokedBy, CancellationToken ct = default);
}

/// <summary>A selection of the audit log; null fields mean "any".</summary>
/// <param name="From">Entries at or after this time.</param>
/// <param name="To">Entries at or before this time.</param>
/// <param name="Action">This action, or with a trailing '*' actions starting with the text before it (<c>login*</c>).</param>
/// <param name="User">Entries by this actor name (case-insensitive).</param>
/// <param name="Before">Entries with an ID below this (the next page).</param>
/// <param name="Limit">At most this many.</param>
public sealed record AuditQuery(DateTimeOffset? From = null, DateTimeOffset? To = null, string? Action = null, string? User = null, long? Before = null,
    int Limit = 100);

/// <summary>A token as the authentication handler needs it.</summary>
public sealed record StoredToken(long Id, string Name, string Role, DateTimeOffset? Revoked);

/// <summary>A package to add: manifest facts, the repository files it references and its sealed gateway keys.</summary>
/// <param name="Manifest">The verified manifest.</param>
/// <param name="Comment">The importer's comment (guide §7.1.2).</param>
/// <param name="ImportedAt">When the import committed.</param>
/// <param name="PackageSha256">SHA-256 of the uploaded .tar.gz.</param>
/// <param name="KmsPublicKeyPem">The package's KMS public key.</param>
/// <param name="KmsKeyFingerprint">Its fingerprint.</param>
/// <param name="AppPublicKeys">Application public key PEMs by app name.</param>
/// <param name="SealedGatewayKeys">Gateway and CDLD keys encrypted under the server master key.</param>
public sealed record NewPackage(
    PackageManifest Manifest,
    string? Comment,
    DateTimeOffset ImportedAt,
    string PackageSha256,
    string KmsPublicKeyPem,
    string KmsKeyFingerprint,
    IReadOnlyDictionary<string, string> AppPublicKeys,
    byte[] SealedGatewayKeys);

/// <summary>A stored package revision.</summary>
public sealed record StoredPackage(
    long Id,
    ulong ConfigId,
    int Revision,
    bool IsCurrent,
    string NodeType,
    string NodeVersion,
    string AppLabel,
    IReadOnlyList<AppVersion> Apps,
    IReadOnlyList<string> Aliases,
    string? Comment,
    DateTimeOffset ImportedAt,
    DateTimeOffset Created,
    DateTimeOffset? ReplacedAt,
    string PackageSha256,
    string KmsPublicKeyPem,
    string KmsKeyFingerprint,
    IReadOnlyDictionary<string, string> AppPublicKeys,
    IReadOnlyList<PackageFileEntry> Files)
{
    /// <summary>Hardware types the node firmware supports (manifest); empty means any, as for packages imported before schema version 2.</summary>
    public IReadOnlyList<string> HardwareTypes { get; init; } = [];
}

/// <summary>Selection of an export, parsed (see <see cref="RangeList"/>). Empty range lists mean "any".</summary>
public sealed record ExportQuery(
    ulong ConfigId,
    IReadOnlyList<UIntRange> Batches,
    IReadOnlyList<UIntRange> NodeIds,
    DateTimeOffset? From,
    DateTimeOffset? To,
    bool IncludePending);

/// <summary>What an export read saw besides the devices it returned.</summary>
public sealed class ExportTally
{
    /// <summary>Nodes in the selection with a pending record (an unresolved key).</summary>
    public long UnresolvedNodes { get; set; }
}

/// <summary>An alias already maps to another config (guide §7.2.2: an alias maps to one config only).</summary>
public sealed class AliasConflictException(string alias, ulong existingConfigId)
    : Exception($"The alias '{alias}' already maps to config {existingConfigId}; an alias may map to one config only.")
{
    public string Alias { get; } = alias;
    public ulong ExistingConfigId { get; } = existingConfigId;
}

/// <summary>Another import of the same config is running or committed first.</summary>
public sealed class ImportConflictException(ulong configId)
    : Exception($"Another import of config {configId} is in progress or has just finished; check Get-ProvPackage, then import again if needed.")
{
    public ulong ConfigId { get; } = configId;
}

/// <summary>A retried host record call carried different content under the same request ID.</summary>
public sealed class HostRecordConflictException(Guid requestId)
    : Exception($"Host record request {requestId} was already recorded with different content; use a new request ID for a new record.")
{
    public Guid RequestId { get; } = requestId;
}

/// <summary>A retried device call carried different content under the same request ID.</summary>
public sealed class RequestConflictException(Guid requestId, uint nodeId)
    : Exception($"Request {requestId} was already recorded for node 0x{nodeId:X8} with different content; use a new request ID for a new record.")
{
    public Guid RequestId { get; } = requestId;
}
