using System.Buffers.Binary;

namespace Provisioning.Core.Wrappers.Psem;

/// <summary>Faults a simulated meter injects on its optical port, to rehearse what a station meets.</summary>
public sealed record PsemMeterFaults
{
    /// <summary>Answer NAK to every packet, as a meter whose optical head receives only damaged bytes.</summary>
    public bool NakEveryPacket { get; init; }

    /// <summary>Refuse Negotiate with this response code (e.g. <see cref="PsemResponseCode.Err"/>, or <see cref="PsemResponseCode.Sns"/> for a meter without the service); null: accept.</summary>
    public PsemResponseCode? RefuseNegotiate { get; init; }

    /// <summary>
    /// Stop answering (no ACK, no response) once this many packets have arrived, until the line has been quiet for the
    /// channel traffic timeout (a meter that hung and restarted); it happens once. Null: never.
    /// </summary>
    public int? StopAnsweringAfterPackets { get; init; }
}

/// <summary>How the meter side of opt_psem is set up: what it negotiates and who may log on.</summary>
public sealed record PsemMeterSettings
{
    /// <summary>Largest packet the meter takes (header and CRC included); a Negotiate asking for more gets this.</summary>
    public int MaxPacketSize { get; init; } = 1024;

    /// <summary>Most packets in one message the meter reassembles.</summary>
    public int MaxPackets { get; init; } = 8;

    /// <summary>Baud rates the meter may switch to when a Negotiate offers them (its line must be a serial port); empty: it stays at its rate.</summary>
    public IReadOnlyList<int> BaudRates { get; init; } = [];

    /// <summary>The line's rate now.</summary>
    public int BaudRate { get; init; } = 9600;

    /// <summary>
    /// The 20-byte security password (padded with spaces) that Write needs; null: no password, writes need only a Logon.
    /// The owner zeroes it when the meter is done.
    /// </summary>
    public byte[]? Password { get; init; }

    /// <summary>Node bytes the meter holds for the station before it drops what the node sends (its buffer).</summary>
    public int NodeBufferSize { get; init; } = 8192;

    /// <summary>Faults to inject.</summary>
    public PsemMeterFaults Faults { get; init; } = new();
}

/// <summary>Where a C12.18 session stands (the standard's service sequence states).</summary>
public enum PsemSessionState
{
    /// <summary>No session: only Identification is taken.</summary>
    Base,
    /// <summary>Identified: Negotiate, Logon, Wait and Terminate are taken.</summary>
    Identified,
    /// <summary>Logged on: Security, Read, Write, Wait, Logoff and Terminate are taken.</summary>
    Session,
}

/// <summary>What the meter's driver does once the response has been acknowledged.</summary>
/// <param name="PacketSize">New packet size, or null.</param>
/// <param name="MaxPackets">New packet count, or null.</param>
/// <param name="BaudRate">New line rate, or null.</param>
/// <param name="EndSession">True after Terminate: the data link forgets its duplicate memory.</param>
public readonly record struct PsemMeterAfter(int? PacketSize, int? MaxPackets, int? BaudRate, bool EndSession);

/// <summary>
/// The meter side of opt_psem above the data link, as a pure class: requests in, responses out. It serves the node
/// mailbox and the host mailbox (<see cref="PsemMailbox"/>) and keeps the session's service sequence state.
/// </summary>
public sealed class PsemMeter
{
    private readonly PsemMeterSettings _settings;
    private readonly Action<ReadOnlyMemory<byte>> _toNode;
    private readonly Action<ReadOnlyMemory<byte>>? _toHost;
    private readonly byte[] _nodeOut;
    private int _nodeOutCount;
    private int _inPosition, _outBase;
    private readonly Queue<byte[]> _hostOut = new();
    private bool _cleared;

