using System.Security.Cryptography;
using System.Threading.Channels;
using Provisioning.Core.Node;
using Provisioning.Core.Station;
using Provisioning.Core.Wrappers;

namespace Provisioning.Core.Emcm;

/// <summary>The eMCM's configuration slots and which one is active.</summary>
public enum EmcmConfigSlot : byte
{
    /// <summary>No configuration active.</summary>
    None = 0,
    /// <summary>The factory configuration (used during manufacturing, names the factory network).</summary>
    Factory = 1,
    /// <summary>The field configuration (customer operation).</summary>
    Field = 2,
}

/// <summary>What an eMCM image write targets.</summary>
public enum EmcmImageTarget : byte
{
    /// <summary>The eMCM firmware.</summary>
    Firmware = 1,
    /// <summary>The factory configuration slot.</summary>
    FactoryConfig = 2,
    /// <summary>The field configuration slot.</summary>
    FieldConfig = 3,
}

/// <summary>The last multi-stage operation an eMCM has passed (kept in its flash).</summary>
public enum EmcmStagePassed : byte
{
    /// <summary>None yet.</summary>
    None = 0,
    /// <summary>PRETEST: firmware current, factory configs applied, node cleared on the gateway.</summary>
    PreTest = 1,
    /// <summary>POSTTEST (or single-stage provisioning): field configs and keys applied.</summary>
    PostTest = 3,
}

/// <summary>The eMCM's answer to GetInfo.</summary>
/// <param name="EmcmId">The eMCM ID, hex (16 digits); its last 8 digits are the partial MCM ID printed on the label.</param>
/// <param name="HostType">The eMCM hardware/host type (firmware must be built for it).</param>
/// <param name="FirmwareVersion">Active firmware version; empty when none.</param>
/// <param name="FactoryConfigSha256">SHA-256 of the factory configuration slot as the eMCM computed it; empty when none.</param>
/// <param name="FieldConfigSha256">SHA-256 of the field configuration slot; empty when none.</param>
/// <param name="ActiveConfig">Which configuration is active.</param>
/// <param name="KeyCheckValue">Check value (3 bytes, AES-ECB of a zero block) of the MCM key it holds; null when none.</param>
/// <param name="Quiet">Quiet mode (no radio traffic during meter calibration).</param>
/// <param name="Stage">The last multi-stage operation passed.</param>
/// <param name="SelfTestPassed">Hardware self-test result.</param>
/// <param name="SelfTestDetail">What the self-test found when it failed; null when it passed.</param>
/// <param name="Locked">Debug and flash interfaces secured.</param>
public sealed record EmcmInfo(
    string EmcmId, string HostType, string FirmwareVersion, byte[] FactoryConfigSha256, byte[] FieldConfigSha256,
    EmcmConfigSlot ActiveConfig, byte[]? KeyCheckValue, bool Quiet, EmcmStagePassed Stage, bool SelfTestPassed,
    string? SelfTestDetail, bool Locked)
{
    /// <summary>The last 8 hex digits of <see cref="EmcmId"/> (the guide's partial MCM ID).</summary>
    public string PartialMcmId => EmcmId.Length <= 8 ? EmcmId : EmcmId[^8..];
}

/// <summary>What the eMCM reports about its meter link.</summary>
/// <param name="MeterId">The meter's identification as the eMCM read it.</param>
/// <param name="Detail">Free text (meter type, firmware) for logs.</param>
public sealed record EmcmMeterLink(string MeterId, string? Detail);

/// <summary>Tuning of the eMCM link; null values follow the node link's.</summary>
public sealed record EmcmClientOptions
{
    /// <summary>Wait for each eMCM answer; null: derived from the line.</summary>
    public TimeSpan? ResponseTimeout { get; init; }

    /// <summary>How many times a request is sent again before 68; null: 3.</summary>
    public int? Resends { get; init; }

