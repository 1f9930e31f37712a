using System.Security.Cryptography;
using Provisioning.Core.Crypto;

namespace Provisioning.Core.Node.Simulator;

/// <summary>
/// What a simulated node does with each request: its flash (firmware, configurations, keys, locks) and the rules of
/// docs/node-protocol.md. No I/O besides the state file; thread-safe, so the station's view and the line can share it.
/// </summary>
internal sealed class SimulatedNode
{
    public const ushort MaxChunk = 4096;
    public const byte Window = 4;
    public const uint MaxFirmware = 4 * 1024 * 1024;
    private const ushort CalibrationVersion = 1;

    private readonly object _gate = new();
    private readonly NodeSimulatorOptions _options;
    private readonly NodeFlash _flash;
    private readonly Dictionary<NodeKeySlot, byte[]> _keys = new();

    public SimulatedNode(NodeSimulatorOptions options)
    {
        _options = options;
        _flash = (options.StatePath is null ? null : NodeStateFile.Load(options.StatePath))
            ?? new NodeFlash { FirmwareVersion = options.FirmwareVersion };
        _flash.NodeId = options.NodeId;
        foreach (var (slot, hex) in _flash.Keys)
            _keys[slot] = Convert.FromHexString(hex);
        if (_flash.Partial is { } partial && partial.Data.Length != partial.Size)
            _flash.Partial = null; // a file edited by hand; start that transfer again
    }

    public NodeStateSnapshot Snapshot()
    {
        lock (_gate)
        {
            var kcvs = _keys.ToDictionary(k => k.Key, k => GatewayKeys.CheckValue(k.Value));
            return new NodeStateSnapshot(_flash.NodeId, _flash.FirmwareVersion, _flash.FirmwareSha256, _flash.FieldConfigSha256,
                _flash.FactoryConfigSha256, kcvs, _flash.Locks, _flash.Resets, _flash.FirmwareWrites)
            {
                ActiveConfig = _flash.ActiveConfig,
                FactoryNetworkId = _flash.FactoryNetworkId,
            };
        }
    }

    /// <summary>Raised (under the node's lock) when the radio must start again: a configuration was committed, or the node reset.</summary>
    public event Action? RadioChanged;

    /// <summary>The factory network the node's active configuration names; null when it runs no such factory configuration.</summary>
    public string? ActiveFactoryNetwork()
    {
        lock (_gate) return _flash.ActiveConfig == NodeImageTarget.FactoryConfig ? _flash.FactoryNetworkId : null;
    }

    public byte[]? ReadKey(NodeKeySlot slot)
    {
        lock (_gate) return _keys.TryGetValue(slot, out var key) ? (byte[])key.Clone() : null;
    }

    /// <summary>Writes the flash to the state file, if there is one.</summary>
    public void Save()
    {
        if (_options.StatePath is null) return;
        lock (_gate) NodeStateFile.Save(_options.StatePath, _flash);
    }

    /// <summary>Answers one request; returns the response payload length written to <paramref name="response"/>.</summary>
    public int Handle(byte type, ReadOnlySpan<byte> payload, Span<byte> response, out byte responseType)
    {
        responseType = NodeFrame.ResponseType(type);
        try
        {
            lock (_gate)
            {
                return (NodeMessageType)type switch
                {
                    NodeMessageType.GetInfo => NodeMessages.WriteInfo(Info(), response),
                    NodeMessageType.ImageBegin => NodeMessages.WriteU32(Begin(NodeMessages.ReadImageBegin(payload)), response),
                    NodeMessageType.ImageChunk => NodeMessages.WriteU32(Chunk(payload), response),
                    NodeMessageType.ImageCommit => Commit(new PayloadReader(payload).U8()),
                    NodeMessageType.KeyWrite => WriteKey(payload),
                    NodeMessageType.KeyCheck => NodeMessages.WriteKeyCheckValues(KeyCheckValues(), response),
                    NodeMessageType.Lock => Lock(new PayloadReader(payload).U8()),
                    NodeMessageType.Reset => Reset(),
                    _ => throw new NodeErrorException(NodeErrorCode.UnknownMessage, $"message type 0x{type:X2} is not known"),
                };
            }
        }
        catch (NodeErrorException e)
        {
            responseType = (byte)NodeMessageType.Error;
            return NodeMessages.WriteError(e.Code, e.NodeMessage, response);
        }
        catch (FormatException e)
        {
            responseType = (byte)NodeMessageType.Error;
            return NodeMessages.WriteError(NodeErrorCode.BadPayload, e.Message, response);
        }
    }

