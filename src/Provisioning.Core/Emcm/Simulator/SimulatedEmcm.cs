using System.IO.Hashing;
using System.Security.Cryptography;
using Provisioning.Core.Crypto;
using Provisioning.Core.Node;
using Provisioning.Core.Node.Simulator;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Emcm.Simulator;

/// <summary>The eMCM's flash as stored in its state file (JSON). The key is hex: this file is the device.</summary>
internal sealed class EmcmFlash
{
    public string EmcmId { get; set; } = "";
    public string HostType { get; set; } = "";
    public string FirmwareVersion { get; set; } = "";
    public string FirmwareSha256 { get; set; } = "";
    public string FactoryConfigSha256 { get; set; } = "";
    public string FieldConfigSha256 { get; set; } = "";
    public EmcmConfigSlot ActiveConfig { get; set; }
    public string? Key { get; set; }
    public bool Quiet { get; set; }
    public EmcmStagePassed Stage { get; set; }
    public bool Locked { get; set; }
    public int FirmwareWrites { get; set; }
    public EmcmPartialImage? Partial { get; set; }
}

/// <summary>An image transfer not committed yet, kept so the next connection (or the next station) resumes it.</summary>
internal sealed class EmcmPartialImage
{
    public EmcmImageTarget Target { get; set; }
    public uint Size { get; set; }
    public string Sha256 { get; set; } = "";
    public string Version { get; set; } = "";
    public uint Received { get; set; }
    public byte[] Data { get; set; } = [];
}

/// <summary>
/// What a simulated eMCM does with each host message (docs/emcm-protocol.md): its flash (firmware, configuration slots, MCM
/// key, quiet mode, stage, lock), its meter link and its faults. It plugs into the node simulator as the host platform.
/// Thread-safe; the state file is written after every change, so a process killed at any moment leaves the last state.
/// </summary>
internal sealed class SimulatedEmcm : IHostPlatform
{
    public const uint MaxFirmware = 1024 * 1024;
    public const uint MaxConfig = 64 * 1024;
    private const string SelfTestFinding = "flash ECC error at 0x0003F000 (HardwareFails fault)";

    private readonly object _gate = new();
    private readonly EmcmSimulatorOptions _options;
    private readonly string? _statePath;
    private readonly EmcmFlash _flash;
    private readonly byte[] _response = new byte[EmcmFrame.MaxLength];
    private byte[]? _key;
    // The last request (its sequence number and CRC-32) and the answer it got: a repeat is answered from memory, not done twice.
    private (byte Seq, uint Crc)? _lastRequest;
    private byte[]? _lastAnswer;
    private readonly Dictionary<EmcmImageTarget, string> _lastCommitted = new();
    private int _requests;

    public SimulatedEmcm(EmcmSimulatorOptions options)
    {
        options.Validate();
        _options = options;
        _statePath = options.ResolvedStatePath;
        _flash = (_statePath is null ? null : NodeStateFile.Load<EmcmFlash>(_statePath, "eMCM", "the eMCM")) ?? new EmcmFlash { FirmwareVersion = options.FirmwareVersion };
        _flash.EmcmId = options.ResolvedEmcmId;
        _flash.HostType = options.HostType;
        if (_flash.Key is { } hex) _key = Convert.FromHexString(hex);
        if (_flash.Partial is { } partial && partial.Data.Length != partial.Size) _flash.Partial = null;
        Save();
    }

    public HostMessageCheck? MessageCheck => EmcmFrame.Check;

    public EmcmStateSnapshot Snapshot()
    {
        lock (_gate)
            return new EmcmStateSnapshot(_flash.EmcmId, _flash.HostType, _flash.FirmwareVersion, _flash.FirmwareSha256, _flash.FactoryConfigSha256,
                _flash.FieldConfigSha256, _flash.ActiveConfig, _key is null ? null : GatewayKeys.CheckValue(_key), _flash.Quiet, _flash.Stage,
                _flash.Locked, SelfTestPassed, _flash.FirmwareWrites, _requests);
    }

