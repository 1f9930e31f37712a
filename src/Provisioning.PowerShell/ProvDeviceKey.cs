using System.Security;
using Provisioning.Core.Export;

namespace Provisioning.PowerShell;

/// <summary>One device read by Read-ProvKeyFile, with its root key decrypted as the KMS ingests it.</summary>
public sealed class ProvDeviceKey
{
    internal ProvDeviceKey(DecryptedDevice decrypted, string path, bool plainBytes)
    {
        var d = decrypted.Device;
        NodeId = d.NodeId;
        ConfigId = d.ConfigId;
        Batch = d.Batch;
        Timestamp = d.Timestamp;
        Status = d.Status;
        KeyCheckValue = decrypted.KeyCheckValue;
        KmsKeyFingerprint = d.KmsKeyFingerprint;
        Path = path;
        if (plainBytes)
            RootKeyBytes = decrypted.CopyRootKey();
        else
            RootKey = decrypted.RootKeyAsSecureString();
    }

    /// <summary>Node ID (32-bit MAC).</summary>
    public uint NodeId { get; }
    /// <summary>Configuration the device was provisioned with.</summary>
    public ulong ConfigId { get; }
    /// <summary>Batch number.</summary>
    public uint Batch { get; }
    /// <summary>When the station provisioned the device (UTC).</summary>
    public DateTimeOffset Timestamp { get; }
    /// <summary><c>confirmed</c> or <c>pending</c>.</summary>
    public string Status { get; }
    /// <summary>Key check value of the root key (hex), to compare with the station's or the device's without revealing the key.</summary>
    public string? KeyCheckValue { get; }
    /// <summary>The root key as hex text; null with -AsPlainBytes.</summary>
    public SecureString? RootKey { get; }
    /// <summary>The root key as plain bytes, only with -AsPlainBytes; null otherwise.</summary>
    public byte[]? RootKeyBytes { get; }
    /// <summary>The KMS key the root key was encrypted for.</summary>
    public string KmsKeyFingerprint { get; }
    /// <summary>The export file the device came from.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public override string ToString() => $"0x{NodeId:X8}";
}
