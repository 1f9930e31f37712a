namespace Provisioning.Core.Client;

public sealed partial class ProvServerException
{
    /// <summary>The error ID the server answers with when plain HTTP reaches its HTTPS port.</summary>
    public const string HttpsRequiredId = "HttpsRequired";

    /// <summary>The server's certificate was refused: what it showed, why, and what to pass after checking it.</summary>
    public static ProvServerException CertificateRejected(Uri server, CertificateRejection rejection, ServerTrust trust, Exception inner)
    {
        string display = ServerAddress.Display(server);
        var shown = rejection.Presented;
        string what = shown is null ? "" : Shown(shown);
        // The CA's fingerprint is the one worth pinning: it stays when the server renews its own certificate.
        string pin = shown?.CaFingerprint ?? shown?.Fingerprint ?? "<fingerprint>";
        string check = "Check the fingerprint with the server's operator (the server logs it when it starts) before trusting it";
        string message = rejection.Reason switch
        {
            CertificateRejectionReason.NoCertificate =>
                $"The server at {display} sent no certificate, so it cannot be trusted; check that the address is a provisioning server started with -Tls.",
            CertificateRejectionReason.Expired =>
                $"The server at {display} presented a certificate that is not valid now ({what}; valid until {shown?.NotAfter:yyyy-MM-dd HH:mm} UTC). " +
                "A server using its own CA renews its certificate by itself (restart it if it is this old); an operator's certificate must be replaced, and this computer's clock must be right.",
            CertificateRejectionReason.NameMismatch =>
                $"The server's certificate is not valid for the name '{rejection.Host}': it names {string.Join(", ", shown?.Names ?? [])}. " +
                $"Connect with one of those names (e.g. {Renamed(server, shown?.Names.FirstOrDefault())}), or have the certificate issued for '{rejection.Host}' " +
                "(Start-ProvServer -Tls -HostName / -IpAddress, or the HostNames and IpAddresses settings).",
            CertificateRejectionReason.NotPinned =>
                $"The server at {display} presented a certificate that matches no pinned fingerprint ({what}); the pin is {string.Join(", ", trust.Fingerprints)}. " +
                $"If the server's certificate or CA was replaced on purpose, check the new fingerprint with its operator, then connect with -CertificateThumbprint {pin}; otherwise this may not be your server.",
            CertificateRejectionReason.NotFromCa =>
                $"The server at {display} presented a certificate that the given trust does not accept ({what}); trusted are {trust.Describe()}. " +
                $"Give the CA of that server with -CaCertificatePath (ca.crt in the tls folder of its data path), or, after checking it with the server's operator, -CertificateThumbprint {pin}.",
            _ =>
                $"The server at {display} presented a certificate this computer does not trust ({what}). " +
                $"{check}, then connect with -CertificateThumbprint {pin}, or with -CaCertificatePath <ca.crt from the tls folder of the server's data path>.",
        };
        return new ProvServerException(server, null, "CertificateNotTrusted", message, inner: inner);
    }

    /// <summary>An https:// address reached a port that answers plain HTTP.</summary>
    public static ProvServerException PlainHttpPort(Uri server, Exception inner)
    {
        var plain = new UriBuilder(server) { Scheme = Uri.UriSchemeHttp, Port = server.Port }.Uri;
        return new ProvServerException(server, null, "ServerSpeaksHttp",
            $"The server at {ServerAddress.Display(server)} speaks plain HTTP on that port, not HTTPS: use {ServerAddress.Display(plain)}, " +
            "or start the server with -Tls (the Tls setting) to serve HTTPS.", inner: inner);
    }

    /// <summary>The TLS handshake failed for a reason other than the certificate.</summary>
    public static ProvServerException TlsFailed(Uri server, Exception inner) =>
        new(server, null, "TlsFailed",
            $"HTTPS with the server at {ServerAddress.Display(server)} could not be set up ({Innermost(inner).Message.TrimEnd('.')}). " +
            "Check that the address and port are the server's HTTPS address and that it was started with -Tls.", inner: inner);

    /// <summary>Plain HTTP reached the server's HTTPS port.</summary>
    internal static string HttpsRequired(Uri server)
    {
        var https = new UriBuilder(server) { Scheme = Uri.UriSchemeHttps, Port = server.Port }.Uri;
        return $"The server at {ServerAddress.Display(server)} speaks HTTPS: use {ServerAddress.Display(https)} (Connect-ProvServer -Uri {ServerAddress.Display(https)}).";
    }

    private static string Shown(PresentedCertificate shown) =>
        $"{shown.Subject}, SHA-256 {shown.Fingerprint}" +
        (shown.CaFingerprint is null ? "" : $", issued by CA {shown.CaSubject}, SHA-256 {shown.CaFingerprint}");

    private static string Renamed(Uri server, string? host)
    {
        if (host is null) return ServerAddress.Display(server);
        return ServerAddress.Display(new UriBuilder(server) { Host = host.Contains(':') ? $"[{host}]" : host }.Uri);
    }
}