    /// <summary>Receives debug lines for the device log; never key material.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>An eMCM failure, with the station's Table 4 code (68, 69, 70, 72 or 164; 3 when the line has no host channel).</summary>
public sealed class EmcmException(ProvExitCode code, string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The station's return code.</summary>
    public ProvExitCode Code { get; } = code;

    /// <summary>What to check or change, for an operator (the guide's Table 5 action for <see cref="Code"/> unless set).</summary>
    public string Advice { get; init; } = ProvExitCodes.CorrectiveAction(code);

    /// <summary>The eMCM's own status when it answered with an error; null otherwise.</summary>
    public EmcmStatus? Status { get; init; }
}

/// <summary>
/// The station's side of the eMCM protocol (docs/emcm-protocol.md): host messages that share the line with the node's,
/// through the transport wrapper's host channel (orw, reliable, opt_psem).
/// </summary>
/// <remarks>
/// One request at a time: each is sent until answered, up to <see cref="EmcmClientOptions.Resends"/> more times, with the same
/// sequence number, so the eMCM answers a repeat from memory instead of doing it twice; answers with another sequence number
/// (late answers to an earlier request) and damaged frames are dropped. Every request is safe to send again.
/// </remarks>
public sealed class EmcmClient : IAsyncDisposable
{
    private readonly NodeClient _node;
    private readonly EmcmClientOptions _options;
    private readonly Channel<byte[]> _answers = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly EventHandler<LinkHostMessageEventArgs> _onHostMessage;
    private byte _seq = (byte)Random.Shared.Next(256);
    private ushort _maxChunk = EmcmMessages.MaxChunk;
    private int _damaged, _resends;
    private bool _disposed;

    /// <summary>An eMCM client on the line <paramref name="node"/> runs on.</summary>
    public EmcmClient(NodeClient node, EmcmClientOptions? options = null)
    {
        _node = node ?? throw new ArgumentNullException(nameof(node));
        _options = options ?? new EmcmClientOptions();
        if (_options.Resends is < 0) throw new ArgumentOutOfRangeException(nameof(options), "Resends cannot be negative.");
        if (_options.ResponseTimeout is { } t && t <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "ResponseTimeout must be positive.");
        _onHostMessage = (_, e) => _answers.Writer.TryWrite(e.Message.ToArray());
        if (_node.CarriesHostMessages)
        {
            // orw's 8-bit checksum lets damage through and cannot resynchronise on host messages: the frame's CRC-32 can.
            _node.HostMessageCheck ??= EmcmFrame.Check;
            _node.HostMessageReceived += _onHostMessage;
        }
    }

    /// <summary>Damaged or foreign host messages dropped, and requests sent again, so far (robustness counters).</summary>
    public (int Damaged, int Resends) Statistics => (Volatile.Read(ref _damaged), _resends);

    /// <summary>Reads the eMCM's info; 68 when it never answers.</summary>
    public async Task<EmcmInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var data = await RequestAsync(EmcmMessageType.GetInfo, ReadOnlyMemory<byte>.Empty, secret: false, cancellationToken).ConfigureAwait(false);
        var (info, maxChunk) = Parse(EmcmMessageType.GetInfo, data, static d => EmcmMessages.ReadInfo(d));
        _maxChunk = maxChunk;
        return info;
    }

    /// <summary>
    /// The eMCM's self-test verdict as the station reports it: null when <paramref name="info"/> says the hardware passed,
    /// otherwise a 72 failure naming what the eMCM found. The stage flows decide when to check.
    /// </summary>
    public EmcmException? SelfTestFailure(EmcmInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.SelfTestPassed ? null : new EmcmException(ProvExitCode.HostHardwareFailed,
            $"The eMCM {info.EmcmId} on {_node.PortName} reports failing hardware: its self-test found {info.SelfTestDetail ?? "a fault"}.");
    }