    /// <summary>A meter that hands node bytes to <paramref name="toNode"/> and host messages to <paramref name="toHost"/>.</summary>
    public PsemMeter(PsemMeterSettings settings, Action<ReadOnlyMemory<byte>> toNode, Action<ReadOnlyMemory<byte>>? toHost = null)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _toNode = toNode ?? throw new ArgumentNullException(nameof(toNode));
        _toHost = toHost;
        _nodeOut = new byte[Math.Max(64, settings.NodeBufferSize)];
    }

    /// <summary>The session state.</summary>
    public PsemSessionState State { get; private set; }

    /// <summary>True once the right password was given in this session (or none is needed).</summary>
    public bool Cleared => _cleared || _settings.Password is null;

    /// <summary>Node bytes dropped because the meter's buffer was full.</summary>
    public long NodeBytesDropped { get; private set; }

    /// <summary>Seconds the last Wait asked the channel to stay open, or null.</summary>
    public int? WaitSeconds { get; private set; }

    /// <summary>The longest response the session's packets carry now (packets × (packet size − 8)); reads are cut to fit.</summary>
    public int ResponseRoom { get; set; } = PsemPacket.DefaultPacketSize - PsemPacket.Overhead;

    /// <summary>Node bytes waiting for the station.</summary>
    public int NodeBytesWaiting => _nodeOutCount;

    /// <summary>Bytes from the node for the station: held until the station has read them.</summary>
    public void FromNode(ReadOnlySpan<byte> bytes)
    {
        int room = _nodeOut.Length - _nodeOutCount;
        int n = Math.Min(room, bytes.Length);
        bytes[..n].CopyTo(_nodeOut.AsSpan(_nodeOutCount));
        _nodeOutCount += n;
        NodeBytesDropped += bytes.Length - n;
    }

    /// <summary>A message of the host platform for the station (read from the host mailbox).</summary>
    public void FromHost(ReadOnlySpan<byte> message) => _hostOut.Enqueue(message.ToArray());

    /// <summary>The channel was quiet for the channel traffic timeout: back to the base state.</summary>
    public void Expire() => EndSession();

    /// <summary>Answers one request; <paramref name="after"/> says what changes once the answer is acknowledged.</summary>
    public byte[] Handle(ReadOnlySpan<byte> request, out PsemMeterAfter after)
    {
        after = default;
        if (request.Length == 0) return Code(PsemResponseCode.Err);
        byte service = request[0];
        WaitSeconds = null;
        switch (service)
        {
            case PsemService.Identification:
                if (request.Length != 1) return Code(PsemResponseCode.Err);
                if (State != PsemSessionState.Base) return Code(PsemResponseCode.Isss);
                State = PsemSessionState.Identified;
                return PsemCodec.IdentificationResponse();

            case PsemService.Terminate:
                EndSession();
                after = new(null, null, null, EndSession: true);
                return Code(PsemResponseCode.Ok);

            case >= PsemService.Negotiate and <= PsemService.NegotiateLast:
                return Negotiate(request, out after);

            case PsemService.Logon:
                if (request.Length != 3 + PsemCodec.UserLength) return Code(PsemResponseCode.Err);
                if (State != PsemSessionState.Identified) return Code(PsemResponseCode.Isss);
                State = PsemSessionState.Session;
                StartStreams();
                return Code(PsemResponseCode.Ok);

            case PsemService.Security:
                if (request.Length != 1 + PsemCodec.PasswordLength) return Code(PsemResponseCode.Err);
                if (State != PsemSessionState.Session) return Code(PsemResponseCode.Isss);
                if (_settings.Password is { } password
                    && !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(password, request[1..]))
                    return Code(PsemResponseCode.Err);
                _cleared = true;
                return Code(PsemResponseCode.Ok);

            case PsemService.Logoff:
                if (State != PsemSessionState.Session) return Code(PsemResponseCode.Isss);
                State = PsemSessionState.Identified;
                _cleared = false;
                return Code(PsemResponseCode.Ok);

            case PsemService.Wait:
                if (request.Length != 2) return Code(PsemResponseCode.Err);
                if (State == PsemSessionState.Base) return Code(PsemResponseCode.Isss);
                WaitSeconds = request[1];
                return Code(PsemResponseCode.Ok);

            case PsemService.ReadFull or PsemService.ReadOffset:
                if (State != PsemSessionState.Session) return Code(PsemResponseCode.Isss);
                return Read(request);

            case PsemService.WriteFull or PsemService.WriteOffset:
                if (State != PsemSessionState.Session) return Code(PsemResponseCode.Isss);
                if (!Cleared) return Code(PsemResponseCode.Isc);
                return Write(request);

            default:
                return Code(PsemResponseCode.Sns);
        }
    }

    private byte[] Negotiate(ReadOnlySpan<byte> request, out PsemMeterAfter after)
    {
        after = default;
        int rates = request[0] - PsemService.Negotiate;
        if (request.Length != 4 + rates) return Code(PsemResponseCode.Err);
        if (State != PsemSessionState.Identified) return Code(PsemResponseCode.Isss);
        if (_settings.Faults.RefuseNegotiate is { } refusal) return Code(refusal);
        int asked = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        int packets = request[3];
        if (asked < PsemPacket.Overhead + 1 || packets < 1) return Code(PsemResponseCode.Err);
        int size = Math.Clamp(Math.Min(asked, _settings.MaxPacketSize), PsemPacket.Overhead + 1, PsemPacket.MaxPacketSize);
        int count = Math.Clamp(Math.Min(packets, _settings.MaxPackets), 1, 255);
        byte chosen = PsemBaudRates.Code(_settings.BaudRate) ?? 0;
        int? newRate = null;
        // The first rate offered that this meter takes; none: it stays at its rate and says which that is.
        foreach (byte code in request.Slice(4, rates))
        {
            if (PsemBaudRates.Rate(code) is { } rate && _settings.BaudRates.Contains(rate))
            {
                chosen = code;
                newRate = rate == _settings.BaudRate ? null : rate;
                break;
            }
        }
        after = new(size, count, newRate, EndSession: false);
        return PsemCodec.NegotiateResponse(size, count, chosen);
    }

    private byte[] Read(ReadOnlySpan<byte> request)
    {
        bool offset = request[0] == PsemService.ReadOffset;
        if (request.Length != (offset ? 8 : 3)) return Code(PsemResponseCode.Err);
        ushort table = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        int room = ResponseRoom - PsemCodec.ReadResponseOverhead;
        if (table == PsemMailbox.HostTable && !offset)
        {
            // A message longer than this session's packets carry waits for a session that negotiates larger ones.
            if (_hostOut.TryPeek(out var next) && next.Length <= room)
                return PsemCodec.ReadResponse(_hostOut.Dequeue());
            return PsemCodec.ReadResponse([]);
        }
        if (table != PsemMailbox.NodeTable) return Code(PsemResponseCode.Iar);
        if (!offset)
        {
            // A plain read takes everything waiting, with no way to ask for it again.
            int taken = Math.Min(_nodeOutCount, room);
            var all = PsemCodec.ReadResponse(_nodeOut.AsSpan(0, taken));
            Drop(taken);
            return all;
        }
        int position = PsemCodec.ReadOffset24(request[3..]);
        int count = BinaryPrimitives.ReadUInt16BigEndian(request[6..]);
        // Reading from a position acknowledges every byte before it.
        int ahead = PsemMailbox.Distance(_outBase, position);
        if (ahead < 0 || ahead > _nodeOutCount) return Code(PsemResponseCode.Onp);
        Drop(ahead);
        return PsemCodec.ReadResponse(_nodeOut.AsSpan(0, Math.Min(Math.Min(count, _nodeOutCount), room)));
    }

    private byte[] Write(ReadOnlySpan<byte> request)
    {
        bool offset = request[0] == PsemService.WriteOffset;
        int header = offset ? 8 : 5;
        if (request.Length < header + 1) return Code(PsemResponseCode.Err);
        ushort table = BinaryPrimitives.ReadUInt16BigEndian(request[1..]);
        int count = BinaryPrimitives.ReadUInt16BigEndian(request[(header - 2)..]);
        if (request.Length != header + count + 1) return Code(PsemResponseCode.Err);
        var data = request.Slice(header, count);
        if (PsemCodec.Checksum(data) != request[^1]) return Code(PsemResponseCode.Err);
        if (table == PsemMailbox.HostTable && !offset)
        {
            _toHost?.Invoke(data.ToArray());
            return Code(PsemResponseCode.Ok);
        }
        if (table != PsemMailbox.NodeTable) return Code(PsemResponseCode.Iar);
        if (!offset)
        {
            _toNode(data.ToArray());
            _inPosition = PsemMailbox.Advance(_inPosition, count);
            return Code(PsemResponseCode.Ok);
        }
        int position = PsemCodec.ReadOffset24(request[3..]);
        int behind = PsemMailbox.Distance(position, _inPosition);
        // Bytes before the node's position were passed on already (a request sent again); a gap cannot be filled.
        if (behind < 0) return Code(PsemResponseCode.Onp);
        if (behind < count)
        {
            _toNode(data[behind..].ToArray());
            _inPosition = PsemMailbox.Advance(_inPosition, count - behind);
        }
        return Code(PsemResponseCode.Ok);
    }

    private void Drop(int count)
    {
        _nodeOut.AsSpan(count, _nodeOutCount - count).CopyTo(_nodeOut);
        _nodeOut.AsSpan(_nodeOutCount - count, count).Clear();
        _nodeOutCount -= count;
        _outBase = PsemMailbox.Advance(_outBase, count);
    }

    private void StartStreams()
    {
        _inPosition = 0;
        _outBase = 0;
        _nodeOut.AsSpan(0, _nodeOutCount).Clear();
        _nodeOutCount = 0;
        _cleared = false;
    }

    private void EndSession()
    {
        State = PsemSessionState.Base;
        _cleared = false;
        WaitSeconds = null;
    }

    private static byte[] Code(PsemResponseCode code) => [(byte)code];
}
