using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Station;

namespace Provisioning.Core.Gateway;

/// <summary>Where the factory gateway's control port is and how to reach it (guide Table 13: -g, --control_port, --csys_1_x).</summary>
public sealed record GatewayOptions
{
    /// <summary>The guide's default control port.</summary>
    public const int DefaultControlPort = 4021;

    /// <summary>Gateway host name or address (the guide's default is localhost).</summary>
    public string Host { get; init; } = "localhost";

    /// <summary>Control port.</summary>
    public int ControlPort { get; init; } = DefaultControlPort;

    /// <summary>Speak to a 1.x gateway (the guide's --csys_1_x); the default is 2.x.</summary>
    public bool Csys1x { get; init; }

    /// <summary>TLS on the control port.</summary>
    public bool UseTls { get; init; }

    /// <summary>TLS: the CA certificate (PEM) the gateway's certificate must chain to; 141 when the file is missing.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>TLS: the station's client certificate (PEM with its key, or PFX) when the gateway asks for one; 141 when missing.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>How long to wait to connect and for each answer.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often <see cref="GatewayClient.WaitForJoinAsync"/> asks for the node's status.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>A node's state as the gateway sees it.</summary>
public enum GatewayNodeState
{
    /// <summary>Not heard since it was cleared (or ever).</summary>
    Unknown,
    /// <summary>Joined the gateway's network.</summary>
    Joined,
}

/// <summary>The gateway's answer to a node status query.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="State">Joined or not.</param>
/// <param name="JoinedAt">When it joined; null when it has not.</param>
/// <param name="NetworkId">The network it joined; null when it has not.</param>
public sealed record GatewayNodeStatus(uint NodeId, GatewayNodeState State, DateTimeOffset? JoinedAt, string? NetworkId);

/// <summary>A gateway failure, with the station's Table 4 code (132, 133, 134, 140 or 141).</summary>
public sealed class GatewayException(ProvExitCode code, string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The station's return code.</summary>
    public ProvExitCode Code { get; } = code;
}

/// <summary>
/// The station's side of the gateway control protocol (docs/gateway-protocol.md): one connection to the control port,
/// one request at a time. Failures are <see cref="GatewayException"/>s carrying the guide's Table 4 code.
/// </summary>
public sealed class GatewayClient : IAsyncDisposable
{
    private readonly GatewayOptions _options;
    private readonly GatewayDialect _dialect;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private Connection? _connection;

    private GatewayClient(GatewayOptions options, Connection connection)
    {
        _options = options;
        _dialect = GatewayDialect.For(options.Csys1x);
        _connection = connection;
    }

    /// <summary>The system version the gateway announced in its greeting (e.g. 2.4).</summary>
    public string GatewayVersion => _connection?.Version ?? "";

    /// <summary>The factory network the gateway serves, when its message set says (2.x); null otherwise.</summary>
    public string? NetworkId => _connection?.NetworkId;

