using System.Buffers;

namespace Provisioning.Core.Wrappers.Psem;

/// <summary>Timing and retry rules of a C12.18 data link.</summary>
public sealed record PsemLinkTiming
{
    /// <summary>Wait for ACK after a packet has left (the standard's response timeout, 2 s).</summary>
    public long ResponseTimeoutMs { get; init; } = 2000;

    /// <summary>Most time between two bytes of one packet (the standard's 500 ms).</summary>
    public long InterCharacterTimeoutMs { get; init; } = 500;

    /// <summary>Most time the channel may stay idle before the meter ends the session (the standard's 6 s).</summary>
    public long ChannelTrafficTimeoutMs { get; init; } = 6000;

    /// <summary>Times a packet is sent again after a NAK or a missing ACK (the standard's 3).</summary>
    public int Retries { get; init; } = 3;

    /// <summary>Line rate, for the time a packet takes to leave.</summary>
    public int BaudRate { get; init; } = 9600;
}

/// <summary>State of the message a <see cref="PsemDataLink"/> is sending.</summary>
public enum PsemSendState
{
    /// <summary>Nothing sent yet, or the last message's outcome was taken.</summary>
    Idle,
    /// <summary>Packets of a message are on the way.</summary>
    Sending,
    /// <summary>Every packet of the message was acknowledged.</summary>
    Delivered,
    /// <summary>A packet was refused or unanswered <see cref="PsemLinkTiming.Retries"/> + 1 times.</summary>
    Failed,
}

/// <summary>
/// The C12.18 data link of one side, as a pure state machine: bytes in, bytes out, on a millisecond clock the caller
/// drives. It cuts a message into packets of at most <see cref="PacketSize"/> bytes (at most <see cref="MaxPackets"/> of
/// them), sends each and waits for its ACK, sends it again on NAK or after <see cref="PsemLinkTiming.ResponseTimeoutMs"/>
/// (at most <see cref="PsemLinkTiming.Retries"/> times), acknowledges what it receives (NAK for damage), drops duplicates
/// by the toggle bit and CRC, and reassembles messages of several packets.
/// </summary>
/// <remarks>
/// The negotiated packet size is a ceiling: while packets keep being refused this side sends smaller ones (halving down
/// to the default 64 bytes, as far as the packet count allows), and larger ones again after 16 clean packets, so a noisy
/// optical head costs short resends instead of whole large packets lost four times.
/// </remarks>
public sealed class PsemDataLink
{
    private const int CleanPacketsToGrow = 16;
    private readonly PsemLinkTiming _timing;
    private readonly PsemPacketDecoder _decoder = new();
    private readonly ArrayBufferWriter<byte> _output = new();
    private readonly List<PsemLineEvent> _events = new();
    private readonly Queue<byte[]> _messages = new();
    private readonly List<byte[]> _packets = new();
    private readonly List<byte> _assembly = new();
    private int _packetIndex, _tries;
    private long _ackDeadline, _lastTrafficAt;
    private bool _toggle;
    private (byte Toggle, ushort Crc)? _lastAccepted;
    private int _expectSequence = -1;
    private int _sendSize;
    private int _clean;
    private int _packetSize = PsemPacket.DefaultPacketSize;

    /// <summary>A link with the default packet size and count, <paramref name="identity"/> in every packet sent.</summary>
    public PsemDataLink(PsemLinkTiming? timing = null, byte identity = 0)
    {
        _timing = timing ?? new PsemLinkTiming();
        Identity = identity;
        _decoder.InterCharacterTimeoutMs = _timing.InterCharacterTimeoutMs;
        _sendSize = _packetSize;
        _decoder.MaxPacketSize = _packetSize;
    }

    /// <summary>The identity byte sent (0 for C12.18).</summary>
    public byte Identity { get; }

    /// <summary>The timing rules.</summary>
    public PsemLinkTiming Timing => _timing;