    /// <summary>
    /// Writes an image (firmware or a configuration slot) and has the eMCM check and activate it: offset-addressed chunks,
    /// resumed from what the eMCM already holds of the same image (same target, size and SHA-256), then a commit that checks the
    /// whole image against its SHA-256 before activating it (a configuration image becomes the active configuration).
    /// <paramref name="progress"/> gets the bytes the eMCM has confirmed.
    /// </summary>
    public async Task WriteImageAsync(EmcmImageTarget target, ReadOnlyMemory<byte> image, string version, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (target is not (EmcmImageTarget.Firmware or EmcmImageTarget.FactoryConfig or EmcmImageTarget.FieldConfig))
            throw new ArgumentOutOfRangeException(nameof(target), target, "An eMCM image is its firmware, its factory configuration or its field configuration.");
        if ((ulong)image.Length > uint.MaxValue) throw new ArgumentException("An image is at most 4 GiB.", nameof(image));
        if (System.Text.Encoding.UTF8.GetByteCount(version) > EmcmMessages.MaxName)
            throw new ArgumentException($"An eMCM image version is at most {EmcmMessages.MaxName} bytes in UTF-8; '{version}' is longer.", nameof(version));
        byte[] digest = SHA256.HashData(image.Span);
        uint size = (uint)image.Length;
        var payload = new byte[EmcmFrame.MaxPayload];
        int n = EmcmMessages.WriteImageBegin(target, size, digest, version, payload);
        var begun = await RequestAsync(EmcmMessageType.ImageBegin, payload.AsMemory(0, n), secret: false, cancellationToken).ConfigureAwait(false);
        var (held, maxChunk) = Parse(EmcmMessageType.ImageBegin, begun, static d =>
        {
            var r = new PayloadReader(d);
            return (r.U32(), r.U16());
        });
        if (held > size)
            throw new EmcmException(ProvExitCode.HostError, $"The eMCM on {_node.PortName} claims to hold {held} bytes of a {size}-byte {target} image; it does not speak the eMCM protocol correctly.");
        // On a line that loses chunks they get smaller while they keep being lost, and larger again as they pass.
        bool clean = _node.LinkLatency > TimeSpan.Zero; // a link session delivers intact or not at all by itself
        var sizer = new ChunkSizer(ChunkSize(maxChunk), EmcmFrame.Overhead + EmcmMessages.ChunkHeaderLength + OrwWrapper.HostOverhead, clean);
        int fruitless = 0, limit = Math.Max(MaxFruitlessChunks, (_options.Resends ?? 3) + 1);
        progress?.Report(held);
        while (held < size)
        {
            int length = (int)Math.Min(sizer.Size, size - held);
            n = EmcmMessages.WriteChunk(target, held, image.Span.Slice((int)held, length), payload);
            var answer = await RequestAsync(EmcmMessageType.ImageChunk, payload.AsMemory(0, n), secret: false, cancellationToken, attempts: 1, quietly: true).ConfigureAwait(false);
            if (answer is null)
            {
                sizer.Lost(length);
                if (++fruitless >= limit)
                    throw new EmcmException(ProvExitCode.NoDeviceHost,
                        $"The eMCM on {_node.PortName} stopped confirming {target} data at byte {held} of {size} ({fruitless} chunks in a row unanswered, down to {sizer.Size} bytes each)" +
                        (_node.HasAnswered ? ", although the node behind it answers." : "."));
                _resends++;
                continue;
            }
            uint now = Parse(EmcmMessageType.ImageChunk, answer, static d => new PayloadReader(d).U32());
            if (now <= held || now > size)
                throw new EmcmException(ProvExitCode.HostError,
                    $"The eMCM on {_node.PortName} answered a {length}-byte {target} chunk at {held} with {now} bytes held; it does not speak the eMCM protocol correctly.");
            sizer.Passed(length);
            fruitless = 0;
            held = now;
            progress?.Report(held);
        }
        payload[0] = (byte)target;
        await RequestAsync(EmcmMessageType.ImageCommit, payload.AsMemory(0, 1), secret: false, cancellationToken).ConfigureAwait(false);
        Log($"{target} {version} ({size} bytes, SHA-256 {Convert.ToHexString(digest)[..16]}…) written and activated");
    }