    public byte[]? ReadKey()
    {
        lock (_gate) return _key is null ? null : (byte[])_key.Clone();
    }

    private bool SelfTestPassed => !_options.Faults.HasFlag(EmcmFaults.HardwareFails);

    /// <summary>Answers one host message: a frame, or null (damaged, not ours, an answer, or the NoAnswer fault).</summary>
    public byte[]? Answer(ReadOnlySpan<byte> message)
    {
        if (_options.Faults.HasFlag(EmcmFaults.NoAnswer)) return null;
        if (!EmcmFrame.TryDecode(message, out byte type, out byte seq, out var payload, out _)) return null;
        if ((type & 0x80) != 0) return null;
        uint crc = Crc32.HashToUInt32(message);
        lock (_gate)
        {
            if (_lastRequest == (seq, crc) && _lastAnswer is not null) return (byte[])_lastAnswer.Clone();
            _requests++;
            int length = Handle((EmcmMessageType)type, payload, _response);
            var answer = EmcmFrame.Encode((byte)(type | 0x80), seq, _response.AsSpan(0, length));
            _lastRequest = (seq, crc);
            _lastAnswer = answer;
            return (byte[])answer.Clone();
        }
    }

    private int Handle(EmcmMessageType type, ReadOnlySpan<byte> payload, Span<byte> response)
    {
        try
        {
            if (_options.Faults.HasFlag(EmcmFaults.HostError) && type != EmcmMessageType.GetInfo)
                throw new EmcmRefusal(EmcmStatus.Internal, "internal error 0x1F (HostError fault)");
            return type switch
            {
                EmcmMessageType.GetInfo => EmcmMessages.WriteInfo(Info(), EmcmMessages.MaxChunk, response),
                EmcmMessageType.ImageBegin => Begin(payload, response),
                EmcmMessageType.ImageChunk => Chunk(payload, response),
                EmcmMessageType.ImageCommit => Commit(Single(payload), response),
                EmcmMessageType.ActivateConfig => Activate(Single(payload), response),
                EmcmMessageType.WriteKey => WriteKey(payload, response),
                EmcmMessageType.KeyCheck => EmcmMessages.WriteKeyCheck(ReportedCheckValue(), response),
                EmcmMessageType.SetQuiet => SetQuiet(Single(payload), response),
                EmcmMessageType.SetStage => SetStage(Single(payload), response),
                EmcmMessageType.CheckMeter => CheckMeter(response),
                EmcmMessageType.Lock => Change(() => _flash.Locked = true, response),
                _ => throw new EmcmRefusal(EmcmStatus.UnknownRequest, $"request type 0x{(byte)type:X2} is not known"),
            };
        }
        catch (EmcmRefusal e)
        {
            return EmcmMessages.WriteStatus(e.Status, e.Message, response);
        }
        catch (FormatException e)
        {
            return EmcmMessages.WriteStatus(EmcmStatus.BadRequest, e.Message, response);
        }
    }

    private EmcmInfo Info() => new(_flash.EmcmId, _flash.HostType, _flash.FirmwareVersion, Digest(_flash.FactoryConfigSha256),
        Digest(_flash.FieldConfigSha256), _flash.ActiveConfig, ReportedCheckValue(), _flash.Quiet, _flash.Stage, SelfTestPassed,
        SelfTestPassed ? null : SelfTestFinding, _flash.Locked);

    /// <summary>The check value as this eMCM reports it (KeyCheck and GetInfo alike): wrong under the KeyVerificationFails fault.</summary>
    private byte[]? ReportedCheckValue()
    {
        if (_key is null) return null;
        byte[] kcv = GatewayKeys.CheckValueBytes(_key);
        if (_options.Faults.HasFlag(EmcmFaults.KeyVerificationFails))
            for (int i = 0; i < kcv.Length; i++) kcv[i] ^= 0xFF;
        return kcv;
    }

