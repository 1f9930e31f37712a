namespace Provisioning.Core.Node;

/// <summary>What a node reports about itself (docs/node-protocol.md, GetInfo).</summary>
/// <param name="ProtocolVersion">Node protocol version the node speaks; this station speaks 1.</param>
/// <param name="NodeId">Node ID, unsigned 32-bit.</param>
/// <param name="NodeType">Node type, compared with the configuration's node type.</param>
/// <param name="HardwareType">Hardware type (board revision).</param>
/// <param name="FirmwareVersion">Version of the active firmware; empty when none.</param>
/// <param name="FirmwareDigest">SHA-256 of the active firmware image; all zero when none.</param>
/// <param name="Calibration">State of the factory calibration record.</param>
/// <param name="CalibrationVersion">Version of the calibration record format.</param>
/// <param name="ConfigCapacity">Largest configuration file the node can hold, bytes.</param>
/// <param name="FieldConfigDigest">SHA-256 of the field configuration held; all zero when none.</param>
/// <param name="FactoryConfigDigest">SHA-256 of the factory configuration held; all zero when none.</param>
/// <param name="Locks">Interfaces already secured.</param>
/// <param name="Keys">Key slots holding a key.</param>
/// <param name="MaxChunk">Largest image chunk the node accepts in one message, bytes.</param>
/// <param name="Window">How many chunk messages may be outstanding at once.</param>
public sealed record NodeInfo(
    byte ProtocolVersion, uint NodeId, string NodeType, string HardwareType, string FirmwareVersion,
    byte[] FirmwareDigest, CalibrationStatus Calibration, ushort CalibrationVersion, uint ConfigCapacity,
    byte[] FieldConfigDigest, byte[] FactoryConfigDigest, NodeLockFlags Locks, NodeKeySlots Keys,
    ushort MaxChunk, byte Window)
{
    /// <summary>Key check value (3 bytes) of the root key the node holds; null when it holds none.</summary>
    public byte[]? RootKeyCheckValue { get; init; }
}

/// <summary>State of a node's factory calibration record.</summary>
public enum CalibrationStatus : byte
{
    /// <summary>No calibration record.</summary>
    Missing = 0,
    /// <summary>A valid calibration record.</summary>
    Valid = 1,
    /// <summary>A record that fails its integrity check.</summary>
    Corrupt = 2,
}

/// <summary>Where an image goes (ImageBegin target).</summary>
public enum NodeImageTarget : byte
{
    /// <summary>Node firmware; activated on commit.</summary>
    Firmware = 1,
    /// <summary>Field configuration.</summary>
    FieldConfig = 2,
    /// <summary>Factory configuration (guide D <c>--factory-config</c>).</summary>
    FactoryConfig = 3,
}

/// <summary>A key slot on the node.</summary>
public enum NodeKeySlot : byte
{
    /// <summary>Gateway root key.</summary>
    Gateway = 1,
    /// <summary>Code download (CDLD) key.</summary>
    Cdld = 2,
    /// <summary>The node's own root key.</summary>
    Root = 3,
}

/// <summary>Key slots as flags (NodeInfo.Keys).</summary>
[Flags]
public enum NodeKeySlots : byte
{
    /// <summary>No key.</summary>
    None = 0,
    /// <summary>Gateway key present.</summary>
    Gateway = 1,
    /// <summary>CDLD key present.</summary>
    Cdld = 2,
    /// <summary>Root key present.</summary>
    Root = 4,
}

/// <summary>Interfaces a Lock message secures (guide D <c>--skip_lock</c>: the host port and flash/JTAG).</summary>
[Flags]
public enum NodeLockFlags : byte
{
    /// <summary>Nothing locked.</summary>
    None = 0,
    /// <summary>The host debug port (AHP).</summary>
    HostPort = 1,
    /// <summary>Flash readout and JTAG.</summary>
    FlashJtag = 2,
}

/// <summary>Error codes a node returns in an Error message.</summary>
public enum NodeErrorCode : byte
{
    /// <summary>Message type not known.</summary>
    UnknownMessage = 1,
    /// <summary>Payload malformed for its type.</summary>
    BadPayload = 2,
    /// <summary>Image larger than the node can hold.</summary>
    ImageTooLarge = 3,
    /// <summary>Chunk offset beyond the bytes received so far.</summary>
    OutOfOrder = 4,
    /// <summary>Whole-image SHA-256 differs from the one announced in ImageBegin; nothing activated.</summary>
    DigestMismatch = 5,
    /// <summary>The node refused the image (e.g. built for another node type).</summary>
    ImageRejected = 6,
    /// <summary>Key of the wrong length or slot.</summary>
    BadKey = 7,
    /// <summary>Commit or chunk with no ImageBegin.</summary>
    NoImage = 8,
    /// <summary>The node cannot do it now.</summary>
    Busy = 9,
}

/// <summary>The node types the guide names, as packages and nodes spell them (compared without regard to case).</summary>
public static class KnownNodeTypes
{
    /// <summary>A microNode: the node type of the guide's examples and the simulator's default.</summary>
    public const string MicroNode = "UNODE";

    /// <summary>Every known node type with the guide's name for it, the simulator's default first.</summary>
    public static IReadOnlyList<(string Name, string Description)> All { get; } =
    [
        (MicroNode, "microNode"),
        ("DNODE", "dNode"),
        ("ENODE", "eNode"),
    ];
}