    /// <summary>Largest packet, header and CRC included, either side sends: 64 until a Negotiate changes it.</summary>
    public int PacketSize
    {
        get => _packetSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, PsemPacket.Overhead + 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, PsemPacket.MaxPacketSize);
            _packetSize = value;
            _sendSize = value;
            // A length beyond what was agreed is damage, seen as soon as the header is in.
            _decoder.MaxPacketSize = Math.Max(value, PsemPacket.DefaultPacketSize);
            _clean = 0;
        }
    }

    /// <summary>Most packets in one message: 1 until a Negotiate changes it.</summary>
    public int MaxPackets { get; set; } = PsemPacket.DefaultPackets;

    /// <summary>The longest message that fits <see cref="MaxPackets"/> packets of <see cref="PacketSize"/>.</summary>
    public int MaxMessageLength => MaxPackets * (PacketSize - PsemPacket.Overhead);

    /// <summary>Size of the packets sent now (at most <see cref="PacketSize"/>; smaller while packets keep being refused).</summary>
    public int SendPacketSize => _sendSize;

    /// <summary>The outcome of the message being sent.</summary>
    public PsemSendState SendState { get; private set; }

    /// <summary>Why the last message failed (for an operator), or null.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>True when the last failed message was refused with NAK at least once on every try (the other side hears, but not well).</summary>
    public bool FailedByNak { get; private set; }

    /// <summary>True once anything at all (ACK, NAK or a packet, damaged or not) arrived from the other side.</summary>
    public bool HeardAnything { get; private set; }

    /// <summary>Time (caller's clock) the last byte of valid traffic arrived or left, for the channel traffic timeout.</summary>
    public long LastTrafficAt => _lastTrafficAt;

    /// <summary>Packets sent again after NAK or a missing ACK.</summary>
    public int Resends { get; private set; }

    /// <summary>NAKs sent for damaged or stalled packets.</summary>
    public int NaksSent { get; private set; }

    /// <summary>Duplicate packets acknowledged and dropped.</summary>
    public int Duplicates { get; private set; }

    /// <summary>Bytes this side put on the line and took from it.</summary>
    public (long Sent, long Received) LineBytes => (_sentBytes, _receivedBytes);
    private long _sentBytes, _receivedBytes;

    /// <summary>Fault for simulated meters: answer NAK even to intact packets.</summary>
    public bool NakEverything { get; set; }

    /// <summary>
    /// Fault for simulated meters: once this many intact packets have arrived, hear nothing (no ACK, no delivery) until the
    /// line has been quiet for the channel traffic timeout; then the fault is spent. Null: never.
    /// </summary>
    public int? DeafAfterPackets { get; set; }

    private int _packetsHeard;
    private bool _deaf;
    private long _deafSince;

    /// <summary>True while the <see cref="DeafAfterPackets"/> fault holds.</summary>
    public bool IsDeaf => _deaf;

    /// <summary>The next time <see cref="Tick"/> has something to do (an ACK overdue, a packet stalled), or null.</summary>
    public long? NextDeadline
    {
        get
        {
            long? deadline = SendState == PsemSendState.Sending ? _ackDeadline : null;
            if (_decoder.StallDeadline is { } stall && (deadline is null || stall < deadline)) deadline = stall + 1;
            return deadline;
        }
    }

    /// <summary>Bytes waiting to go on the line.</summary>
    public ReadOnlySpan<byte> PendingOutput => _output.WrittenSpan;

    /// <summary>Takes the bytes waiting to go on the line.</summary>
    public byte[] TakeOutput()
    {
        var bytes = _output.WrittenSpan.ToArray();
        _output.Clear();
        return bytes;
    }

    /// <summary>Takes the next whole message received, if any.</summary>
    public bool TryTakeMessage(out byte[] message) => _messages.TryDequeue(out message!);

    /// <summary>Messages received and not taken yet.</summary>
    public int MessagesWaiting => _messages.Count;

    /// <summary>Starts sending <paramref name="message"/> at <paramref name="now"/>; the first packet goes to <see cref="PendingOutput"/>.</summary>
    public void Send(ReadOnlySpan<byte> message, long now)
    {
        if (SendState == PsemSendState.Sending) throw new InvalidOperationException("A C12.18 link sends one message at a time: the last one is still on its way.");
        if (message.Length == 0) throw new ArgumentException("A C12.18 message has at least one byte.", nameof(message));
        if (message.Length > MaxMessageLength)
            throw new ArgumentException($"A message of {message.Length} bytes does not fit {MaxPackets} packet(s) of {PacketSize} bytes.", nameof(message));
        ClearPackets();
        int perPacket = _sendSize - PsemPacket.Overhead;
        // Smaller packets only as far as the negotiated packet count allows.
        int count = (message.Length + perPacket - 1) / perPacket;
        if (count > MaxPackets)
        {
            count = MaxPackets;
            perPacket = (message.Length + count - 1) / count;
        }
        else perPacket = (message.Length + count - 1) / count; // even packets: no short tail to lose last
        for (int i = 0; i < count; i++)
        {
            int start = i * perPacket;
            var data = message.Slice(start, Math.Min(perPacket, message.Length - start));
            byte control = count > 1 ? (byte)(PsemPacket.MultiPacket | (i == 0 ? PsemPacket.FirstPacket : 0)) : (byte)0;
            if (_toggle) control |= PsemPacket.Toggle;
            _toggle = !_toggle;
            _packets.Add(PsemPacket.Encode(Identity, control, (byte)(count - 1 - i), data));
        }
        _packetIndex = 0;
        SendState = PsemSendState.Sending;
        FailureReason = null;
        FailedByNak = false;
        _naksThisMessage = 0;
        Transmit(now, again: false);
    }

    /// <summary>Takes the outcome of the last message (Delivered or Failed) and returns to Idle.</summary>
    public PsemSendState TakeOutcome()
    {
        var state = SendState;
        if (state is PsemSendState.Delivered or PsemSendState.Failed) SendState = PsemSendState.Idle;
        return state;
    }

    /// <summary>Gives up on the message being sent (the other side is gone); no more packets of it go out.</summary>
    public void Abandon(string reason)
    {
        if (SendState != PsemSendState.Sending) return;
        SendState = PsemSendState.Failed;
        FailureReason = reason;
        ClearPackets();
    }

    /// <summary>Bytes that arrived from the line at <paramref name="now"/>.</summary>
    public void Receive(ReadOnlySpan<byte> bytes, long now)
    {
        _receivedBytes += bytes.Length;
        if (_deaf)
        {
            if (now - _deafSince <= _timing.ChannelTrafficTimeoutMs)
            {
                _deafSince = now;
                return;
            }
            _deaf = false;
            DeafAfterPackets = null;
        }
        _events.Clear();
        _decoder.Feed(bytes, now, _events);
        Handle(now);
    }

    /// <summary>Runs the timers: an ACK overdue sends the packet again (or fails the message), a stalled packet is dropped.</summary>
    public void Tick(long now)
    {
        _events.Clear();
        _decoder.CheckStall(now, _events);
        Handle(now);
        if (SendState == PsemSendState.Sending && now >= _ackDeadline) Retry(now, "no ACK within the response timeout");
    }

    /// <summary>Forgets partial packets, duplicate memory, the message being sent and the negotiated sizes (a new session starts).</summary>
    public void Reset()
    {
        _decoder.Clear();
        ClearPackets();
        _assembly.Clear();
        _expectSequence = -1;
        _lastAccepted = null;
        _toggle = false;
        SendState = PsemSendState.Idle;
        while (_messages.TryDequeue(out var m)) Array.Clear(m);
        // A new session starts at the standard's defaults until it negotiates again.
        PacketSize = PsemPacket.DefaultPacketSize;
        MaxPackets = PsemPacket.DefaultPackets;
    }

    private int _naksThisMessage;

    private void Handle(long now)
    {
        foreach (var e in _events)
        {
            switch (e.Kind)
            {
                case PsemLineEventKind.Ack:
                    HeardAnything = true;
                    if (SendState == PsemSendState.Sending) Acknowledged(now);
                    break;
                case PsemLineEventKind.Nak:
                    HeardAnything = true;
                    if (SendState == PsemSendState.Sending)
                    {
                        _naksThisMessage++;
                        Retry(now, "NAK");
                    }
                    break;
                case PsemLineEventKind.Damaged:
                    HeardAnything = true;
                    Nak();
                    break;
                case PsemLineEventKind.Stalled:
                    Nak();
                    break;
                case PsemLineEventKind.Packet:
                    HeardAnything = true;
                    if (NakEverything)
                    {
                        Array.Clear(e.Data!);
                        Nak();
                        break;
                    }
                    if (DeafAfterPackets is { } deafAfter && ++_packetsHeard > deafAfter)
                    {
                        Array.Clear(e.Data!);
                        _deaf = true;
                        _deafSince = now;
                        _decoder.Clear();
                        return;
                    }
                    _lastTrafficAt = now;
                    _output.Write([PsemPacket.Ack]);
                    _sentBytes++;
                    Accept(e);
                    break;
            }
        }
    }

    private void Nak()
    {
        _output.Write([PsemPacket.Nak]);
        _sentBytes++;
        NaksSent++;
    }

    private void Accept(PsemLineEvent packet)
    {
        byte toggle = (byte)(packet.Control & PsemPacket.Toggle);
        if (_lastAccepted is { } last && last.Toggle == toggle && last.Crc == packet.Crc)
        {
            // Our ACK was lost and the packet came again: acknowledged again above, not delivered twice.
            Duplicates++;
            Array.Clear(packet.Data!);
            return;
        }
        _lastAccepted = (toggle, packet.Crc);
        bool multi = (packet.Control & PsemPacket.MultiPacket) != 0;
        bool first = (packet.Control & PsemPacket.FirstPacket) != 0;
        if (!multi)
        {
            DropAssembly();
            _messages.Enqueue(packet.Data!);
            return;
        }
        if (first)
        {
            DropAssembly();
            _expectSequence = packet.Sequence;
        }
        else if (_expectSequence < 0 || packet.Sequence != _expectSequence)
        {
            // A packet out of its message's order: what was assembled is incomplete; the sender will time out and retry.
            DropAssembly();
            Array.Clear(packet.Data!);
            return;
        }
        _assembly.AddRange(packet.Data!);
        Array.Clear(packet.Data!);
        if (packet.Sequence == 0)
        {
            _messages.Enqueue([.. _assembly]);
            DropAssembly();
        }
        else _expectSequence = packet.Sequence - 1;
    }

    private void DropAssembly()
    {
        if (_assembly.Count > 0)
        {
            for (int i = 0; i < _assembly.Count; i++) _assembly[i] = 0;
            _assembly.Clear();
        }
        _expectSequence = -1;
    }

    private void Acknowledged(long now)
    {
        _lastTrafficAt = now;
        if (++_clean >= CleanPacketsToGrow && _sendSize < _packetSize)
        {
            _sendSize = Math.Min(_packetSize, _sendSize * 2);
            _clean = 0;
        }
        _packetIndex++;
        _tries = 0;
        _naksThisMessage = 0;
        if (_packetIndex >= _packets.Count)
        {
            SendState = PsemSendState.Delivered;
            ClearPackets();
            return;
        }
        Transmit(now, again: false);
    }

    private void Retry(long now, string why)
    {
        _clean = 0;
        // Shrink the packets of the next messages while packets are being lost; never below the default size.
        _sendSize = Math.Max(Math.Min(_packetSize, PsemPacket.DefaultPacketSize), _sendSize / 2);
        if (_tries >= _timing.Retries)
        {
            SendState = PsemSendState.Failed;
            FailedByNak = _naksThisMessage > 0;
            FailureReason = _naksThisMessage > _timing.Retries
                ? $"the other side answered NAK to a packet {_timing.Retries + 1} times (it hears the line but receives damaged packets)"
                : $"a packet was not acknowledged after {_timing.Retries + 1} tries (last: {why})";
            ClearPackets();
            return;
        }
        _tries++;
        Resends++;
        Transmit(now, again: true);
    }

    private void Transmit(long now, bool again)
    {
        if (!again) _tries = 0;
        var packet = _packets[_packetIndex];
        _output.Write(packet);
        _sentBytes += packet.Length;
        // The 2 s start once the packet has left: bytes queued before it leave first.
        _ackDeadline = now + (long)Math.Ceiling(PsemPacket.LineMilliseconds(_output.WrittenCount, _timing.BaudRate)) + _timing.ResponseTimeoutMs;
        _lastTrafficAt = now;
    }

    private void ClearPackets()
    {
        foreach (var p in _packets) Array.Clear(p);
        _packets.Clear();
    }
}
