using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;
using Provisioning.Server.Auth;
using Provisioning.Server.Keys;
using Provisioning.Server.Tls;

namespace Provisioning.Server.Hosting;

/// <summary>
/// HTTPS for the server (settings <c>Tls</c>, <c>HostNames</c>, <c>IpAddresses</c>, <c>CertificatePath</c>,
/// <c>CertificateKeyPath</c>, <c>CertificatePassword</c>): Kestrel serves every https:// address with the operator's
/// certificate or one the server's CA issues, asks clients for a certificate (a station may present one; which are
/// accepted is the certificate authentication handler's decision), and answers plain HTTP on an HTTPS port with a
/// problem that says to use https.
/// </summary>
internal static class ServerTls
{
    private const string DefaultHttpsUrl = "https://127.0.0.1:8085";
    private static readonly TimeSpan FirstByteTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Registers the CA and, when <see cref="ServerSettings.Tls"/> is on, configures Kestrel's HTTPS. Throws <see cref="StartupException"/> for a bad setting or certificate file.</summary>
    public static void Configure(WebApplicationBuilder builder, ServerSettings settings)
    {
        builder.Services.AddSingleton(services => CertificateAuthority.LoadOrCreate(settings.TlsPath, services.GetRequiredService<MasterKey>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Provisioning.Server.Tls")));
        // Station certificates chain to the server's own CA, whatever certificate the server itself presents; TLS lets
        // any client certificate through, and this is where the certificate handler's chain check gets its root.
        builder.Services.AddOptions<CertificateAuthenticationOptions>(AuthSchemes.Certificate).PostConfigure<CertificateAuthority>((options, ca) =>
        {
            options.AllowedCertificateTypes = CertificateTypes.Chained;
            options.ChainTrustValidationMode = X509ChainTrustMode.CustomRootTrust;
            options.CustomTrustStore = [ca.Certificate];
            options.RevocationMode = X509RevocationMode.NoCheck;
        });

        bool kestrelEndpoints = builder.Configuration.GetSection("Kestrel:Endpoints").Exists();
        string urls = builder.Configuration["urls"] ?? "";
        if (settings.Tls && urls.Length == 0 && !kestrelEndpoints)
        {
            urls = DefaultHttpsUrl;
            builder.WebHost.UseUrls(urls);
        }
        var addresses = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToArray();
        var https = addresses.Where(a => a.Scheme == Uri.UriSchemeHttps).ToArray();
        if (!settings.Tls)
        {
            if (https.Length > 0)
                throw new StartupException($"The address {https[0].Text} is https, but TLS is off: start with -Tls (setting Provisioning:Tls=true), or listen on http://.");
            // Over plain HTTP no station can present a certificate: every station would be refused.
            if (settings.RequireClientCertificate)
                throw new StartupException("RequireClientCertificate is on, but TLS is off, so no station could present its certificate: start with -Tls as well (setting Provisioning:Tls=true).");
            return;
        }
        if (https.Length == 0 && !kestrelEndpoints)
            throw new StartupException($"TLS is on, but no address is https ({urls}): listen on https://host:port (Start-ProvServer -Tls does).");

        // The operator's file is read now, so a wrong path or password stops the start with its reason.
        var operatorCertificate = LoadOperatorCertificate(settings);
        var (hostNames, ipAddresses) = CertificateNames(settings, https);
        var httpsPorts = https.Select(a => a.Port).ToHashSet();

        builder.Services.AddSingleton(services =>
        {
            var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("Provisioning.Server.Tls");
            var ca = services.GetRequiredService<CertificateAuthority>();
            if (operatorCertificate is not null)
            {
                log.LogInformation("TLS: station certificates come from the server's CA, SHA-256 {CaFingerprint}", ca.Fingerprint);
                return ServerCertificateSource.FromOperator(operatorCertificate, log);
            }
            return ServerCertificateSource.FromAuthority(ca, hostNames, ipAddresses, log);
        });

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Before TLS: a plain HTTP request on an HTTPS port gets an answer a person can act on, not a dropped connection.
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection => RefusePlainHttpAsync(connection, next, httpsPorts)));
            kestrel.ConfigureHttpsDefaults(options =>
            {
                var source = kestrel.ApplicationServices.GetRequiredService<ServerCertificateSource>();
                options.ServerCertificate = source.Certificate;
                // Clients may present a certificate; chain trust and revocation are the certificate handler's checks, so
                // TLS itself accepts any, and a caller without one still gets in (with a token).
                options.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                options.AllowAnyClientCertificate();
                options.OnAuthenticate = (_, ssl) =>
                {
                    // The current (renewed when due) certificate, with the chain that lets clients pin the CA.
                    ssl.ServerCertificate = null;
                    ssl.ServerCertificateContext = source.Context;
                };
            });
        });
    }

    /// <summary>The systemd credential (<c>LoadCredential=certificate-password:…</c>) that may carry the certificate password.</summary>
    internal const string PasswordCredential = "certificate-password";

    // The password from the environment (Provisioning__CertificatePassword), else from a systemd credential file.
    private static string CertificatePassword(ServerSettings settings)
    {
        if (settings.CertificatePassword is { Length: > 0 } given)
            return given;
        if (Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY") is { Length: > 0 } credentials
            && Path.Combine(credentials, PasswordCredential) is var file && File.Exists(file))
            return File.ReadAllText(file).TrimEnd('\r', '\n');
        return "";
    }

    private static CertificateWithChain? LoadOperatorCertificate(ServerSettings settings)
    {
        if (settings.CertificatePath is null)
        {
            if (settings.CertificateKeyPath is not null)
                throw new StartupException("CertificateKeyPath is set without CertificatePath: give the certificate file too.");
            return null;
        }
        CertificateWithChain loaded;
        try
        {
            loaded = CertificateFile.LoadWithKey(Path.GetFullPath(settings.CertificatePath), settings.CertificateKeyPath is { } key ? Path.GetFullPath(key) : null,
                CertificatePassword(settings));
        }
        catch (CertificateFileException ex)
        {
            throw new StartupException(ex.Message, ex);
        }
        var usage = loaded.Certificate.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (usage is not null && !usage.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Any(o => o.Value == "1.3.6.1.5.5.7.3.1"))
        {
            string subject = loaded.Certificate.Subject;
            loaded.Dispose();
            throw new StartupException($"The certificate {subject} in {settings.CertificatePath} is not for TLS servers (its extended key usage lacks serverAuth): issue one for server authentication.");
        }
        return loaded;
    }

    /// <summary>The names the server's own certificate carries: the configured ones, localhost, the host name, loopback and the listen addresses.</summary>
    internal static (IReadOnlyList<string> HostNames, IReadOnlyList<IPAddress> Addresses) CertificateNames(ServerSettings settings, IEnumerable<ListenAddress> https)
    {
        var names = new List<string>();
        var addresses = new List<IPAddress>();
        foreach (string text in settings.IpAddresses)
        {
            if (!IPAddress.TryParse(text.Trim().Trim('[', ']'), out var address))
                throw new StartupException($"'{text}' in IpAddresses is not an IP address (host names go in HostNames).");
            addresses.Add(address);
        }
        foreach (string text in settings.HostNames)
        {
            string name = text.Trim().TrimEnd('.');
            if (IPAddress.TryParse(name.Trim('[', ']'), out var address))
                addresses.Add(address);
            else if (Uri.CheckHostName(name) == UriHostNameType.Dns)
                names.Add(name);
            else
                throw new StartupException($"'{text}' in HostNames is not a DNS host name.");
        }
        names.Add("localhost");
        if (Uri.CheckHostName(Dns.GetHostName()) == UriHostNameType.Dns)
            names.Add(Dns.GetHostName());
        addresses.Add(IPAddress.Loopback);
        addresses.Add(IPAddress.IPv6Loopback);
        foreach (var listen in https)
        {
            if (listen.Host is "*" or "+" or "0.0.0.0" or "::" or "[::]")
                addresses.AddRange(MachineAddresses());
            else if (IPAddress.TryParse(listen.Host.Trim('[', ']'), out var address))
                addresses.Add(address);
            else if (Uri.CheckHostName(listen.Host) == UriHostNameType.Dns)
                names.Add(listen.Host);
        }
        return (names.Distinct(StringComparer.OrdinalIgnoreCase).ToArray(), addresses.Distinct().ToArray());
    }

    // A wildcard listener is reached on every address of the machine.
    private static IEnumerable<IPAddress> MachineAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .Where(a => a.AddressFamily == AddressFamily.InterNetwork || a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal)
                .ToArray();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    /// <summary>A listen address of the urls setting.</summary>
    internal sealed record ListenAddress(string Text, string Scheme, string Host, int Port);

    private static ListenAddress Parse(string url)
    {
        try
        {
            var address = BindingAddress.Parse(url);
            return new ListenAddress(url, address.Scheme.ToLowerInvariant(), address.Host, address.Port);
        }
        catch (FormatException ex)
        {
            throw new StartupException($"'{url}' is not a listen address: give it as https://host:port (or http://), e.g. https://0.0.0.0:8085.", ex);
        }
    }

    private static async Task RefusePlainHttpAsync(ConnectionContext connection, ConnectionDelegate next, HashSet<int> httpsPorts)
    {
        if (connection.LocalEndPoint is not IPEndPoint local || !httpsPorts.Contains(local.Port))
        {
            await next(connection);
            return;
        }
        var input = connection.Transport.Input;
        ReadResult read;
        // The TLS handshake's own timeout starts after this: a connection that sends nothing is not kept waiting here.
        using (var silent = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            silent.CancelAfter(FirstByteTimeout);
            try
            {
                read = await input.ReadAsync(silent.Token);
            }
            catch (OperationCanceledException)
            {
                connection.Abort(new ConnectionAbortedException("No data within the TLS handshake timeout."));
                return;
            }
        }
        var buffer = read.Buffer;
        // A TLS connection starts with a handshake record (0x16); an HTTP request with a method name in letters.
        if (buffer.Length == 0 || !char.IsAsciiLetterUpper((char)buffer.FirstSpan[0]))
        {
            input.AdvanceTo(buffer.Start, buffer.Start);
            if (!(read.IsCompleted && buffer.IsEmpty))
                await next(connection);
            return;
        }
        string host = HostHeader(buffer) ?? $"{local.Address}:{local.Port}";
        string detail = $"This port speaks HTTPS, not plain HTTP: use https://{host}/ (Connect-ProvServer -Uri https://{host}).";
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new ApiProblem("Bad request", 400, detail, ProvServerException.HttpsRequiredId), ApiJson.Options);
        byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        input.AdvanceTo(buffer.End);
        await connection.Transport.Output.WriteAsync(head);
        await connection.Transport.Output.WriteAsync(body);
        await connection.Transport.Output.CompleteAsync();
    }

    private static string? HostHeader(ReadOnlySequence<byte> buffer)
    {
        string request = Encoding.ASCII.GetString(buffer.Slice(0, Math.Min(buffer.Length, 8192)).ToArray());
        foreach (string line in request.Split("\r\n").Skip(1))
        {
            if (line.Length == 0)
                break;
            if (line.StartsWith("Host:", StringComparison.OrdinalIgnoreCase))
            {
                string host = line[5..].Trim();
                // Echoed into the answer: only what a host and port are made of.
                return host.Length is > 0 and < 256 && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']') ? host : null;
            }
        }
        return null;
    }
}
