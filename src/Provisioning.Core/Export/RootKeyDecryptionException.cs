namespace Provisioning.Core.Export;

/// <summary>
/// One device's root key could not be decrypted: made for another KMS key, with an unknown algorithm, or damaged.
/// Reading the file can go on. The message names the node and both key fingerprints, never key material.
/// </summary>
public sealed class RootKeyDecryptionException : Exception
{
    /// <summary>Creates the exception for <paramref name="device"/>.</summary>
    public RootKeyDecryptionException(ExportedDevice device, string givenKeyFingerprint, string message, Exception? inner = null)
        : base(message, inner)
    {
        ArgumentNullException.ThrowIfNull(device);
        NodeId = device.NodeId;
        FileKeyFingerprint = device.KmsKeyFingerprint;
        GivenKeyFingerprint = givenKeyFingerprint;
    }

    /// <summary>The node whose key failed.</summary>
    public uint NodeId { get; }

    /// <summary>The KMS key the export file says the root key was encrypted for.</summary>
    public string FileKeyFingerprint { get; }

    /// <summary>The KMS key that was given to decrypt it.</summary>
    public string GivenKeyFingerprint { get; }
}