    /// <summary>Chunks in a row that may go unanswered (each sent smaller) before a transfer gives up; it resumes next time.</summary>
    private const int MaxFruitlessChunks = 12;

    /// <summary>Activates a configuration slot already written.</summary>
    public Task ActivateConfigAsync(EmcmConfigSlot slot, CancellationToken cancellationToken)
    {
        if (slot is not (EmcmConfigSlot.Factory or EmcmConfigSlot.Field))
            throw new ArgumentOutOfRangeException(nameof(slot), slot, "Activate the factory or the field configuration.");
        return RequestAsync(EmcmMessageType.ActivateConfig, new[] { (byte)slot }, secret: false, cancellationToken);
    }

    /// <summary>Writes the MCM key (16 bytes); the caller verifies it with <see cref="GetKeyCheckValueAsync"/>.</summary>
    public async Task WriteKeyAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        if (key.Length != EmcmMessages.KeyLength)
            throw new ArgumentException($"The MCM key is {EmcmMessages.KeyLength} bytes, not {key.Length}.", nameof(key));
        var payload = GC.AllocateArray<byte>(1 + EmcmMessages.KeyLength, pinned: true);
        try
        {
            int n = EmcmMessages.WriteKey(key.Span, payload);
            await RequestAsync(EmcmMessageType.WriteKey, payload.AsMemory(0, n), secret: true, cancellationToken).ConfigureAwait(false);
        }
        finally { CryptographicOperations.ZeroMemory(payload); }
    }

    /// <summary>The check value of the MCM key the eMCM holds; null when none.</summary>
    public async Task<byte[]?> GetKeyCheckValueAsync(CancellationToken cancellationToken)
    {
        var data = await RequestAsync(EmcmMessageType.KeyCheck, ReadOnlyMemory<byte>.Empty, secret: false, cancellationToken).ConfigureAwait(false);
        return Parse(EmcmMessageType.KeyCheck, data, static d => EmcmMessages.ReadKeyCheck(d));
    }

    /// <summary>Sets or clears quiet mode.</summary>
    public Task SetQuietAsync(bool quiet, CancellationToken cancellationToken)
        => RequestAsync(EmcmMessageType.SetQuiet, new[] { quiet ? (byte)1 : (byte)0 }, secret: false, cancellationToken);

    /// <summary>Records the stage passed in the eMCM's flash.</summary>
    public Task SetStageAsync(EmcmStagePassed stage, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(stage)) throw new ArgumentOutOfRangeException(nameof(stage), stage, "Not a stage.");
        return RequestAsync(EmcmMessageType.SetStage, new[] { (byte)stage }, secret: false, cancellationToken);
    }

    /// <summary>Has the eMCM talk to its meter; 164 when the meter does not answer.</summary>
    public async Task<EmcmMeterLink> CheckMeterAsync(CancellationToken cancellationToken)
    {
        var data = await RequestAsync(EmcmMessageType.CheckMeter, ReadOnlyMemory<byte>.Empty, secret: false, cancellationToken).ConfigureAwait(false);
        return Parse(EmcmMessageType.CheckMeter, data, static d => EmcmMessages.ReadMeter(d));
    }

    /// <summary>Secures the eMCM's debug and flash interfaces.</summary>
    public Task LockAsync(CancellationToken cancellationToken)
        => RequestAsync(EmcmMessageType.Lock, ReadOnlyMemory<byte>.Empty, secret: false, cancellationToken);

    /// <summary>Stops listening to the line; the line itself belongs to the <see cref="NodeClient"/>.</summary>
    public ValueTask DisposeAsync()
    {
        if (_disposed) return ValueTask.CompletedTask;
        _disposed = true;
        _node.HostMessageReceived -= _onHostMessage;
        _answers.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    /// <summary>Data bytes per chunk: what the eMCM takes and what one host message on this line carries.</summary>
    private int ChunkSize(ushort announced)
    {
        int byLine = Math.Min(_node.MaxHostMessageSize, EmcmFrame.MaxLength) - EmcmFrame.Overhead - EmcmMessages.ChunkHeaderLength;
        int chunk = Math.Min(Math.Min((int)(announced == 0 ? _maxChunk : announced), EmcmMessages.MaxChunk), byLine);
        return Math.Max(1, chunk);
    }

    /// <summary>
    /// One request, sent until answered (at most <see cref="EmcmClientOptions.Resends"/> more times, same sequence number).
    /// Returns the answer's data after its Ok status; an error status throws.
    /// </summary>
    private async Task<byte[]> RequestAsync(EmcmMessageType type, ReadOnlyMemory<byte> payload, bool secret, CancellationToken cancellationToken)
        => (await RequestAsync(type, payload, secret, cancellationToken, attempts: null, quietly: false).ConfigureAwait(false))!;

    /// <summary>
    /// The request sent at most <paramref name="attempts"/> times (null: 1 + <see cref="EmcmClientOptions.Resends"/>); when
    /// none is answered, null if <paramref name="quietly"/>, otherwise 68.
    /// </summary>
    private async Task<byte[]?> RequestAsync(EmcmMessageType type, ReadOnlyMemory<byte> payload, bool secret, CancellationToken cancellationToken, int? attempts, bool quietly)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireHostChannel();
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        byte[]? frame = null;
        try
        {
            byte seq = unchecked(_seq++);
            frame = secret ? GC.AllocateArray<byte>(EmcmFrame.Overhead + payload.Length, pinned: true) : new byte[EmcmFrame.Overhead + payload.Length];
            EmcmFrame.Encode((byte)type, seq, payload.Span, frame);
            // Answers to earlier requests still on their way are not this one's.
            while (_answers.Reader.TryRead(out _)) { }
            var patience = Patience(frame.Length);
            int tries = attempts ?? (_options.Resends ?? 3) + 1;
            byte answerType = EmcmFrame.AnswerType(type);
            for (int attempt = 0; attempt < tries; attempt++)
            {
                if (attempt > 0)
                {
                    _resends++;
                    Log($"no answer to {type} (seq {seq}) within {patience.TotalSeconds:0.#} s: sending it again");
                }
                try { await _node.SendHostMessageAsync(frame, cancellationToken).ConfigureAwait(false); }
                catch (Exception e) when (e is NodeLinkException or LinkException or IOException && e is not EmcmException)
                {
                    throw new EmcmException(ProvExitCode.NoDeviceHost, $"The line to the eMCM on {_node.PortName} failed while sending {type}: {e.Message}", e);
                }
                var deadline = DateTime.UtcNow + patience;
                while (await NextAsync(deadline, cancellationToken).ConfigureAwait(false) is { } message)
                {
                    if (!EmcmFrame.TryDecode(message, out byte answeredType, out byte answeredSeq, out var data, out string? damage))
                    {
                        Interlocked.Increment(ref _damaged);
                        Log($"host message dropped: {damage}");
                        continue;
                    }
                    if (answeredSeq != seq || answeredType != answerType) continue;
                    if (data.IsEmpty)
                        throw new EmcmException(ProvExitCode.HostError, $"The eMCM on {_node.PortName} answered {type} without a status; it does not speak the eMCM protocol correctly.");
                    var status = (EmcmStatus)data[0];
                    if (status != EmcmStatus.Ok) throw ErrorAnswer(type, status, EmcmMessages.ReadErrorText(data[1..]));
                    return data[1..].ToArray();
                }
            }
            if (quietly) return null;
            throw new EmcmException(ProvExitCode.NoDeviceHost,
                $"The eMCM on {_node.PortName} did not answer {type} after {tries} attempts ({patience.TotalSeconds:0.#} s each) over the {WrapperName()} host channel" +
                (_node.HasAnswered ? ", although the node behind it answers." : "."));
        }
        finally
        {
            if (secret && frame is not null) CryptographicOperations.ZeroMemory(frame);
            _one.Release();
        }
    }

    private string WrapperName() => _node.WrapperName;

    private void RequireHostChannel()
    {
        if (!_node.CarriesHostMessages)
            throw new EmcmException(ProvExitCode.InvalidArguments,
                $"The line {_node.PortName} runs the {WrapperName()} wrapper, which carries node messages only: eMCM commands travel as host messages beside them. " +
                $"Use the wrapper the eMCM speaks (-Wrapper {TransportWrappers.Orw}, {TransportWrappers.Reliable} or {TransportWrappers.OptPsem}).")
            {
                Advice = "Check the -Wrapper given for this line.",
            };
        int room = _node.MaxHostMessageSize;
        if (room < EmcmFrame.MinChannel)
            throw new EmcmException(ProvExitCode.NoDeviceHost,
                $"The {WrapperName()} host channel on {_node.PortName} carries host messages of at most {room} bytes; eMCM answers need {EmcmFrame.MinChannel}.")
            {
                Advice = _node.WrapperName == TransportWrappers.OptPsem
                    ? "The meter negotiated packets too small for eMCM messages: check that the optical port's meter takes larger C12.18 packets (Negotiate)."
                    : "Allow larger messages on this line (-MaxMessageSize).",
            };
    }

    /// <summary>
    /// The wait for one answer: the node link's base response time, plus the request and the longest answer crossing the line
    /// (four times, for a link session's own acknowledgements and polls).
    /// </summary>
    private TimeSpan Patience(int requestLength)
    {
        if (_options.ResponseTimeout is { } given) return given;
        double lineSeconds = (requestLength + EmcmFrame.MaxLength + 64) * 10.0 / _node.LineBaudRate;
        return _node.ResponseTimeout + TimeSpan.FromSeconds(4 * lineSeconds);
    }

    private async ValueTask<byte[]?> NextAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        if (_answers.Reader.TryRead(out var ready)) return ready;
        var wait = deadline - DateTime.UtcNow;
        if (wait <= TimeSpan.Zero) return null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try { return await _answers.Reader.ReadAsync(timeout.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { return null; }
        catch (ChannelClosedException) { throw new ObjectDisposedException(nameof(EmcmClient)); }
    }

    private EmcmException ErrorAnswer(EmcmMessageType type, EmcmStatus status, string text)
    {
        var code = status switch
        {
            EmcmStatus.MeterNotAnswering => ProvExitCode.ApplicationLinkFailed,
            EmcmStatus.HardwareFailure => ProvExitCode.HostHardwareFailed,
            _ => ProvExitCode.HostError,
        };
        string said = text.Length > 0 ? $": {text.TrimEnd('.')}" : "";
        Log($"{type} refused: {status}{said}");
        return new EmcmException(code, $"The eMCM on {_node.PortName} refused {type} ({status}{said}).") { Status = status };
    }

    private delegate T DataParser<out T>(ReadOnlySpan<byte> data);

    private T Parse<T>(EmcmMessageType type, byte[] data, DataParser<T> parse)
    {
        try { return parse(data); }
        catch (FormatException e)
        {
            throw new EmcmException(ProvExitCode.HostError,
                $"The eMCM on {_node.PortName} sent a malformed {type} answer ({e.Message}); it does not speak eMCM protocol version {EmcmFrame.Version} correctly.", e);
        }
    }

    private void Log(string line)
    {
        try { _options.Log?.Invoke($"emcm {_node.PortName}: {line}"); }
        catch (Exception e) when (e is not OutOfMemoryException) { }
    }
}
