@{
    Synopsis    = 'Makes an access token: by default a station token, which can fetch configurations and files and record device results, nothing else.'
    Description = @'
Asks the server (with an admin token) for a new station token. The returned object carries the secret in its Token property as a SecureString; the server keeps only a hash and never shows it again, so store it where the station can read it. Get-ProvStationToken lists tokens without secrets; Revoke-ProvStationToken ends one.

-Role Exporter makes a token for a script that exports keys for the KMS (it may read packages and devices and export, nothing else: no import, no gateway keys, no tokens or accounts); -Role Admin makes another admin token.
'@
    Parameters  = @{
        Name   = 'A name saying which station, line or port uses the token; it appears in the server''s history of device records.'
        Role   = 'Station (the default), Exporter (read packages and devices, export keys) or Admin.'
        Server = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Inputs      = @{ 'System.String' = 'Token names.' }
    Outputs     = @{ 'Provisioning.PowerShell.ProvStationToken' = 'Id, Name, Role, Created and Token (SecureString, only on this object).' }
    Examples    = @(
        @{
            Code    = '$t = New-ProvStationToken -Name "line1-port3"
$t.Token | ConvertFrom-SecureString -AsPlainText | Set-Content -Path ./line1-port3.token'
            Remarks = 'Makes a token for one station port and saves it for that station (protect the file).'
        }
        @{
            Code    = '"line1", "line2", "line3" | New-ProvStationToken'
            Remarks = 'Makes one token per line.'
        }
        @{
            Code    = '$kms = New-ProvStationToken -Name "kms export job" -Role Exporter'
            Remarks = 'Makes a token for the nightly export script: it can run Export-ProvKey, Get-ProvPackage and Get-ProvDevice, nothing else.'
        }
    )
    Links       = @('Get-ProvStationToken', 'Revoke-ProvStationToken', 'Connect-ProvServer')
}
