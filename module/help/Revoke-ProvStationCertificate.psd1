@{
    Synopsis    = 'Revokes a station client certificate: every server instance sharing the database refuses it from the next request on.'
    Description = @'
Revokes certificates by ID or by name (needs an admin token). Pipe certificates from Get-ProvStationCertificate. The server looks a station's certificate up in the database on every request, so the revocation holds at once, on every instance sharing the database; a station using it then gets code 101 with a message saying the certificate was revoked. The certificate stays in the list as revoked (Get-ProvStationCertificate -IncludeRevoked). Supports -WhatIf and -Confirm.
'@
    Parameters  = @{
        Id          = 'The certificate''s ID, e.g. from Get-ProvStationCertificate.'
        InputObject = 'Certificates from Get-ProvStationCertificate or New-ProvStationCertificate, usually from the pipeline. Other objects with an Id (a token) are refused, so a token''s ID never revokes a certificate.'
        Name        = 'The name the certificates were issued to: every unrevoked certificate of that name is revoked. Wildcards are allowed.'
        PassThru    = 'Returns the revoked certificates.'
        Server      = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Inputs      = @{ 'Provisioning.PowerShell.ProvStationCertificate' = 'Certificates from Get-ProvStationCertificate or New-ProvStationCertificate.' }
    Outputs     = @{ 'Provisioning.PowerShell.ProvStationCertificate' = 'With -PassThru: the revoked certificates.' }
    Examples    = @(
        @{
            Code    = '$spare = New-ProvStationCertificate -Name "spare PC" -Path ./spare.pfx -Password (Read-Host -AsSecureString "PFX password")
Revoke-ProvStationCertificate -Name "spare*" -WhatIf'
            Remarks = 'Shows which certificates a name (wildcards allowed) would revoke: here the one just made for a spare station PC.'
        }
        @{
            Code    = '$spare | Revoke-ProvStationCertificate -PassThru'
            Remarks = 'Revokes that certificate (the PC went missing); the object shows when and by whom.'
        }
        @{
            Code    = 'Get-ProvStationCertificate line* | Revoke-ProvStationCertificate -WhatIf'
            Remarks = 'Shows which certificates of the lines would be revoked.'
        }
    )
    Links       = @('New-ProvStationCertificate', 'Get-ProvStationCertificate')
}
