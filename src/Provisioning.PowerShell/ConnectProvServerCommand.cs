using System.Management.Automation;
using System.Security;
using System.Security.Cryptography.X509Certificates;
using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Connects the session to a provisioning server: checks that it answers and accepts the token, then makes it the current server.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "ProvServer", SupportsShouldProcess = true)]
[OutputType(typeof(ProvServerConnection))]
public sealed class ConnectProvServerCommand : ProvCmdlet
{
    /// <summary>The server's address, e.g. http://127.0.0.1:8085.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Uri { get; set; } = "";

    /// <summary>An admin or station token.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    public SecureString? Token { get; set; }

    /// <summary>The server's CA certificate (PEM or DER), e.g. tls/ca.crt of the server's data folder: its certificates are trusted.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? CaCertificatePath { get; set; }

    /// <summary>SHA-256 fingerprint(s) of the server's certificate or of its CA, checked with the server's operator.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? CertificateThumbprint { get; set; }

    /// <summary>A client (station) certificate with its private key: an X509Certificate2, or a PFX/PEM file path.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public object? Certificate { get; set; }

    /// <summary>The password of the -Certificate file.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SecureString? CertificatePassword { get; set; }

    /// <summary>Returns the connection.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (!ServerAddress.TryParse(Uri, out var uri, out var error))
        {
            Fail(new ArgumentException(error), "InvalidServerAddress", ErrorCategory.InvalidArgument, Uri);
            return;
        }
        // Without -Token, a token this session already holds for the address (from Start-ProvServer) will do, unless a
        // station certificate is given: a station connecting by its certificate must not borrow the admin's token.
        var known = ProvServerSession.ForAddress(uri);
        var clientCertificate = ClientCertificate();
        var token = Token is { Length: > 0 } ? Token.Copy() : clientCertificate is null ? known.Token : null;
        var trust = Trust(uri, known, clientCertificate);
        if (token is null && clientCertificate is null)
            Fail(new ArgumentException($"No token for {ServerAddress.Display(uri)}: give one with -Token (Read-Host -AsSecureString 'Token'). " +
                "The admin token of a server is in admin.token under its data path; station tokens come from New-ProvStationToken."),
                "TokenMissing", ErrorCategory.InvalidArgument, Uri);

        if (!ShouldProcess(ServerAddress.Display(uri), "Make current provisioning server")) return;

        var connection = new ProvServerConnection(uri, token, trust);
        using var client = connection.OpenClient();
        try
        {
            var health = Await(client.GetHealthAsync(Cancellation));
            // The operator checks what the server showed against what its own operator reads in the server's log.
            if (client.ServerCertificate is { } shown)
            {
                connection.ServerCertificate = shown;
                WriteInformation(new HostInformationMessage { Message = FirstContact(uri, shown) }, ["PSHOST", "ProvServer", "Certificate"]);
            }
            connection.ServerVersion = health.Version;
            connection.Database = health.Database;
            connection.ProcessId = health.ProcessId;
            var identity = Await(client.GetIdentityAsync(Cancellation));
            connection.Role = identity.Role;
            connection.TokenName = identity.Name;
            if (identity.Database is { } database) connection.Database = database;
        }
        catch (ProvServerException e)
        {
            Fail(e, e.ErrorId, e.Status == 401 ? ErrorCategory.AuthenticationError
                : e.ErrorId == "CertificateNotTrusted" ? ErrorCategory.SecurityError : ErrorCategory.ConnectionError, Uri);
        }

        ProvServerSession.SetCurrent(connection);
        if (PassThru) WriteObject(connection);
    }

    internal static string FirstContact(Uri uri, PresentedCertificate shown) =>
        $"Connected to {ServerAddress.Display(uri)} over HTTPS.{Environment.NewLine}{shown}{Environment.NewLine}" +
        "Check these fingerprints with the server's operator (the server logs them when it starts). Other computers connect with " +
        $"-CertificateThumbprint {shown.CaFingerprint ?? shown.Fingerprint}" + (shown.CaFingerprint is null ? "." : " (the CA's: it stays when the server renews its certificate) or -CaCertificatePath with the server's tls/ca.crt.");

    // Given trust replaces what the session knew for the address; none given keeps it (Start-ProvServer's, an earlier Connect).
    private ServerTrust Trust(Uri uri, ProvServerConnection known, X509Certificate2? clientCertificate)
    {
        bool given = CaCertificatePath is not null || CertificateThumbprint is { Length: > 0 };
        if (given && uri.Scheme != System.Uri.UriSchemeHttps)
            Fail(new ArgumentException($"-CaCertificatePath and -CertificateThumbprint check an HTTPS server's certificate, but {ServerAddress.Display(uri)} is plain http: connect with https://."),
                "TrustWithoutHttps", ErrorCategory.InvalidArgument, Uri);
        if (!given)
            return clientCertificate is null ? known.Trust : known.Trust.WithClientCertificate(clientCertificate);
        IReadOnlyList<X509Certificate2> cas = [];
        if (CaCertificatePath is not null)
        {
            string path = ResolvePath(CaCertificatePath);
            try { cas = CertificateFile.LoadCaCertificates(path); }
            catch (CertificateFileException e) { Fail(e, "CaCertificateUnreadable", ErrorCategory.ReadError, path); }
        }
        try { return ServerTrust.Create(cas, CertificateThumbprint, clientCertificate ?? known.Trust.ClientCertificate); }
        catch (ArgumentException e) { Fail(e, "InvalidCertificateThumbprint", ErrorCategory.InvalidArgument, CertificateThumbprint); throw; }
        finally { foreach (var ca in cas) ca.Dispose(); }
    }

    private X509Certificate2? ClientCertificate()
    {
        object? value = Certificate is PSObject ps ? ps.BaseObject : Certificate;
        switch (value)
        {
            case null:
                return null;
            case X509Certificate2 { HasPrivateKey: false } certificate:
                Fail(new ArgumentException($"The certificate {certificate.Subject} given to -Certificate has no private key: give the PFX it was issued in (with -CertificatePassword), or a certificate from a store with its key."),
                    "CertificateWithoutKey", ErrorCategory.InvalidArgument, certificate);
                return null;
            case X509Certificate2 certificate:
                return certificate;
            case string or FileInfo:
                string path = ResolvePath(value.ToString()!);
                char[] password = Reveal(CertificatePassword);
                try
                {
                    // The chain that came with it stays behind: the server knows its own CA.
                    var loaded = CertificateFile.LoadWithKey(path, null, password);
                    foreach (var other in loaded.Chain) other.Dispose();
                    return loaded.Certificate;
                }
                catch (CertificateFileException e) { Fail(e, "ClientCertificateUnreadable", ErrorCategory.ReadError, path); return null; }
                finally { Clear(password); }
            default:
                Fail(new ArgumentException($"-Certificate takes an X509Certificate2 with its private key, or the path of a PFX or PEM file; '{value}' is neither."),
                    "InvalidCertificate", ErrorCategory.InvalidArgument, value);
                return null;
        }
    }
}
