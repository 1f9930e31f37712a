using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Provisioning.Core.Api;

namespace Provisioning.Core.Client;

/// <summary>
/// One connection to a provisioning server: every endpoint of <c>docs/server-api.md</c> as an async method.
/// Failures are <see cref="ProvServerException"/>s whose messages an operator can act on. Dispose when done;
/// connections are pooled across instances, so short-lived clients are cheap.
/// </summary>
public sealed partial class ProvServerClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string? _token;
    private readonly TrustedHandler _handler;

    /// <summary>
    /// A client for the server at <paramref name="server"/> (see <see cref="ServerAddress"/>) using a bearer token (null: health only).
    /// Over HTTPS the server's certificate is checked against <paramref name="trust"/> (null: this computer's trust store),
    /// which may also carry the client certificate to present.
    /// </summary>
    public ProvServerClient(Uri server, string? token, ServerTrust? trust = null)
    {
        Server = server;
        _token = string.IsNullOrEmpty(token) ? null : token;
        // One pooled handler per trust for the process: sockets and TLS sessions are reused between short-lived clients.
        _handler = TrustedHandler.For(trust ?? ServerTrust.System);
        // Uploads and exports may run for minutes; their limits are the connect timeout and the caller's cancellation.
        _http = new HttpClient(_handler.Handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The server's base address.</summary>
    public Uri Server { get; }

    /// <summary>How long a small (JSON) call may take before it is given up. Default 100 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>How the server's certificate is checked, and the client certificate presented.</summary>
    public ServerTrust Trust => _handler.Trust;

    /// <summary>The certificate the server presented and this client accepted (HTTPS, after a first call), or null.</summary>
    public PresentedCertificate? ServerCertificate => Server.Scheme == Uri.UriSchemeHttps ? _handler.AcceptedFrom(Server.Host) : null;

    /// <summary>Whether the client has a token to send.</summary>
    public bool HasToken => _token is not null;

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    // ---- server ----

    /// <summary><c>GET /health</c> (no token needed).</summary>
    public Task<HealthInfo> GetHealthAsync(CancellationToken cancellationToken = default)
        => GetJsonAsync<HealthInfo>(ApiRoutes.Health, cancellationToken);

    /// <summary><c>GET /whoami</c> (any valid token): the token's name and role.</summary>
    public Task<TokenIdentity> GetIdentityAsync(CancellationToken cancellationToken = default)
        => GetJsonAsync<TokenIdentity>(ApiRoutes.WhoAmI, cancellationToken);

    /// <summary><c>POST /server/stop</c> (admin): the server process exits shortly after answering.</summary>
    public Task StopServerAsync(CancellationToken cancellationToken = default)
        => SendNoContentAsync(HttpMethod.Post, ApiRoutes.ServerStop, null, cancellationToken);

    // ---- packages ----

    /// <summary>
    /// <c>POST /packages</c> (admin): uploads a package with the gateway key file passphrase. The file is streamed from disk;
    /// <paramref name="bytesSent"/> hears how much has gone. With <paramref name="dryRun"/> the server verifies and describes it but imports nothing.
    /// </summary>
    public async Task<ImportResult> ImportPackageAsync(string packagePath, ReadOnlyMemory<char> passphrase, string? comment, bool dryRun,
        IProgress<long>? bytesSent = null, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(packagePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var form = ImportForm(file, Path.GetFileName(packagePath), passphrase.Span, comment, bytesSent);

        string route = ApiRoutes.Packages + (dryRun ? "?dryRun=true" : "");
        using var request = NewRequest(HttpMethod.Post, route, form);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, $"the upload of {Path.GetFileName(packagePath)}", timeout: null, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync<ImportResult>(response, route, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The upload body of <c>POST /packages</c>; the contract fixes the order of the parts: passphrase, comment, package.</summary>
    internal static MultipartFormDataContent ImportForm(FileStream package, string fileName, ReadOnlySpan<char> passphrase, string? comment, IProgress<long>? bytesSent)
    {
        var form = new MultipartFormDataContent();
        form.Add(new SecretTextContent(passphrase), "passphrase");
        if (comment is not null) form.Add(new StringContent(comment), "comment");
        form.Add(new UploadFileContent(package, "application/gzip", bytesSent), "package", fileName);
        return form;
    }

    /// <summary><c>GET /packages</c> (admin): the overview, current packages only unless <paramref name="history"/>.</summary>
    public Task<IReadOnlyList<PackageSummary>> GetPackagesAsync(bool history = false, CancellationToken cancellationToken = default)
        => GetJsonAsync<IReadOnlyList<PackageSummary>>(ApiRoutes.Packages + (history ? "?history=true" : ""), cancellationToken);

    /// <summary><c>GET /packages/{configId}</c> (admin): every revision of one configuration, newest first.</summary>
    public Task<IReadOnlyList<PackageSummary>> GetPackageRevisionsAsync(ulong configId, CancellationToken cancellationToken = default)
        => GetJsonAsync<IReadOnlyList<PackageSummary>>($"{ApiRoutes.Packages}/{Decimal(configId)}", cancellationToken);

    // ---- configurations and files ----

    /// <summary><c>GET /configs/{configId}</c>: what a station needs to provision a node.</summary>
    public Task<ConfigInfo> GetConfigAsync(ulong configId, CancellationToken cancellationToken = default)
        => RepeatableAsync(() => GetJsonAsync<ConfigInfo>($"{ApiRoutes.Configs}/{Decimal(configId)}", cancellationToken), cancellationToken);

    /// <summary><c>GET /configs/alias/{alias}</c>.</summary>
    public Task<ConfigInfo> GetConfigByAliasAsync(string alias, CancellationToken cancellationToken = default)
        => RepeatableAsync(() => GetJsonAsync<ConfigInfo>($"{ApiRoutes.Configs}/alias/{Uri.EscapeDataString(alias)}", cancellationToken), cancellationToken);

    /// <summary><c>GET /configs/{configId}/gateway-keys</c> (HTTPS or loopback unless the server allows otherwise).</summary>
    public Task<GatewayKeysInfo> GetGatewayKeysAsync(ulong configId, CancellationToken cancellationToken = default)
        => RepeatableAsync(() => GetJsonAsync<GatewayKeysInfo>($"{ApiRoutes.Configs}/{Decimal(configId)}/gateway-keys", cancellationToken), cancellationToken);

    /// <summary><c>GET /files/{sha256}</c>: copies a repository file into <paramref name="destination"/>; returns the byte count.</summary>
    public async Task<long> DownloadFileAsync(string sha256, Stream destination, IProgress<long>? bytesReceived = null, CancellationToken cancellationToken = default)
    {
        string route = $"{ApiRoutes.Files}/{Uri.EscapeDataString(sha256)}";
        using var request = NewRequest(HttpMethod.Get, route, null);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, $"the download of file {sha256}", timeout: null, cancellationToken).ConfigureAwait(false);
        return await CopyBodyAsync(response, destination, null, bytesReceived, $"the download of file {sha256}", cancellationToken).ConfigureAwait(false);
    }

    // ---- device records ----

    /// <summary><c>PUT /devices/{nodeId}/records/{requestId}</c>: records a device's encrypted root key as pending. Repeating a request is harmless.</summary>
    public Task<DeviceRecord> RecordDeviceAsync(uint nodeId, Guid requestId, DeviceRecordRequest record, CancellationToken cancellationToken = default)
        => RepeatableAsync(() => SendJsonAsync<DeviceRecord>(HttpMethod.Put, $"{ApiRoutes.Devices}/{Decimal(nodeId)}/records/{requestId:D}", record, cancellationToken), cancellationToken);

    /// <summary><c>POST /devices/{nodeId}/records/{requestId}/confirm</c>: the station verified the device holds the key.</summary>
    public Task<DeviceRecord> ConfirmDeviceAsync(uint nodeId, Guid requestId, CancellationToken cancellationToken = default)
        => RepeatableAsync(() => SendJsonAsync<DeviceRecord>(HttpMethod.Post, $"{ApiRoutes.Devices}/{Decimal(nodeId)}/records/{requestId:D}/confirm", null, cancellationToken), cancellationToken);

    /// <summary>
    /// <c>POST /devices/{nodeId}/resolve</c>: reports the check value of the root key the node holds (null: none), so the server
    /// confirms the record it belongs to and abandons the pending ones the node does not hold.
    /// </summary>
    public Task<DeviceResolution> ResolveDeviceAsync(uint nodeId, string? kcv, CancellationToken cancellationToken = default)
        => SendJsonAsync<DeviceResolution>(HttpMethod.Post, $"{ApiRoutes.Devices}/{Decimal(nodeId)}/resolve", new DeviceResolveRequest(kcv), cancellationToken);

    /// <summary><c>GET /devices</c> (admin): one page of devices in node order after <paramref name="after"/>, all or only those with a pending record.</summary>
    public Task<IReadOnlyList<DeviceHistory>> GetDevicesAsync(bool unresolvedOnly, uint? after, int limit = ApiRoutes.MaxDevicePage,
        CancellationToken cancellationToken = default)
    {
        string query = $"?limit={limit.ToString(CultureInfo.InvariantCulture)}" + (unresolvedOnly ? "&unresolved=true" : "") +
            (after is { } a ? $"&after={Decimal(a)}" : "");
        return GetJsonAsync<IReadOnlyList<DeviceHistory>>(ApiRoutes.Devices + query, cancellationToken);
    }

    /// <summary><c>GET /devices/{nodeId}</c> (admin): the current record and the history.</summary>
    public Task<DeviceHistory> GetDeviceHistoryAsync(uint nodeId, CancellationToken cancellationToken = default)
        => GetJsonAsync<DeviceHistory>($"{ApiRoutes.Devices}/{Decimal(nodeId)}", cancellationToken);

    // ---- key export ----

    /// <summary>
    /// <c>POST /exports</c> (admin) into <paramref name="path"/>: see <see cref="KeyExportDownload"/>. The file appears only once it
    /// matches the server's receipt.
    /// </summary>
    public Task<KeyExportFile> ExportKeysAsync(ExportRequest request, string path, bool overwrite, IProgress<long>? bytesReceived = null,
        CancellationToken cancellationToken = default)
        => new KeyExportDownload(this, request, path, overwrite, bytesReceived).RunAsync(cancellationToken);

    /// <summary>Starts <c>POST /exports</c> and returns the response once its headers are in; the caller reads and disposes it.</summary>
    internal async Task<HttpResponseMessage> StartExportAsync(ExportRequest body, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Post, ApiRoutes.Exports, JsonContent.Create(body, options: ApiJson.Options));
        return await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, "the key export", timeout: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts <c>POST /server/backup</c> with the passphrase as the body; the caller reads and disposes the response.</summary>
    internal async Task<HttpResponseMessage> StartBackupAsync(ReadOnlyMemory<char> passphrase, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Post, ApiRoutes.ServerBackup, new SecretTextContent(passphrase.Span));
        return await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, "the backup", timeout: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies a streamed answer into <paramref name="destination"/>, feeding <paramref name="hash"/> on the way; returns the byte count.</summary>
    /// <remarks>Failures reading the answer are the connection's; failures writing <paramref name="destination"/> are the local disk's and pass unchanged.</remarks>
    internal async Task<long> CopyBodyAsync(HttpResponseMessage response, Stream destination, System.Security.Cryptography.IncrementalHash? hash,
        IProgress<long>? bytesReceived, string what, CancellationToken cancellationToken)
    {
        Stream body;
        try { body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is HttpRequestException or IOException) { throw ProvServerException.ConnectionLost(Server, what, e); }
        await using (body.ConfigureAwait(false))
        {
            byte[] buffer = new byte[81920];
            long total = 0;
            while (true)
            {
                int read;
                try { read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false); }
                catch (Exception e) when (e is HttpRequestException or IOException) { throw ProvServerException.ConnectionLost(Server, what, e); }
                if (read == 0) return total;
                hash?.AppendData(buffer, 0, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                total += read;
                bytesReceived?.Report(total);
            }
        }
    }

    /// <summary><c>GET /exports[?configId=]</c> (admin): the export history, newest first.</summary>
    public Task<IReadOnlyList<ExportReceipt>> GetExportsAsync(ulong? configId = null, CancellationToken cancellationToken = default)
        => GetJsonAsync<IReadOnlyList<ExportReceipt>>(ApiRoutes.Exports + (configId is { } id ? $"?configId={Decimal(id)}" : ""), cancellationToken);

    /// <summary><c>GET /exports/{id}</c> (admin): one export's receipt.</summary>
    public Task<ExportReceipt> GetExportAsync(long exportId, CancellationToken cancellationToken = default)
        => GetJsonAsync<ExportReceipt>($"{ApiRoutes.Exports}/{exportId.ToString(CultureInfo.InvariantCulture)}", cancellationToken);

    // ---- tokens ----

    /// <summary><c>POST /tokens</c> (admin): a new token; the only time its secret is shown.</summary>
    public Task<NewToken> CreateTokenAsync(string name, string role, CancellationToken cancellationToken = default)
        => SendJsonAsync<NewToken>(HttpMethod.Post, ApiRoutes.Tokens, new TokenRequest(name, role), cancellationToken);

    /// <summary><c>GET /tokens</c> (admin): every token, never a secret.</summary>
    public Task<IReadOnlyList<TokenInfo>> GetTokensAsync(CancellationToken cancellationToken = default)
        => GetJsonAsync<IReadOnlyList<TokenInfo>>(ApiRoutes.Tokens, cancellationToken);

    /// <summary><c>DELETE /tokens/{id}</c> (admin): the token stops working at once.</summary>
    public Task RevokeTokenAsync(long tokenId, CancellationToken cancellationToken = default)
        => SendNoContentAsync(HttpMethod.Delete, $"{ApiRoutes.Tokens}/{tokenId.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken);

    // ---- users ----

    /// <summary><c>POST /users</c> (admin): a new account.</summary>
    public Task<UserInfo> CreateUserAsync(UserRequest user, CancellationToken cancellationToken = default)
        => SendJsonAsync<UserInfo>(HttpMethod.Post, ApiRoutes.Users, user, cancellationToken);

    /// <summary><c>GET /users</c> (admin): every account, never a password hash.</summary>
    public Task<IReadOnlyList<UserInfo>> GetUsersAsync(CancellationToken cancellationToken = default)
        => GetJsonAsync<IReadOnlyList<UserInfo>>(ApiRoutes.Users, cancellationToken);

    /// <summary><c>PATCH /users/{name}</c> (admin): resets the password, disables or enables, or changes the role.</summary>
    public Task<UserInfo> UpdateUserAsync(string name, UserUpdate update, CancellationToken cancellationToken = default)
        => SendJsonAsync<UserInfo>(HttpMethod.Patch, $"{ApiRoutes.Users}/{Uri.EscapeDataString(name)}", update, cancellationToken);

    /// <summary><c>DELETE /users/{name}</c> (admin): the account is gone.</summary>
    public Task RemoveUserAsync(string name, CancellationToken cancellationToken = default)
        => SendNoContentAsync(HttpMethod.Delete, $"{ApiRoutes.Users}/{Uri.EscapeDataString(name)}", null, cancellationToken);

    // ---- audit log ----

    /// <summary>
    /// <c>GET /audit</c> (admin): one page of the audit log, newest first. <paramref name="before"/> is the ID of the last entry of the previous
    /// page (null: from the newest); <paramref name="action"/> may end in <c>*</c> to match a prefix.
    /// </summary>
    public Task<IReadOnlyList<AuditEntry>> GetAuditAsync(DateTimeOffset? from, DateTimeOffset? to, string? action, string? user, long? before,
        int limit = ApiRoutes.MaxAuditPage, CancellationToken cancellationToken = default)
    {
        var query = new List<string> { "limit=" + limit.ToString(CultureInfo.InvariantCulture) };
        if (from is { } f) query.Add("from=" + Uri.EscapeDataString(f.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
        if (to is { } t) query.Add("to=" + Uri.EscapeDataString(t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
        if (!string.IsNullOrEmpty(action)) query.Add("action=" + Uri.EscapeDataString(action));
        if (!string.IsNullOrEmpty(user)) query.Add("user=" + Uri.EscapeDataString(user));
        if (before is { } b) query.Add("before=" + b.ToString(CultureInfo.InvariantCulture));
        return GetJsonAsync<IReadOnlyList<AuditEntry>>(ApiRoutes.Audit + "?" + string.Join("&", query), cancellationToken);
    }
    // ---- station certificates ----

    /// <summary><c>POST /certificates</c> (admin): the server's CA signs a station's certificate request.</summary>
    public Task<IssuedStationCertificate> IssueCertificateAsync(CertificateSigningRequest request, CancellationToken cancellationToken = default)
        => SendJsonAsync<IssuedStationCertificate>(HttpMethod.Post, ApiRoutes.Certificates, request, cancellationToken);

    /// <summary><c>GET /certificates</c> (admin): every station certificate the server issued, revoked ones included.</summary>
    public Task<IReadOnlyList<StationCertificateInfo>> GetCertificatesAsync(CancellationToken cancellationToken = default)
        => GetJsonAsync<IReadOnlyList<StationCertificateInfo>>(ApiRoutes.Certificates, cancellationToken);

    /// <summary><c>DELETE /certificates/{id}</c> (admin): the certificate is refused from the next request on, by every server instance of the database.</summary>
    public Task<StationCertificateInfo> RevokeCertificateAsync(long certificateId, CancellationToken cancellationToken = default)
        => SendJsonAsync<StationCertificateInfo>(HttpMethod.Delete, $"{ApiRoutes.Certificates}/{certificateId.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken);

    // ---- plumbing ----

    private static string Decimal(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private HttpRequestMessage NewRequest(HttpMethod method, string route, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, ServerAddress.Route(Server, route)) { Content = content };
        if (_token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return request;
    }

    /// <summary>Times a call that is safe to repeat is sent while the server answers 503 DatabaseUnavailable.</summary>
    public const int OutageAttempts = 6;

    // The server answers 503 DatabaseUnavailable when its database connection broke (e.g. a cluster node was lost); the
    // next attempt opens a new one. Reads, and device calls keyed by their request ID, are safe to send again.
    private static async Task<T> RepeatableAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (ProvServerException e) when (e.Status == 503 && e.ErrorId == "DatabaseUnavailable" && attempt < OutageAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<T> GetJsonAsync<T>(string route, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Get, route, null);
        return await ExchangeJsonAsync<T>(request, route, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> SendJsonAsync<T>(HttpMethod method, string route, object? body, CancellationToken cancellationToken)
    {
        using var request = NewRequest(method, route, body is null ? null : JsonContent.Create(body, body.GetType(), options: ApiJson.Options));
        return await ExchangeJsonAsync<T>(request, route, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendNoContentAsync(HttpMethod method, string route, object? body, CancellationToken cancellationToken)
    {
        using var request = NewRequest(method, route, body is null ? null : JsonContent.Create(body, body.GetType(), options: ApiJson.Options));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, Describe(request), RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> ExchangeJsonAsync<T>(HttpRequestMessage request, string route, CancellationToken cancellationToken)
    {
        // The whole exchange, body included, counts against the request timeout.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, Describe(request), null, timeout.Token).ConfigureAwait(false);
            return await ReadJsonAsync<T>(response, route, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw ProvServerException.Timeout(Server, Describe(request), RequestTimeout);
        }
    }

    private static string Describe(HttpRequestMessage request) => $"{request.Method} {request.RequestUri?.AbsolutePath}";

    /// <summary>Sends a request; any answer but 2xx becomes a <see cref="ProvServerException"/>. The caller disposes the response.</summary>
    internal async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, string what, TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t) limit.CancelAfter(t);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The connect timeout of the handler surfaces as a cancellation too.
            if (timeout is null) throw ProvServerException.Unreachable(Server, new TimeoutException("no connection within 10 s"));
            throw ProvServerException.Timeout(Server, what, timeout.Value);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.SecureConnectionError)
        {
            throw await TlsFailureAsync(e, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                                             || e.InnerException is System.Net.Sockets.SocketException)
        {
            throw ProvServerException.Unreachable(Server, e);
        }
        catch (HttpRequestException e)
        {
            throw ProvServerException.ConnectionLost(Server, what, e);
        }
        catch (IOException e)
        {
            throw ProvServerException.ConnectionLost(Server, what, e);
        }

        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            string body;
            try { body = await ReadLimitedAsync(response.Content, 64 * 1024, cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (e is HttpRequestException or IOException) { body = ""; }
            throw ProvServerException.FromResponse(Server, response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, what);
        }
    }

    // The handshake failed: a refused certificate says what was shown; otherwise the port may answer plain HTTP.
    private async Task<ProvServerException> TlsFailureAsync(HttpRequestException e, CancellationToken cancellationToken)
    {
        if (_handler.TakeRejection(Server.Host) is { } rejection)
            return ProvServerException.CertificateRejected(Server, rejection, _handler.Trust, e);
        var plain = new UriBuilder(Server) { Scheme = Uri.UriSchemeHttp, Port = Server.Port }.Uri;
        using var probe = new HttpClient(TrustedHandler.For(ServerTrust.System).Handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var answer = await probe.GetAsync(ServerAddress.Route(plain, ApiRoutes.Health), cancellationToken).ConfigureAwait(false);
            string body = await ReadLimitedAsync(answer.Content, 4096, cancellationToken).ConfigureAwait(false);
            if (!body.Contains(ProvServerException.HttpsRequiredId, StringComparison.Ordinal))
                return ProvServerException.PlainHttpPort(Server, e);
        }
        catch (Exception probeError) when (probeError is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Not plain HTTP either: the handshake's own reason is all there is.
        }
        return ProvServerException.TlsFailed(Server, e);
    }

    private async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, string route, CancellationToken cancellationToken)
    {
        T? value;
        try { value = await response.Content.ReadFromJsonAsync<T>(ApiJson.Options, cancellationToken).ConfigureAwait(false); }
        catch (JsonException e) { throw ProvServerException.Unexpected(Server, route, "the JSON does not match the API", e); }
        catch (NotSupportedException e) { throw ProvServerException.Unexpected(Server, route, $"content type '{response.Content.Headers.ContentType}'", e); }
        catch (Exception e) when (e is HttpRequestException or IOException) { throw ProvServerException.ConnectionLost(Server, route, e); }
        return value ?? throw ProvServerException.Unexpected(Server, route, "an empty body");
    }

    private static async Task<string> ReadLimitedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[limit];
        int total = 0, read;
        while (total < limit && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            total += read;
        return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
    }
}