    private NodeInfo Info()
    {
        var keys = NodeKeySlots.None;
        foreach (var slot in _keys.Keys) keys |= (NodeKeySlots)(1 << ((int)slot - 1));
        return new NodeInfo(_options.ProtocolVersion, _flash.NodeId, _options.NodeType, _options.HardwareType, _flash.FirmwareVersion,
            Digest(_flash.FirmwareSha256), _options.Calibration, CalibrationVersion, _options.ConfigCapacity,
            Digest(_flash.FieldConfigSha256), Digest(_flash.FactoryConfigSha256), _flash.Locks, keys, MaxChunk, Window)
        {
            RootKeyCheckValue = _keys.TryGetValue(NodeKeySlot.Root, out var root) ? CheckValue(root) : null,
        };
    }

    private uint Begin(ImageBegin begin)
    {
        RequireTarget(begin.Target);
        uint limit = begin.Target == NodeImageTarget.Firmware ? MaxFirmware : _options.ConfigCapacity;
        if (begin.Size > limit)
            throw new NodeErrorException(NodeErrorCode.ImageTooLarge, $"{begin.Target} of {begin.Size} bytes does not fit in {limit} bytes");
        string sha = Convert.ToHexString(begin.Sha256);
        if (_flash.Partial is { } held && held.Target == begin.Target && held.Size == begin.Size && held.Sha256 == sha)
            return held.Received;
        _flash.Partial = new PartialImage { Target = begin.Target, Size = begin.Size, Sha256 = sha, Version = begin.Version, Data = new byte[begin.Size] };
        return 0;
    }

    private uint Chunk(ReadOnlySpan<byte> payload)
    {
        var (target, offset) = NodeMessages.ReadChunk(payload, out var data);
        var partial = _flash.Partial;
        if (partial is null || partial.Target != target)
            throw new NodeErrorException(NodeErrorCode.NoImage, $"no {target} transfer was begun");
        if (data.Length > MaxChunk)
            throw new NodeErrorException(NodeErrorCode.BadPayload, $"a chunk holds at most {MaxChunk} bytes, not {data.Length}");
        if (offset > partial.Received)
            throw new NodeErrorException(NodeErrorCode.OutOfOrder, $"chunk at {offset}, but only {partial.Received} bytes are held");
        if ((ulong)offset + (ulong)data.Length > partial.Size)
            throw new NodeErrorException(NodeErrorCode.BadPayload, $"chunk at {offset} of {data.Length} bytes runs past the image size {partial.Size}");
        data.CopyTo(partial.Data.AsSpan((int)offset));
        partial.Received = Math.Max(partial.Received, offset + (uint)data.Length);
        return partial.Received;
    }

