@{
    Synopsis    = 'Lists the server''s station tokens (or, with -Role, exporter and admin tokens), never their secrets.'
    Description = 'Lists the station tokens the server knows (needs an admin token): ID, name, role, when made and when revoked. Revoked tokens are left out unless -IncludeRevoked is given.'
    Parameters  = @{
        Name           = 'Only tokens whose name matches; wildcards are allowed.'
        Role           = 'Only tokens of these roles: Station (the default), Exporter, Admin.'
        IncludeRevoked = 'Also lists revoked tokens.'
        Server         = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Outputs     = @{ 'Provisioning.PowerShell.ProvStationToken' = 'Id, Name, Role, Created, Revoked; Token is always empty here.' }
    Examples    = @(
        @{
            Code    = 'Get-ProvStationToken line1*'
            Remarks = 'Lists the tokens of line 1.'
        }
        @{
            Code    = 'Get-ProvStationToken -IncludeRevoked | Where-Object Revoked'
            Remarks = 'Lists the tokens that were revoked.'
        }
        @{
            Code    = 'Get-ProvStationToken -Role Exporter, Admin'
            Remarks = 'Lists the exporter and admin tokens.'
        }
    )
    Links       = @('New-ProvStationToken', 'Revoke-ProvStationToken')
}
