using System.Text.Json;
using System.Text.Json.Serialization;

namespace Provisioning.Core.Api;

// The JSON bodies of the server's HTTP API (docs/server-api.md), shared by the server and its clients
// so the two cannot drift. Names are camelCase on the wire. Config IDs travel as decimal strings:
// they are 64-bit and JavaScript numbers are not.

/// <summary>Routes of the HTTP API, all under <c>/api/v1/</c>.</summary>
public static class ApiRoutes
{
    /// <summary>Prefix of every API route.</summary>
    public const string Prefix = "/api/v1";
    /// <summary>Health (no token needed).</summary>
    public const string Health = Prefix + "/health";
    /// <summary>Package overview and import.</summary>
    public const string Packages = Prefix + "/packages";
    /// <summary>Configurations as stations fetch them.</summary>
    public const string Configs = Prefix + "/configs";
    /// <summary>Repository files, by SHA-256.</summary>
    public const string Files = Prefix + "/files";
    /// <summary>Device records.</summary>
    public const string Devices = Prefix + "/devices";
    /// <summary>Host records (guide C.5 setDutParams): application data for a device, with or without its node ID, never a root key.</summary>
    public const string HostRecords = Prefix + "/host-records";
    /// <summary>Largest page of <c>GET /api/v1/devices</c> and <c>GET /api/v1/host-records</c>.</summary>
    public const int MaxDevicePage = 1000;
    /// <summary>Key exports and their receipts.</summary>
    public const string Exports = Prefix + "/exports";
    /// <summary>Access tokens.</summary>
    public const string Tokens = Prefix + "/tokens";
    /// <summary>Station client certificates.</summary>
    public const string Certificates = Prefix + "/certificates";
    /// <summary>User accounts (admin).</summary>
    public const string Users = Prefix + "/users";
    /// <summary>The audit log (admin).</summary>
    public const string Audit = Prefix + "/audit";
    /// <summary>Largest page of <c>GET /api/v1/audit</c>.</summary>
    public const int MaxAuditPage = 1000;
    /// <summary>The calling token's name and role (any valid token).</summary>
    public const string WhoAmI = Prefix + "/whoami";
    /// <summary>Asks the server process to stop (admin).</summary>
    public const string ServerStop = Prefix + "/server/stop";
    /// <summary>Streams a backup of the server, encrypted under the passphrase in the body (admin; HTTPS or loopback).</summary>
    public const string ServerBackup = Prefix + "/server/backup";
    /// <summary>Response header carrying the export ID while the file streams.</summary>
    public const string ExportIdHeader = "Prov-Export-Id";
}

/// <summary>Token roles.</summary>
public static class TokenRoles
{
    /// <summary>Everything.</summary>
    public const string Admin = "admin";
    /// <summary>Fetch configurations, files and gateway keys; record device results.</summary>
    public const string Station = "station";
    /// <summary>Read packages, configurations and devices, and export device keys; no import and no administration.</summary>
    public const string Exporter = "exporter";
}

/// <summary>
/// Device record states (docs/export-format.md). A record starts <see cref="Pending"/>; a node has at most one
/// <see cref="Confirmed"/> record, its current one, which only a newer confirmation replaces.
/// </summary>
public static class DeviceStatus
{
    /// <summary>Recorded before the key was written to the device; not yet known to be on it.</summary>
    public const string Pending = "pending";
    /// <summary>The node's current record: the station verified the device holds the key, or the node reported its check value.</summary>
    public const string Confirmed = "confirmed";
    /// <summary>Was confirmed; a newer record of the node was confirmed since.</summary>
    public const string Replaced = "replaced";
    /// <summary>Was pending; the node is known not to hold it (another record was confirmed, or the node reported another key or none).</summary>
    public const string Abandoned = "abandoned";
}

/// <summary>What <c>POST /api/v1/devices/{nodeId}/resolve</c> found.</summary>
public static class DeviceResolveOutcome
{
    /// <summary>The node holds the key of a pending record, which is now its current record.</summary>
    public const string Confirmed = "confirmed";
    /// <summary>The node holds the key of its current record; pending records (if any) were abandoned.</summary>
    public const string Current = "current";
    /// <summary>The node holds no root key; pending records (if any) were abandoned, the current record (if any) kept.</summary>
    public const string NoKey = "noKey";
    /// <summary>The node's key matches none of its records: nothing was changed.</summary>
    public const string NoMatch = "noMatch";
    /// <summary>The node was never recorded.</summary>
    public const string NotRecorded = "notRecorded";
}

