@{
    Synopsis    = 'Changes a user account: resets its password, disables or enables it, or changes its role.'
    Description = @'
Changes an account (needs an admin token). -Password sets a new password (at least 12 characters) and ends a lock left by failed sign-ins; -Disabled stops the account from signing in, -Enabled lets it again (and ends a lock); -Role makes it an Admin or an Exporter. Several changes can be made at once. Every change is recorded in the audit log (user.update). Pipe accounts from Get-ProvUser. Supports -WhatIf and -Confirm.
'@
    Parameters  = @{
        Name     = 'The account''s name, e.g. from Get-ProvUser.'
        Password = 'A new password as a SecureString (at least 12 characters).'
        Disabled = 'Disables the account: it can no longer sign in.'
        Enabled  = 'Enables a disabled account, and ends a lock after failed sign-ins.'
        Role     = 'A new role: Admin or Exporter.'
        PassThru = 'Writes the changed account.'
        Server   = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Inputs      = @{ 'Provisioning.PowerShell.ProvUser' = 'Accounts, by their Name property.' }
    Outputs     = @{ 'Provisioning.PowerShell.ProvUser' = 'With -PassThru, the changed account.' }
    Examples    = @(
        @{
            Code    = 'Set-ProvUser -Name alice -Password (Read-Host -AsSecureString "New password for alice")'
            Remarks = 'Resets Alice''s password (she forgot it, or was locked out after failed sign-ins).'
        }
        @{
            Code    = 'Get-ProvUser alice | Set-ProvUser -Disabled'
            Remarks = 'Disables Alice''s account while she is away; her audit history stays.'
        }
        @{
            Code    = 'Set-ProvUser alice -Enabled -Role Admin -PassThru'
            Remarks = 'Enables the account again and makes it an admin.'
        }
    )
    Links       = @('Get-ProvUser', 'New-ProvUser', 'Remove-ProvUser')
}
