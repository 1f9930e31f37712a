@{
    Synopsis    = 'Lists the station client certificates the server''s CA issued, never a key.'
    Description = 'Lists the station certificates the server knows (needs an admin token): ID, name, status (Valid, Expired, NotYetValid or Revoked), validity, serial number and SHA-256 thumbprint, who issued and who revoked each. Revoked certificates are left out unless -IncludeRevoked is given.'
    Parameters  = @{
        Name           = 'Only certificates whose name matches; wildcards are allowed.'
        IncludeRevoked = 'Also lists revoked certificates.'
        Server         = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Outputs     = @{ 'Provisioning.PowerShell.ProvStationCertificate' = 'Id, Name, Status, NotBefore, NotAfter, Thumbprint, Serial, Issued, IssuedBy, Revoked, RevokedBy.' }
    Examples    = @(
        @{
            Code    = 'Get-ProvStationCertificate line*'
            Remarks = 'Lists the certificates of the lines.'
        }
        @{
            Code    = 'Get-ProvStationCertificate | Where-Object NotAfter -lt (Get-Date).AddDays(60)'
            Remarks = 'Lists the certificates that expire within 60 days: make their successors with New-ProvStationCertificate.'
        }
        @{
            Code    = 'Get-ProvStationCertificate -IncludeRevoked | Where-Object Status -eq Revoked | Format-List Name, Revoked, RevokedBy'
            Remarks = 'Shows which certificates were revoked, when and by whom.'
        }
    )
    Links       = @('New-ProvStationCertificate', 'Revoke-ProvStationCertificate')
}
