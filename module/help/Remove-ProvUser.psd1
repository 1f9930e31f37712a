@{
    Synopsis    = 'Removes a user account: it can no longer sign in. Its entries in the audit log stay.'
    Description = 'Removes accounts by name (needs an admin token). The audit log keeps what the account did (it is append-only). Asks for confirmation unless -Confirm:$false is given; supports -WhatIf. Pipe accounts from Get-ProvUser.'
    Parameters  = @{
        Name   = 'The names of the accounts, e.g. from Get-ProvUser.'
        Server = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Inputs      = @{ 'Provisioning.PowerShell.ProvUser' = 'Accounts, by their Name property.' }
    Examples    = @(
        @{
            Code    = 'Remove-ProvUser -Name bob -Confirm:$false'
            Remarks = 'Removes Bob''s account without asking.'
        }
        @{
            Code    = 'Get-ProvUser | Where-Object Disabled | Remove-ProvUser -WhatIf'
            Remarks = 'Shows which disabled accounts would be removed.'
        }
    )
    Links       = @('Get-ProvUser', 'New-ProvUser', 'Set-ProvUser')
}