    private int Commit(byte targetByte)
    {
        var target = (NodeImageTarget)targetByte;
        RequireTarget(target);
        var partial = _flash.Partial;
        if (partial is null || partial.Target != target)
        {
            // The answer to a commit can be lost; its resend finds the image already active.
            if (_lastCommitted.TryGetValue(target, out string? sha) && sha == ActiveDigest(target)) return 0;
            throw new NodeErrorException(NodeErrorCode.NoImage, $"no {target} transfer was begun");
        }
        _flash.Partial = null;
        string actual = Convert.ToHexString(SHA256.HashData(partial.Data.AsSpan(0, (int)partial.Received)));
        if (partial.Received != partial.Size || actual != partial.Sha256)
        {
            Save();
            throw new NodeErrorException(NodeErrorCode.DigestMismatch,
                $"the {partial.Received} bytes held hash to {actual[..16]}…, not the announced {partial.Sha256[..16]}…; nothing activated");
        }
        if (target == NodeImageTarget.Firmware && _options.Faults.RejectFirmware)
        {
            Save();
            throw new NodeErrorException(NodeErrorCode.ImageRejected, "this node refuses the firmware image (RejectFirmware fault)");
        }
        switch (target)
        {
            case NodeImageTarget.Firmware:
                _flash.FirmwareVersion = partial.Version;
                _flash.FirmwareSha256 = actual;
                _flash.FirmwareWrites++;
                break;
            case NodeImageTarget.FieldConfig: _flash.FieldConfigSha256 = actual; break;
            default: _flash.FactoryConfigSha256 = actual; break;
        }
        if (target != NodeImageTarget.Firmware)
        {
            // The node runs on the configuration committed last (the radio follows it: see NodeRadio).
            _flash.ActiveConfig = target;
            if (target == NodeImageTarget.FactoryConfig) _flash.FactoryNetworkId = Gateway.FactoryNetwork.NetworkIdOf(partial.Data);
        }
        _lastCommitted[target] = actual;
        Save();
        if (target != NodeImageTarget.Firmware) RadioChanged?.Invoke();
        return 0;
    }

    private readonly Dictionary<NodeImageTarget, string> _lastCommitted = new();

    private string ActiveDigest(NodeImageTarget target) => target switch
    {
        NodeImageTarget.Firmware => _flash.FirmwareSha256,
        NodeImageTarget.FieldConfig => _flash.FieldConfigSha256,
        _ => _flash.FactoryConfigSha256,
    };

    private int WriteKey(ReadOnlySpan<byte> payload)
    {
        var slot = NodeMessages.ReadKey(payload, out var key);
        if (slot is not (NodeKeySlot.Gateway or NodeKeySlot.Cdld or NodeKeySlot.Root))
            throw new NodeErrorException(NodeErrorCode.BadKey, $"there is no key slot {(byte)slot}");
        if (key.Length != NodeMessages.KeyLength)
            throw new NodeErrorException(NodeErrorCode.BadKey, $"a key is {NodeMessages.KeyLength} bytes, not {key.Length}");
        if (_keys.TryGetValue(slot, out var old)) CryptographicOperations.ZeroMemory(old);
        _keys[slot] = key.ToArray();
        _flash.Keys[slot] = Convert.ToHexString(key);
        Save();
        return 0;
    }

    private List<(NodeKeySlot, byte[])> KeyCheckValues()
    {
        var values = new List<(NodeKeySlot, byte[])>();
        foreach (var (slot, key) in _keys.OrderBy(k => k.Key))
            values.Add((slot, CheckValue(key)));
        return values;
    }

    /// <summary>A key's check value as this node reports it (KeyCheck and GetInfo alike): wrong under the FailKeyVerification fault.</summary>
    private byte[] CheckValue(byte[] key)
    {
        byte[] kcv = GatewayKeys.CheckValueBytes(key);
        if (_options.Faults.FailKeyVerification)
            for (int i = 0; i < kcv.Length; i++) kcv[i] ^= 0xFF;
        return kcv;
    }

    private int Lock(byte flags)
    {
        _flash.Locks |= (NodeLockFlags)flags & (NodeLockFlags.HostPort | NodeLockFlags.FlashJtag);
        Save();
        return 0;
    }

    private int Reset()
    {
        // Partial transfers stay in flash across a restart.
        _flash.Resets++;
        Save();
        RadioChanged?.Invoke();
        return 0;
    }

    private static void RequireTarget(NodeImageTarget target)
    {
        if (target is not (NodeImageTarget.Firmware or NodeImageTarget.FieldConfig or NodeImageTarget.FactoryConfig))
            throw new NodeErrorException(NodeErrorCode.BadPayload, $"image target {(byte)target} is not known");
    }

    private static byte[] Digest(string hex) => hex.Length == 0 ? new byte[NodeMessages.DigestLength] : Convert.FromHexString(hex);

}