    /// <summary>Connects to the control port; 132 when nothing answers, 141 when TLS certificate files are missing, 140 when the gateway's system version has no message set here.</summary>
    public static async Task<GatewayClient> ConnectAsync(GatewayOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Host))
            throw new ArgumentException("Give the gateway's host name or address.", nameof(options));
        if (options.ControlPort is < 1 or > 65535)
            throw new ArgumentException($"The gateway control port must be 1 to 65535, not {options.ControlPort}.", nameof(options));
        if (options.ResponseTimeout <= TimeSpan.Zero || options.PollInterval <= TimeSpan.Zero)
            throw new ArgumentException("The gateway response timeout and poll interval must be positive.", nameof(options));
        var connection = await Connection.OpenAsync(options, GatewayDialect.For(options.Csys1x), cancellationToken).ConfigureAwait(false);
        return new GatewayClient(options, connection);
    }

    /// <summary>The node's status; 133 on an error answer.</summary>
    public async Task<GatewayNodeStatus> GetNodeStatusAsync(uint nodeId, CancellationToken cancellationToken)
    {
        string answer = await ExchangeAsync(_dialect.StatusRequest(nodeId), cancellationToken).ConfigureAwait(false);
        return _dialect.ParseStatus(answer, nodeId);
    }

    /// <summary>Clears the node's status (PRETEST does, so POSTTEST finds an up-to-date one).</summary>
    public async Task ClearNodeAsync(uint nodeId, CancellationToken cancellationToken)
    {
        string answer = await ExchangeAsync(_dialect.ClearRequest(nodeId), cancellationToken).ConfigureAwait(false);
        _dialect.ParseClear(answer, nodeId);
    }

    /// <summary>Waits until the node has joined; 134 once <paramref name="timeout"/> has passed without it, never earlier.</summary>
    /// <remarks>
    /// Asks every <see cref="GatewayOptions.PollInterval"/>. A gateway that stops answering during the wait is connected to
    /// again at the next poll: the node may still join in the time left, so only the timeout decides (134). An error answer
    /// (133), or a gateway whose version or certificates no longer fit (140, 141), ends the wait at once.
    /// </remarks>
    public async Task<GatewayNodeStatus> WaitForJoinAsync(uint nodeId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "The join timeout cannot be negative.");
        var clock = Stopwatch.StartNew();
        GatewayException? unreachable = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (_connection is null)
                    _connection = await Connection.OpenAsync(_options, _dialect, cancellationToken).ConfigureAwait(false);
                var status = await GetNodeStatusAsync(nodeId, cancellationToken).ConfigureAwait(false);
                if (status.State == GatewayNodeState.Joined) return status;
                unreachable = null;
            }
            catch (GatewayException e) when (e.Code == ProvExitCode.GatewayUnreachable)
            {
                unreachable = e;
                await DropConnectionAsync().ConfigureAwait(false);
            }
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                string network = NetworkId is { } id ? $"network '{id}'" : "its network";
                throw new GatewayException(ProvExitCode.GatewayJoinFailed,
                    $"Node 0x{nodeId:X8} did not join the gateway's {network} within {timeout.TotalSeconds:0.###} s" +
                    (unreachable is null ? "." : $"; the gateway had stopped answering ({unreachable.Message})"), unreachable);
            }
            await Task.Delay(left < _options.PollInterval ? left : _options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Says goodbye (best effort) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
            await connection.CloseAsync(_dialect.Quit).ConfigureAwait(false);
    }

    private async Task DropConnectionAsync()
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection) await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Sends one request and reads its one answer line; 132 when the gateway stops answering or closes.</summary>
    private async Task<string> ExchangeAsync(string request, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = _connection ?? throw new GatewayException(ProvExitCode.GatewayUnreachable,
                $"The connection to the gateway at {_options.Host}:{_options.ControlPort} was lost.");
            return await connection.ExchangeAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (GatewayException e) when (e.Code == ProvExitCode.GatewayUnreachable)
        {
            // The line is out of step or gone: a later request starts on a new connection.
            await DropConnectionAsync().ConfigureAwait(false);
            throw;
        }
        finally { _turn.Release(); }
    }

    /// <summary>One TCP (optionally TLS) connection that has been greeted.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly GatewayLineStream _lines;
        private readonly GatewayOptions _options;
        private readonly TlsState? _tls;

        private Connection(TcpClient tcp, Stream stream, GatewayOptions options, TlsState? tls)
        {
            _tcp = tcp;
            _lines = new GatewayLineStream(stream);
            _options = options;
            _tls = tls;
        }

        public string Version { get; private set; } = "";
        public string? NetworkId { get; private set; }
        private string Where => $"{_options.Host}:{_options.ControlPort}";

        public static async Task<Connection> OpenAsync(GatewayOptions options, GatewayDialect dialect, CancellationToken cancellationToken)
        {
            // Certificate files are checked before the network is touched: a station set up wrongly says so at once.
            var tls = options.UseTls ? TlsState.Load(options) : null;
            string where = $"{options.Host}:{options.ControlPort}";
            var tcp = new TcpClient { NoDelay = true };
            Connection? connection = null;
            try
            {
                using (var connecting = Deadline(options, cancellationToken))
                {
                    try { await tcp.ConnectAsync(options.Host, options.ControlPort, connecting.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw Unreachable($"No connection to the gateway at {where} within {options.ResponseTimeout.TotalSeconds:0.###} s.");
                    }
                    catch (SocketException e)
                    {
                        throw Unreachable($"The gateway at {where} cannot be reached: {e.Message}.", e);
                    }
                }
                Stream stream = tcp.GetStream();
                if (tls is not null) stream = await tls.HandshakeAsync(stream, options, cancellationToken).ConfigureAwait(false);
                connection = new Connection(tcp, stream, options, tls);
                await connection.GreetAsync(dialect, cancellationToken).ConfigureAwait(false);
                return connection;
            }
            catch
            {
                if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
                else tcp.Dispose();
                throw;
            }
        }

        private async Task GreetAsync(GatewayDialect dialect, CancellationToken cancellationToken)
        {
            string greeting = await ReadAsync("its greeting", cancellationToken).ConfigureAwait(false);
            if (GatewayDialect.ParseGreeting(greeting) is not { } version)
                throw new GatewayException(ProvExitCode.GatewayError,
                    $"The service at {Where} is not a gateway control port: it greeted with '{Shorten(greeting)}'.");
            Version = version.Version;
            if (version.Major != dialect.Major)
                throw new GatewayException(ProvExitCode.GatewayLibraryMissing,
                    $"The gateway at {Where} runs system version {version.Version}, but this station speaks the {dialect.Name} message set" +
                    (version.Major == 1 ? "; use the 1.x option (-Csys1x, --csys_1_x) for a 1.x gateway." :
                     version.Major == 2 ? "; leave out the 1.x option (-Csys1x, --csys_1_x) for a 2.x gateway." :
                     $"; there is no message set for version {version.Major}.x here."));
            if (dialect.Hello is { } hello)
                NetworkId = dialect.ParseHello(await ExchangeAsync(hello, cancellationToken).ConfigureAwait(false));
        }

        public async Task<string> ExchangeAsync(string request, CancellationToken cancellationToken)
        {
            using (var writing = Deadline(_options, cancellationToken))
            {
                try { await _lines.WriteLineAsync(request, writing.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw Unreachable($"The gateway at {Where} takes no requests (a write did not finish within {_options.ResponseTimeout.TotalSeconds:0.###} s).");
                }
                catch (IOException e) { throw Failed("sending", e); }
            }
            return await ReadAsync($"an answer to '{request}'", cancellationToken).ConfigureAwait(false);
        }

        private async Task<string> ReadAsync(string what, CancellationToken cancellationToken)
        {
            using var reading = Deadline(_options, cancellationToken);
            string? line;
            try { line = await _lines.ReadLineAsync(reading.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw Unreachable($"The gateway at {Where} did not send {what} within {_options.ResponseTimeout.TotalSeconds:0.###} s.");
            }
            catch (InvalidDataException e)
            {
                throw new GatewayException(ProvExitCode.GatewayError, $"The gateway at {Where} sent something that is not its protocol: {e.Message}.", e);
            }
            catch (IOException e) { throw Failed("reading", e); }
            return line ?? throw (_tls?.RefusedForWantOfCertificate == true
                ? TlsState.NoClientCertificate(Where)
                : Unreachable($"The gateway at {Where} closed the connection before it sent {what}."));
        }

        private GatewayException Failed(string doing, IOException e) =>
            _tls?.RefusedForWantOfCertificate == true ? TlsState.NoClientCertificate(Where)
            : Unreachable($"The connection to the gateway at {Where} failed while {doing}: {e.Message}", e);

        public async Task CloseAsync(string quit)
        {
            try
            {
                using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await _lines.WriteLineAsync(quit, closing.Token).ConfigureAwait(false);
                await _lines.ReadLineAsync(closing.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidDataException or ObjectDisposedException) { }
            await DisposeAsync().ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            try { await _lines.Stream.DisposeAsync().ConfigureAwait(false); }
            catch (IOException) { }
            _tcp.Dispose();
        }

        private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
    }

    private static CancellationTokenSource Deadline(GatewayOptions options, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(options.ResponseTimeout);
        return source;
    }

    private static GatewayException Unreachable(string message, Exception? inner = null) =>
        new(ProvExitCode.GatewayUnreachable, message, inner);

    /// <summary>The station's TLS material for the control port and what the handshake found.</summary>
    private sealed class TlsState
    {
        private X509Certificate2Collection? _trust;
        private X509Certificate2? _certificate;
        private string? _rejected;

        /// <summary>The gateway asked for a client certificate and the station has none to give.</summary>
        public bool RefusedForWantOfCertificate { get; private set; }

        public static TlsState Load(GatewayOptions options)
        {
            var state = new TlsState();
            if (options.CaCertificatePath is { } ca)
            {
                Require(ca, "CA certificate");
                try { state._trust = GatewayCertificates.LoadCa(ca); }
                catch (CryptographicException e)
                {
                    throw new GatewayException(ProvExitCode.GatewayCertificatesMissing, $"The gateway CA certificate '{ca}' cannot be read: {e.Message}", e);
                }
            }
            if (options.CertificatePath is { } path)
            {
                Require(path, "client certificate");
                try { state._certificate = GatewayCertificates.LoadWithKey(path); }
                catch (CryptographicException e)
                {
                    throw new GatewayException(ProvExitCode.GatewayCertificatesMissing,
                        $"The client certificate '{path}' for the gateway cannot be read (give a PEM file with the certificate and its key, or a PFX): {e.Message}", e);
                }
            }
            return state;
        }

        private static void Require(string path, string what)
        {
            if (!File.Exists(path))
                throw new GatewayException(ProvExitCode.GatewayCertificatesMissing,
                    $"The {what} file '{path}' for TLS to the gateway is not there; copy it to this station or correct its path.");
        }

        public static GatewayException NoClientCertificate(string where) =>
            new(ProvExitCode.GatewayCertificatesMissing,
                $"The gateway at {where} asks for a client certificate and this station has none: give the station's certificate file (-GatewayCertificate).");

        public async Task<Stream> HandshakeAsync(Stream stream, GatewayOptions options, CancellationToken cancellationToken)
        {
            string where = $"{options.Host}:{options.ControlPort}";
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            var authentication = new SslClientAuthenticationOptions
            {
                TargetHost = options.Host,
                RemoteCertificateValidationCallback = Validate,
                LocalCertificateSelectionCallback = (_, _, _, remote, _) =>
                {
                    // Also called before the handshake on some platforms; only a call that knows the gateway's certificate is its request.
                    if (_certificate is null && remote is not null) RefusedForWantOfCertificate = true;
                    return _certificate!;
                },
            };
            if (_certificate is not null) authentication.ClientCertificates = new X509CertificateCollection { _certificate };
            using var handshake = Deadline(options, cancellationToken);
            try
            {
                // With TLS 1.3 a gateway that wanted a certificate says so only after the handshake: the flag explains that failure.
                await ssl.AuthenticateAsClientAsync(authentication, handshake.Token).ConfigureAwait(false);
                return ssl;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                throw Unreachable($"The gateway at {where} did not complete the TLS handshake within {options.ResponseTimeout.TotalSeconds:0.###} s.");
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                if (_rejected is { } why)
                    throw new GatewayException(ProvExitCode.GatewayCertificatesMissing,
                        $"The gateway at {where} shows a certificate this station does not trust ({why}); give the CA certificate the gateway's certificate was issued by (-GatewayCaCertificate).", e);
                if (RefusedForWantOfCertificate) throw NoClientCertificate(where);
                throw new GatewayException(ProvExitCode.GatewayError,
                    $"The TLS handshake with the gateway at {where} failed ({e.Message}); check that the gateway's control port speaks TLS.", e);
            }
        }

        private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (errors == SslPolicyErrors.None) return true;
            if (certificate is null) { _rejected = "it showed none"; return false; }
            if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0 || _trust is null)
            {
                _rejected = errors.ToString();
                return false;
            }
            if (GatewayCertificates.ChainsTo(certificate, _trust, out string problem)) return true;
            _rejected = problem + " against the given CA";
            return false;
        }
    }
}
