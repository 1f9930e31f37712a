@{
    Synopsis    = 'Makes a user account for the web pages: an admin, or an exporter who may only read packages and devices and export keys.'
    Description = @'
Creates an account on the server (needs an admin token or an admin's session). There is no default account: the first admin account is made with the admin token the server wrote to its data folder on first start (Start-ProvServer connects with it), after which admins can sign in to the web pages at /provisioning.

With -Password the account gets that password (at least 12 characters; a few unrelated words make a good one). Without -Password a strong password is generated (four groups of five letters and digits, about 99 bits) and returned once, as a SecureString in the Password property of the result, the way New-ProvStationToken returns a token: read it with ConvertFrom-SecureString -AsPlainText and hand it to the person. The server keeps only a salted PBKDF2 hash and can never show it again; Set-ProvUser -Password resets it.

User names are 1 to 64 letters, digits and . _ - @, and compare case-insensitively (they are kept in lower case). Supports -WhatIf and -Confirm.
'@
    Parameters  = @{
        Name     = 'The sign-in name: letters, digits and . _ - @ (no spaces); kept in lower case.'
        Role     = 'Admin (everything) or Exporter (read packages, configurations and devices, and export keys; no import, no tokens, no accounts, no audit log).'
        Password = 'The password as a SecureString, at least 12 characters. Without it a strong one is generated and returned once in the Password property.'
        Server   = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Inputs      = @{ 'System.Management.Automation.PSObject' = 'Objects with Name and Role properties (e.g. from Import-Csv), by property name.' }
    Outputs     = @{ 'Provisioning.PowerShell.ProvUser' = 'Id, Name, Role, Disabled, Created; Password (SecureString) only when it was generated.' }
    Examples    = @(
        @{
            Code    = '$user = New-ProvUser -Name alice -Role Exporter
$user.Password | ConvertFrom-SecureString -AsPlainText'
            Remarks = 'Makes an exporter account with a generated password and shows that password, once, to hand to Alice.'
        }
        @{
            Code    = 'New-ProvUser -Name bob -Role Admin -Password (Read-Host -AsSecureString "Password for bob")'
            Remarks = 'Makes an admin account with a password typed at the prompt.'
        }
        @{
            Code    = '[pscustomobject]@{ Name = "carol"; Role = "Exporter" }, [pscustomobject]@{ Name = "dave"; Role = "Exporter" } | New-ProvUser -WhatIf'
            Remarks = 'Shows what would be made for a list of people (from Import-Csv, say): the Name and Role properties bind by name.'
        }
    )
    Links       = @('Get-ProvUser', 'Set-ProvUser', 'Remove-ProvUser', 'Get-ProvAuditLog', 'New-ProvStationToken')
}