    private int Begin(ReadOnlySpan<byte> payload, Span<byte> response)
    {
        var (target, size, sha, version) = EmcmMessages.ReadImageBegin(payload);
        RequireTarget(target);
        uint limit = target == EmcmImageTarget.Firmware ? MaxFirmware : MaxConfig;
        if (size > limit) throw new EmcmRefusal(EmcmStatus.ImageRejected, $"{target} of {size} bytes does not fit in {limit} bytes");
        string hex = Convert.ToHexString(sha);
        if (_flash.Partial is not { } held || held.Target != target || held.Size != size || held.Sha256 != hex)
        {
            _flash.Partial = new EmcmPartialImage { Target = target, Size = size, Sha256 = hex, Version = version, Data = new byte[size] };
            Save();
        }
        var w = new PayloadWriter(response);
        w.U8((byte)EmcmStatus.Ok);
        w.U32(_flash.Partial.Received);
        w.U16(EmcmMessages.MaxChunk);
        return w.Length;
    }

    private int Chunk(ReadOnlySpan<byte> payload, Span<byte> response)
    {
        var (target, offset) = EmcmMessages.ReadChunk(payload, out var data);
        var partial = _flash.Partial;
        if (partial is null || partial.Target != target) throw new EmcmRefusal(EmcmStatus.BadState, $"no {target} transfer was begun");
        if (offset > partial.Received) throw new EmcmRefusal(EmcmStatus.BadState, $"chunk at {offset}, but only {partial.Received} bytes are held");
        if ((ulong)offset + (ulong)data.Length > partial.Size)
            throw new EmcmRefusal(EmcmStatus.BadRequest, $"chunk at {offset} of {data.Length} bytes runs past the image size {partial.Size}");
        data.CopyTo(partial.Data.AsSpan((int)offset));
        partial.Received = Math.Max(partial.Received, offset + (uint)data.Length);
        Save();
        var w = new PayloadWriter(response);
        w.U8((byte)EmcmStatus.Ok);
        w.U32(partial.Received);
        return w.Length;
    }

    private int Commit(byte targetByte, Span<byte> response)
    {
        var target = (EmcmImageTarget)targetByte;
        RequireTarget(target);
        var partial = _flash.Partial;
        if (partial is null || partial.Target != target)
        {
            // The answer to a commit can be lost and the request come again from a new station: the image is active already.
            if (_lastCommitted.TryGetValue(target, out string? done) && done == ActiveDigest(target)) return Ok(response);
            throw new EmcmRefusal(EmcmStatus.BadState, $"no {target} transfer was begun");
        }
        if (!SelfTestPassed) throw new EmcmRefusal(EmcmStatus.HardwareFailure, "flash write failed verification (HardwareFails fault)");
        _flash.Partial = null;
        string actual = Convert.ToHexString(SHA256.HashData(partial.Data.AsSpan(0, (int)partial.Received)));
        if (partial.Received != partial.Size || actual != partial.Sha256)
        {
            Save();
            throw new EmcmRefusal(EmcmStatus.DigestMismatch,
                $"the {partial.Received} bytes held hash to {actual[..16]}…, not the announced {partial.Sha256[..16]}…; nothing activated");
        }
        switch (target)
        {
            case EmcmImageTarget.Firmware:
                _flash.FirmwareVersion = partial.Version;
                _flash.FirmwareSha256 = actual;
                _flash.FirmwareWrites++;
                break;
            case EmcmImageTarget.FactoryConfig:
                _flash.FactoryConfigSha256 = actual;
                _flash.ActiveConfig = EmcmConfigSlot.Factory;
                break;
            default:
                _flash.FieldConfigSha256 = actual;
                _flash.ActiveConfig = EmcmConfigSlot.Field;
                break;
        }
        _lastCommitted[target] = actual;
        Save();
        return Ok(response);
    }

