@{
    Synopsis    = 'Connects the session to a provisioning server: checks that it answers and accepts the token, then makes it the current server.'
    Description = @'
Checks the server's health, then asks the server who the token is (its name, and whether it is an admin or a station token) and records that; connecting a station leaves nothing in the server's log to chase. The server becomes the current server of this PowerShell runspace: the server cmdlets use it when -Server is not given. Any server cmdlet also takes -Server with a handle, a connection or an address; an address uses the token this session already holds for it.

A bare host name gets http and the guide's port 8085 (prov1 means http://prov1:8085). Without -Token, the token of a server started from this session is used.

Over HTTPS the server's certificate must be trusted before anything is sent: by its CA (-CaCertificatePath, the server's tls/ca.crt), by a pinned SHA-256 fingerprint of the server's certificate or of its CA (-CertificateThumbprint, as the server logs them when it starts), or, with neither, by this computer's trust store (an operator certificate from a public or company CA). A certificate that none of these accepts is refused, and the error shows its fingerprints and what to pass once the server's operator has confirmed them. On connecting, the certificate and CA fingerprints are shown (information stream) so they can be checked. There is no way to skip the check. Without -CaCertificatePath or -CertificateThumbprint, the trust this session holds for the address (from Start-ProvServer -Tls, or an earlier Connect-ProvServer) is kept.

-Certificate presents a client (station) certificate to a server that accepts them, e.g. one started with -RequireClientCertificate.
'@
    Parameters  = @{
        Uri      = 'The server''s address, e.g. http://127.0.0.1:8085 or prov1.'
        Token    = 'An admin token (admin.token in the server''s data folder) or a station token from New-ProvStationToken, as a SecureString.'
        CaCertificatePath     = 'The server''s CA certificate, PEM or DER: tls/ca.crt in the data folder of a server using its own CA, or an operator''s CA. The server''s certificate must chain to it and name the host connected to.'
        CertificateThumbprint = 'SHA-256 fingerprint(s) of the server''s certificate or of its CA (64 hex digits; colons as openssl prints them are fine). Check them with the server''s operator first. The CA''s fingerprint stays valid when the server renews its certificate.'
        Certificate           = 'A client certificate with its private key: an X509Certificate2, or the path of a PFX file (with -CertificatePassword) or PEM file holding the key.'
        CertificatePassword   = 'The password of the -Certificate file, as a SecureString.'
        PassThru = 'Returns the connection (Uri, Role, TokenName, ServerVersion, Database, ProcessId, ServerCertificate).'
    }
    Outputs     = @{ 'Provisioning.PowerShell.ProvServerConnection' = 'With -PassThru: the connection. The token stays a SecureString and is never shown.' }
    Examples    = @(
        @{
            Code    = 'Connect-ProvServer -Uri http://prov1:8085 -Token (Read-Host -AsSecureString "Admin token")
Get-ProvPackage'
            Remarks = 'Connects to the factory''s server and lists its packages.'
        }
        @{
            Code    = '$token = Get-Content /var/lib/provisioning/admin.token | ConvertTo-SecureString -AsPlainText -Force
Connect-ProvServer prov1 -Token $token -PassThru'
            Remarks = 'Connects with the admin token file of a server running as a service and shows the connection.'
        }
        @{
            Code    = 'Connect-ProvServer -Uri https://prov1:8085 -CaCertificatePath ./prov1-ca.crt -Token (Read-Host -AsSecureString "Admin token")'
            Remarks = 'Connects over HTTPS to a server that uses its own CA, trusting the CA certificate copied from tls/ca.crt of its data folder.'
        }
        @{
            Code    = 'Connect-ProvServer -Uri https://prov1:8085 -CertificateThumbprint 3F9A6C0E5B1D47A2C8E4F6B0D2A9C7E1F3B5D8A0C2E4F6A8B0D2C4E6F8A0B2C4 -Token (Read-Host -AsSecureString "Station token")'
            Remarks = 'Connects a station by the CA fingerprint its operator read from the server''s log (TLS: ... CA SHA-256 ...).'
        }
    )
    Links       = @('Start-ProvServer', 'New-ProvStationToken')
}
