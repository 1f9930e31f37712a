@{
    Synopsis    = 'Connects the session to a provisioning server: checks that it answers and accepts the token, then makes it the current server.'
    Description = @'
Checks the server's health, then asks the server who the token is (its name, and whether it is an admin or a station token) and records that; connecting a station leaves nothing in the server's log to chase. The server becomes the current server of this PowerShell runspace: the server cmdlets use it when -Server is not given. Any server cmdlet also takes -Server with a handle, a connection or an address; an address uses the token this session already holds for it.

A bare host name gets http and the guide's port 8085 (prov1 means http://prov1:8085). Without -Token, the token of a server started from this session is used.
'@
    Parameters  = @{
        Uri      = 'The server''s address, e.g. http://127.0.0.1:8085 or prov1.'
        Token    = 'An admin token (admin.token in the server''s data folder) or a station token from New-ProvStationToken, as a SecureString.'
        PassThru = 'Returns the connection (Uri, Role, TokenName, ServerVersion, Database, ProcessId).'
    }
    Outputs     = @{ 'Provisioning.PowerShell.ProvServerConnection' = 'With -PassThru: the connection. The token stays a SecureString and is never shown.' }
    Examples    = @(
        @{
            Code    = 'Connect-ProvServer -Uri http://prov1:8085 -Token (Read-Host -AsSecureString "Admin token")
Get-ProvPackage'
            Remarks = 'Connects to the factory''s server and lists its packages.'
        }
        @{
            Code    = '$token = Get-Content /var/lib/provisioning/admin.token | ConvertTo-SecureString -AsPlainText -Force
Connect-ProvServer prov1 -Token $token -PassThru'
            Remarks = 'Connects with the admin token file of a server running as a service and shows the connection.'
        }
    )
    Links       = @('Start-ProvServer', 'New-ProvStationToken')
}