    private int Activate(byte slotByte, Span<byte> response)
    {
        var slot = (EmcmConfigSlot)slotByte;
        string digest = slot switch
        {
            EmcmConfigSlot.Factory => _flash.FactoryConfigSha256,
            EmcmConfigSlot.Field => _flash.FieldConfigSha256,
            _ => throw new EmcmRefusal(EmcmStatus.BadRequest, $"configuration slot {slotByte} is not known"),
        };
        if (digest.Length == 0) throw new EmcmRefusal(EmcmStatus.BadState, $"the {slot} configuration slot is empty");
        return Change(() => _flash.ActiveConfig = slot, response);
    }

    private int WriteKey(ReadOnlySpan<byte> payload, Span<byte> response)
    {
        var key = EmcmMessages.ReadKey(payload);
        if (key.Length != EmcmMessages.KeyLength) throw new EmcmRefusal(EmcmStatus.BadRequest, $"the MCM key is {EmcmMessages.KeyLength} bytes, not {key.Length}");
        if (!SelfTestPassed) throw new EmcmRefusal(EmcmStatus.HardwareFailure, "key slot write failed verification (HardwareFails fault)");
        if (_key is not null) CryptographicOperations.ZeroMemory(_key);
        _key = key.ToArray();
        _flash.Key = Convert.ToHexString(key);
        Save();
        return Ok(response);
    }

    private int SetQuiet(byte quiet, Span<byte> response)
    {
        if (quiet > 1) throw new EmcmRefusal(EmcmStatus.BadRequest, $"quiet mode is 0 or 1, not {quiet}");
        return Change(() => _flash.Quiet = quiet == 1, response);
    }

    private int SetStage(byte stageByte, Span<byte> response)
    {
        var stage = (EmcmStagePassed)stageByte;
        if (!Enum.IsDefined(stage)) throw new EmcmRefusal(EmcmStatus.BadRequest, $"stage {stageByte} is not known");
        return Change(() => _flash.Stage = stage, response);
    }

    private int CheckMeter(Span<byte> response)
    {
        if (_options.Faults.HasFlag(EmcmFaults.MeterNotAnswering))
            throw new EmcmRefusal(EmcmStatus.MeterNotAnswering, "the meter sent nothing within 3 s on the meter port (MeterNotAnswering fault)");
        string meter = _options.MeterId ?? $"MTR{_options.Node.NodeId}";
        return EmcmMessages.WriteMeter(meter, $"simulated meter, eMCM {_flash.EmcmId}", response);
    }

    private int Change(Action change, Span<byte> response)
    {
        change();
        Save();
        return Ok(response);
    }

    private static int Ok(Span<byte> response) => EmcmMessages.WriteStatus(EmcmStatus.Ok, null, response);

    private static byte Single(ReadOnlySpan<byte> payload) =>
        payload.Length == 1 ? payload[0] : throw new FormatException($"a one-byte payload, not {payload.Length} bytes");

    private string ActiveDigest(EmcmImageTarget target) => target switch
    {
        EmcmImageTarget.Firmware => _flash.FirmwareSha256,
        EmcmImageTarget.FactoryConfig => _flash.FactoryConfigSha256,
        _ => _flash.FieldConfigSha256,
    };

    private static void RequireTarget(EmcmImageTarget target)
    {
        if (target is not (EmcmImageTarget.Firmware or EmcmImageTarget.FactoryConfig or EmcmImageTarget.FieldConfig))
            throw new EmcmRefusal(EmcmStatus.BadRequest, $"image target {(byte)target} is not known");
    }

    private static byte[] Digest(string hex) => hex.Length == 0 ? [] : Convert.FromHexString(hex);

    /// <summary>Writes the flash to the state file, if there is one (atomically, readable by its owner only).</summary>
    public void Save()
    {
        if (_statePath is null) return;
        lock (_gate) NodeStateFile.Save(_statePath, _flash);
    }

    /// <summary>A request the eMCM refuses, with the status it answers.</summary>
    private sealed class EmcmRefusal(EmcmStatus status, string message) : Exception(message)
    {
        public EmcmStatus Status { get; } = status;
    }
}
