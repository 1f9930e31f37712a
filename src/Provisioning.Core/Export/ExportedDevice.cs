using Provisioning.Core.Api;

namespace Provisioning.Core.Export;

/// <summary>One device as it appears in a key export file (docs/export-format.md).</summary>
/// <param name="NodeId">Node ID (32-bit MAC).</param>
/// <param name="ConfigId">Configuration the device was provisioned with.</param>
/// <param name="Batch">Batch number.</param>
/// <param name="Timestamp">When the station provisioned the device.</param>
/// <param name="Status"><see cref="DeviceStatus.Confirmed"/> or <see cref="DeviceStatus.Pending"/>.</param>
/// <param name="EncryptedRootKey">The root key encrypted with the KMS public key.</param>
/// <param name="KeyAlgorithm">e.g. <c>RSA-OAEP-SHA256</c>.</param>
/// <param name="KmsKeyFingerprint">Fingerprint of the KMS public key that encrypted it.</param>
/// <param name="Apps">Per-application data (hex strings).</param>
public sealed record ExportedDevice(
    uint NodeId,
    ulong ConfigId,
    uint Batch,
    DateTimeOffset Timestamp,
    string Status,
    byte[] EncryptedRootKey,
    string KeyAlgorithm,
    string KmsKeyFingerprint,
    IReadOnlyList<DeviceApp> Apps);
