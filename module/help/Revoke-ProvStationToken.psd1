@{
    Synopsis    = 'Revokes a station token: the server refuses it from then on.'
    Description = 'Revokes tokens by ID (needs an admin token). Pipe tokens from Get-ProvStationToken. The token stays in the list as revoked (Get-ProvStationToken -IncludeRevoked). Supports -WhatIf and -Confirm.'
    Parameters  = @{
        Id     = 'The token''s ID, e.g. from Get-ProvStationToken.'
        Server = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Inputs      = @{ 'Provisioning.PowerShell.ProvStationToken' = 'Tokens, by their Id property.' }
    Examples    = @(
        @{
            Code    = 'Get-ProvStationToken line1-port3 | Revoke-ProvStationToken'
            Remarks = 'Revokes the token of a station port that was retired.'
        }
        @{
            Code    = 'Get-ProvStationToken line1* | Revoke-ProvStationToken -WhatIf'
            Remarks = 'Shows which tokens would be revoked.'
        }
    )
    Links       = @('New-ProvStationToken', 'Get-ProvStationToken')
}