/// <summary>JSON options used on both ends.</summary>
public static class ApiJson
{
    /// <summary>camelCase, enums as strings, nulls omitted.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}

/// <summary><c>GET /api/v1/health</c>.</summary>
public sealed record HealthInfo(string Status, string Version, string Database, int ProcessId);

/// <summary><c>GET /api/v1/whoami</c>: the token that made the call, as the server sees it.</summary>
/// <param name="Name">The token's name.</param>
/// <param name="Role"><see cref="TokenRoles.Admin"/> or <see cref="TokenRoles.Station"/>.</param>
/// <param name="Database">The server's database described without secrets (admin tokens only).</param>
public sealed record TokenIdentity(string Name, string Role, string? Database);

/// <summary>An application's name and version.</summary>
public sealed record AppVersion(string Name, string Version);

/// <summary>One row of the package overview (guide §7.1.2), current or from history.</summary>
public sealed record PackageSummary(
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] ulong ConfigId,
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
    string PackageSha256,
    string KmsKeyFingerprint,
    DateTimeOffset? ReplacedAt);

/// <summary>Result of <c>POST /api/v1/packages</c>: what was (or, on a dry run, would be) imported.</summary>
/// <param name="Package">The package as stored (on a dry run: as it would be stored; revision is the next one).</param>
/// <param name="Imported">False on a dry run.</param>
/// <param name="ReplacedRevision">The revision this import made history, if any.</param>
public sealed record ImportResult(PackageSummary Package, bool Imported, int? ReplacedRevision);

/// <summary>A file a station downloads, with the hashes it must check.</summary>
public sealed record FileLink(string Name, string Url, long Size, string Md5, string Sha256)
{
    /// <summary>
    /// Shared file system mode: the file's path in the stations' view of the repository (the server's ClientRepositoryPath);
    /// a station reads it there (after the guide's path translation) and never downloads it. Null when files are served over HTTP.
    /// </summary>
    public string? Path { get; init; }
}

/// <summary>Node files of a configuration.</summary>
public sealed record NodeFiles(FileLink Firmware, FileLink? FieldConfig, FileLink? FactoryConfig);

/// <summary>An application bundle (guide C.4: app_names, app_versions, app_pub_keys, app_files).</summary>
public sealed record AppBundle(string Name, string Version, string? PublicKey, FileLink? Firmware, FileLink? FieldConfig, FileLink? FactoryConfig);

/// <summary><c>GET /api/v1/configs/{configId}</c>: what a station needs to provision a node.</summary>
public sealed record ConfigInfo(
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] ulong ConfigId,
    int Revision,
    IReadOnlyList<string> Aliases,
    string AppLabel,
    string NodeType,
    string NodeVersion,
    NodeFiles Node,
    IReadOnlyList<AppBundle> Apps,
    string KmsPublicKey,
    string KmsKeyFingerprint,
    DateTimeOffset ImportedAt)
{
    /// <summary>Hardware types the node firmware supports (package manifest); empty means any.</summary>
    public IReadOnlyList<string> HardwareTypes { get; init; } = [];
}

/// <summary><c>GET /api/v1/configs/{configId}/gateway-keys</c> (station token; HTTPS or loopback unless opted in). Keys are hex.</summary>
public sealed record GatewayKeysInfo(
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] ulong ConfigId,
    int Revision, string GatewayKey, string CdldKey, string GatewayKeyCheckValue, string CdldKeyCheckValue);

/// <summary>Per-application device data (guide C.5 app_ids, app_keys, extraAppInfo), each a hex string or null.</summary>
public sealed record DeviceApp(string Name, string? Id, string? Key, string? Extra);

/// <summary>Body of <c>PUT /api/v1/devices/{nodeId}/records/{requestId}</c>: a device's encrypted root key, recorded as pending.</summary>
/// <param name="ConfigId">Configuration the device was provisioned with.</param>
/// <param name="Batch">Batch number (guide §7.2.4).</param>
/// <param name="Timestamp">When the station provisioned the device.</param>
/// <param name="EncryptedRootKey">The root key encrypted with the KMS public key, base64.</param>
/// <param name="KeyAlgorithm">Encryption of the root key; <c>RSA-OAEP-SHA256</c>.</param>
/// <param name="KmsKeyFingerprint">Fingerprint of the KMS public key used; must be the configuration's.</param>
/// <param name="Apps">Per-application data, in the configuration's app order.</param>
/// <param name="Station">Free text naming the station or port, for history.</param>
/// <param name="Kcv">Key check value of the root key (6 hex digits: the first 3 bytes of AES-ECB of a zero block). Not secret;
/// it lets the node's next GetInfo tell which record it holds.</param>
public sealed record DeviceRecordRequest(
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] ulong ConfigId,
    uint Batch,
    DateTimeOffset Timestamp,
    string EncryptedRootKey,
    string KeyAlgorithm,
    string KmsKeyFingerprint,
    IReadOnlyList<DeviceApp>? Apps,
    string? Station,
    string? Kcv = null);

/// <summary>A stored device record.</summary>
public sealed record DeviceRecord(
    Guid RequestId,
    uint NodeId,
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] ulong ConfigId,
    uint Batch,
    DateTimeOffset Timestamp,
    string Status,
    string EncryptedRootKey,
    string KeyAlgorithm,
    string KmsKeyFingerprint,
    IReadOnlyList<DeviceApp> Apps,
    bool IsCurrent,
    DateTimeOffset RecordedAt,
    DateTimeOffset? ConfirmedAt,
    DateTimeOffset? ReplacedAt,
    string? Station,
    string? Kcv = null);

