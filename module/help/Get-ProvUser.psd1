@{
    Synopsis    = 'Lists the server''s user accounts, never their passwords.'
    Description = 'Lists the accounts people sign in to the web pages with (needs an admin token): name, role, whether disabled or locked after failed sign-ins, and the last sign-in. A name without wildcards that matches no account is an error, as with Get-Process; a pattern that matches none returns nothing.'
    Parameters  = @{
        Name   = 'Only accounts whose name matches; wildcards are allowed, case does not matter.'
        Server = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Inputs      = @{ 'System.String' = 'Names, by the Name property.' }
    Outputs     = @{ 'Provisioning.PowerShell.ProvUser' = 'Id, Name, Role, Disabled, Locked, LockedUntil, Created, Updated, LastLogin.' }
    Examples    = @(
        @{
            Code    = 'Get-ProvUser'
            Remarks = 'Lists every account.'
        }
        @{
            Code    = 'Get-ProvUser | Where-Object { $_.Locked -or $_.Disabled }'
            Remarks = 'Lists the accounts that cannot sign in now: disabled, or locked after repeated failed sign-ins.'
        }
        @{
            Code    = 'Get-ProvUser -Name op.* | Format-List Name, Role, LastLogin'
            Remarks = 'Shows when each operator account last signed in.'
        }
    )
    Links       = @('New-ProvUser', 'Set-ProvUser', 'Remove-ProvUser')
}
