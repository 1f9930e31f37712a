namespace Provisioning.Server.Store.Sql;

// The rows the store reads, one small type per query shape, filled by Dapper by column name (device_records.node_id →
// NodeId). Times are the stored UTC Unix milliseconds; the store turns rows into its public records.
#pragma warning disable CS1591 // members are the columns of the same name (docs/database.md)

/// <summary>A <c>device_records</c> row (a query may read only some columns, e.g. the key export; the others keep their defaults).</summary>
public sealed class DeviceRecordRow
{
    public long Id { get; init; }
    public byte[] RequestId { get; init; } = [];
    public uint NodeId { get; init; }
    public ulong ConfigId { get; init; }
    public uint Batch { get; init; }
    public long Ts { get; init; }
    public string Status { get; init; } = "";
    public byte[] EncryptedRootKey { get; init; } = [];
    public string KeyAlgorithm { get; init; } = "";
    public string KmsFingerprint { get; init; } = "";
    /// <summary>Apps as JSON: rows written before schema version 5.</summary>
    public string? Apps { get; init; }
    /// <summary>Apps in the compact binary form (<see cref="DeviceAppsCodec"/>): rows written since schema version 5.</summary>
    public byte[]? AppData { get; init; }
    public string? Station { get; init; }
    public long RecordedAt { get; init; }
    public long? ConfirmedAt { get; init; }
    public long? ReplacedAt { get; init; }
    public string? Kcv { get; init; }
}

/// <summary>A <c>host_records</c> row (schema version 7).</summary>
public sealed class HostRecordRow
{
    public long Id { get; init; }
    public byte[] RequestId { get; init; } = [];
    public ulong ConfigId { get; init; }
    public uint? NodeId { get; init; }
    public string? DeviceRef { get; init; }
    public uint Batch { get; init; }
    public long Ts { get; init; }
    public string Status { get; init; } = "";
    public byte[] AppData { get; init; } = [];
    public string? Station { get; init; }
    public long RecordedAt { get; init; }
    public long? ConfirmedAt { get; init; }
    public long? ReplacedAt { get; init; }
}

/// <summary>A <c>packages</c> row without its sealed gateway keys.</summary>
public sealed class PackageRow
{
    public long Id { get; init; }
    public ulong ConfigId { get; init; }
    public int Revision { get; init; }
    public bool IsCurrent { get; init; }
    public string NodeType { get; init; } = "";
    public string NodeVersion { get; init; } = "";
    public string AppLabel { get; init; } = "";
    public string? Comment { get; init; }
    public long ImportedAt { get; init; }
    public long Created { get; init; }
    public long? ReplacedAt { get; init; }
    public string PackageSha256 { get; init; } = "";
    public string KmsPublicKeyPem { get; init; } = "";
    public string KmsFingerprint { get; init; } = "";
}

/// <summary>A <c>packages</c> row's gateway keys.</summary>
public sealed class GatewayKeysRow
{
    public int Revision { get; init; }
    public byte[] SealedGatewayKeys { get; init; } = [];
}

/// <summary>A <c>package_apps</c> row.</summary>
public sealed class PackageAppRow
{
    public long PackageId { get; init; }
    public string Name { get; init; } = "";
    public string Version { get; init; } = "";
    public string? PublicKeyPem { get; init; }
}

/// <summary>A <c>package_aliases</c> row.</summary>
public sealed class PackageAliasRow
{
    public long PackageId { get; init; }
    public string Alias { get; init; } = "";
}

/// <summary>A <c>package_hardware_types</c> row.</summary>
public sealed class PackageHardwareTypeRow
{
    public long PackageId { get; init; }
    public string HardwareType { get; init; } = "";
}

/// <summary>A <c>package_files</c> row.</summary>
public sealed class PackageFileRow
{
    public long PackageId { get; init; }
    public string Path { get; init; } = "";
    public string Role { get; init; } = "";
    public string? App { get; init; }
    public long Size { get; init; }
    public string Md5 { get; init; } = "";
    public string Sha256 { get; init; } = "";
}

/// <summary>An <c>exports</c> row.</summary>
public sealed class ExportRow
{
    public long Id { get; init; }
    public ulong ConfigId { get; init; }
    public string? Batch { get; init; }
    public string? NodeId { get; init; }
    public long? FromTs { get; init; }
    public long? ToTs { get; init; }
    public bool IncludePending { get; init; }
    public string Status { get; init; } = "";
    public long Count { get; init; }
    public long Size { get; init; }
    public string? Sha256 { get; init; }
    public long Started { get; init; }
    public long? Completed { get; init; }
    public string? RequestedBy { get; init; }
    public long Unresolved { get; init; }
}

/// <summary>A <c>tokens</c> row without its secret hash.</summary>
public sealed class TokenRow
{
    public long Id { get; init; }
    public string Name { get; init; } = "";
    public string Role { get; init; } = "";
    public long Created { get; init; }
    public long? Revoked { get; init; }
}

/// <summary>A <c>users</c> row.</summary>
public sealed class UserRow
{
    public long Id { get; init; }
    public string Name { get; init; } = "";
    public string Role { get; init; } = "";
    public string PasswordHash { get; init; } = "";
    public bool Disabled { get; init; }
    public long Created { get; init; }
    public long Updated { get; init; }
    public int FailedLogins { get; init; }
    public long? LockedUntil { get; init; }
    public long? LastLogin { get; init; }
}

/// <summary>A <c>station_certificates</c> row.</summary>
public sealed class CertificateRow
{
    public long Id { get; init; }
    public string Name { get; init; } = "";
    public string Serial { get; init; } = "";
    public string Thumbprint { get; init; } = "";
    public long NotBefore { get; init; }
    public long NotAfter { get; init; }
    public long Issued { get; init; }
    public string? IssuedBy { get; init; }
    public long? Revoked { get; init; }
    public string? RevokedBy { get; init; }
}

/// <summary>An <c>audit_log</c> row.</summary>
public sealed class AuditRow
{
    public long Id { get; init; }
    public long At { get; init; }
    public string? ActorKind { get; init; }
    public long? ActorId { get; init; }
    public string? ActorName { get; init; }
    public string? Address { get; init; }
    public string Action { get; init; } = "";
    public string? Target { get; init; }
    public string? Detail { get; init; }
    public bool Succeeded { get; init; }
}
#pragma warning restore CS1591