/// <summary><c>GET /api/v1/devices/{nodeId}</c>: the current (confirmed) record and the history, newest first.</summary>
public sealed record DeviceHistory(uint NodeId, DeviceRecord? Current, IReadOnlyList<DeviceRecord> Records)
{
    /// <summary>Whether the node has a pending record: a key it may hold that is not yet known to be on it.</summary>
    public bool Unresolved => Records.Any(r => r.Status == DeviceStatus.Pending);
}

/// <summary>Body of <c>POST /api/v1/devices/{nodeId}/resolve</c>: what the node reported at its latest contact.</summary>
/// <param name="Kcv">Key check value of the root key the node holds (6 hex digits); null when it holds none.</param>
public sealed record DeviceResolveRequest(string? Kcv);

/// <summary>Answer of <c>POST /api/v1/devices/{nodeId}/resolve</c>.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="Outcome">One of <see cref="DeviceResolveOutcome"/>.</param>
/// <param name="Current">The node's current record afterwards; null when none.</param>
/// <param name="Abandoned">How many pending records were marked abandoned.</param>
/// <param name="Message">What was found, for an operator.</param>
public sealed record DeviceResolution(uint NodeId, string Outcome, DeviceRecord? Current, int Abandoned, string Message);

/// <summary>Body of <c>POST /api/v1/exports</c>: the guide's export form (§7.3).</summary>
/// <param name="ConfigId">Configuration whose devices are exported.</param>
/// <param name="Batch">Batch numbers: comma-separated values and ranges, e.g. <c>1000,1002-1005</c>.</param>
/// <param name="NodeId">Node IDs: comma-separated values and ranges, e.g. <c>0x0010-0x001F,0x40</c>.</param>
/// <param name="From">Earliest provisioning time, inclusive.</param>
/// <param name="To">Latest provisioning time, inclusive.</param>
/// <param name="IncludePending">Also export pending records (marked as such).</param>
public sealed record ExportRequest(
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] ulong ConfigId,
    string? Batch, string? NodeId, DateTimeOffset? From, DateTimeOffset? To, bool IncludePending);

/// <summary>An export in the history, with its receipt once complete. <c>Unresolved</c> counts the nodes in the selection
/// that have a pending record (exported in its place only with IncludePending).</summary>
public sealed record ExportReceipt(
    long ExportId,
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] ulong ConfigId,
    string? Batch, string? NodeId, DateTimeOffset? From, DateTimeOffset? To, bool IncludePending,
    string Status, long Count, long Size, string? Sha256,
    DateTimeOffset Started, DateTimeOffset? Completed, string? RequestedBy, long Unresolved = 0);

/// <summary>Export states.</summary>
public static class ExportStatus
{
    /// <summary>Still streaming.</summary>
    public const string Running = "running";
    /// <summary>Written to the end; the receipt is final.</summary>
    public const string Complete = "complete";
    /// <summary>Stopped before the end (client gone, server error).</summary>
    public const string Failed = "failed";
}

/// <summary>Body of <c>POST /api/v1/tokens</c>.</summary>
public sealed record TokenRequest(string Name, string Role);

/// <summary>A token as listed (never the secret).</summary>
public sealed record TokenInfo(long Id, string Name, string Role, DateTimeOffset Created, DateTimeOffset? Revoked);

/// <summary>A newly made token: the only time the secret is shown.</summary>
public sealed record NewToken(TokenInfo Info, string Token);

/// <summary>Error body (RFC 9457 problem details) every failing call returns.</summary>
/// <param name="Title">Short summary.</param>
/// <param name="Status">HTTP status.</param>
/// <param name="Detail">What went wrong and what to do, for an operator.</param>
/// <param name="ErrorId">Stable identifier, e.g. <c>ConfigNotFound</c>.</param>
public sealed record ApiProblem(string Title, int Status, string? Detail, string? ErrorId);

/// <summary>One entry of the audit log (<c>GET /api/v1/audit</c>): who did what, when, from where.</summary>
/// <param name="Id">Its sequence number (entries are only ever appended).</param>
/// <param name="At">When, UTC.</param>
/// <param name="ActorKind">token, user or certificate; null when anonymous (e.g. a failed sign-in).</param>
/// <param name="ActorId">The token, user or certificate ID.</param>
/// <param name="ActorName">Its name (for a failed sign-in, the name tried).</param>
/// <param name="Address">The client's IP address.</param>
/// <param name="Action">What was done, e.g. <c>package.import</c>, <c>export</c>, <c>login.failed</c>.</param>
/// <param name="Target">What it was done to (config ID, export ID, token, user, path).</param>
/// <param name="Detail">Short text or JSON without secrets (e.g. an export's receipt).</param>
/// <param name="Succeeded">Whether the action succeeded.</param>
public sealed record AuditEntry(long Id, DateTimeOffset At, string? ActorKind, long? ActorId, string? ActorName, string? Address, string Action,
    string? Target, string? Detail, bool Succeeded);
