using System.Security;
using Provisioning.Core.Export;

namespace Provisioning.PowerShell;

/// <summary>One application key read by <c>Read-ProvKeyFile -AppName</c>, decrypted as the head end ingests it.</summary>
public sealed class ProvAppKey
{
    internal ProvAppKey(DecryptedAppKey decrypted, string path, bool plainBytes)
    {
        var r = decrypted.Record;
        NodeId = r.NodeId;
        ConfigId = r.ConfigId;
        Batch = r.Batch;
        Timestamp = r.Timestamp;
        Status = r.Status;
        Source = r.Source;
        AppName = decrypted.App.Name;
        AppId = decrypted.App.Id;
        ExtraInfo = decrypted.App.Extra;
        KeyCheckValue = decrypted.KeyCheckValue;
        Path = path;
        if (!decrypted.HasKey) return;
        if (plainBytes)
            KeyBytes = decrypted.CopyKey();
        else
            Key = decrypted.KeyAsSecureString();
    }

    /// <summary>Node ID (32-bit MAC); null for a host record saved without one.</summary>
    public uint? NodeId { get; }
    /// <summary>Configuration the device was provisioned with.</summary>
    public ulong ConfigId { get; }
    /// <summary>Batch number.</summary>
    public uint Batch { get; }
    /// <summary>When the device was provisioned (UTC).</summary>
    public DateTimeOffset Timestamp { get; }
    /// <summary><c>confirmed</c> or <c>pending</c>.</summary>
    public string Status { get; }
    /// <summary><c>device</c>: recorded by a station with the node's root key; <c>host</c>: a host record (Set-ProvDeviceRecord).</summary>
    public string Source { get; }
    /// <summary>The application (app bundle name).</summary>
    public string AppName { get; }
    /// <summary>The application's ID of the device (hex), e.g. the eMCM ID; null when none was recorded.</summary>
    public string? AppId { get; }
    /// <summary>Extra application information (hex); null when none was recorded.</summary>
    public string? ExtraInfo { get; }
    /// <summary>Key check value of a 128-bit key (hex), to compare with the device's without revealing the key.</summary>
    public string? KeyCheckValue { get; }
    /// <summary>The key as lower-case hex text; null with -AsPlainBytes or when the record carries no key.</summary>
    public SecureString? Key { get; }
    /// <summary>The key as plain bytes, only with -AsPlainBytes.</summary>
    public byte[]? KeyBytes { get; }
    /// <summary>The export file the key came from.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public override string ToString() => NodeId is { } node ? $"0x{node:X8} {AppName}" : $"{AppName} {AppId}";
}
