@{
    Synopsis    = 'Makes a station client certificate: the key pair is generated here, the server''s CA signs the request, and a password-protected PFX is written.'
    Description = @'
Generates an ECDSA P-256 key pair on this machine, sends the server (with an admin token) a PKCS#10 certificate request naming the station, and receives the certificate signed by the server's private CA, with the CA certificate. Both are checked (the certificate carries this key and chains to that CA), then written with the private key into a PFX encrypted with -Password (PBES2, AES-256, SHA-256), readable by its owner only. The private key never leaves this machine but in that file; the server records the certificate's serial number and SHA-256 thumbprint, never a key.

A station connects with the file (Connect-ProvServer -Certificate) and Invoke-NodeProvision then authenticates by the certificate over mutual TLS; a server started with -RequireClientCertificate accepts nothing else from stations. Run it on the station PC that will use the certificate, or copy the PFX there and keep its password apart from it. Revoke-ProvStationCertificate ends a certificate at once on every server instance sharing the database.
'@
    Parameters  = @{
        Name      = 'A name saying which station or line uses the certificate (1 to 64 printable characters); it becomes the certificate''s common name and appears in the audit log.'
        Path      = 'The PFX file to write. An existing file is kept unless -Force is given.'
        Password  = 'The password that encrypts the PFX, as a SecureString. Connect-ProvServer -Certificate needs it to open the file.'
        ValidDays = 'Days the certificate is valid, 1 to 3650.'
        Force     = 'Replaces an existing file at -Path.'
        Server    = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Defaults    = @{ ValidDays = '825' }
    Inputs      = @{ 'System.Management.Automation.PSObject' = 'Objects with Name and Path properties, e.g. rows of Import-Csv.' }
    Outputs     = @{ 'Provisioning.PowerShell.ProvStationCertificate' = 'Id, Name, Status, NotBefore, NotAfter, Thumbprint, Serial, Path (the PFX) and CaThumbprint.' }
    Examples    = @(
        @{
            Code    = '$password = Read-Host -AsSecureString "PFX password"
New-ProvStationCertificate -Name "line 1" -Path ./line1.pfx -Password $password'
            Remarks = 'Makes the certificate of line 1 into line1.pfx, valid for 825 days.'
        }
        @{
            Code    = '"line 2", "line 3" | ForEach-Object { New-ProvStationCertificate -Name $_ -Path "./$($_ -replace " ").pfx" -Password $password -ValidDays 365 }'
            Remarks = 'Makes one certificate per line, valid for a year, with the password of the first example.'
        }
    )
    Notes       = 'Instances sharing one database must share the master key and the CA files (tls/ca.crt and tls/ca.key.sealed under the data path): a certificate issued by one is then accepted, and its revocation seen, by all.'
    Links       = @('Get-ProvStationCertificate', 'Revoke-ProvStationCertificate', 'Connect-ProvServer', 'Start-ProvServer')
}
