@{
    Synopsis    = 'Stops a provisioning server cleanly: asks it to stop, waits for its process to exit, and kills it only as a last resort.'
    Description = @'
Sends the server its stop request with the admin token and waits until its process has exited. A server that accepted the request but is still running after -TimeoutSec is killed, with a warning; a local server process that no longer answers at all is killed too. A refused token is an error and nothing is killed.

Give the server as the handle Start-ProvServer returned (from the pipeline), as the process ID of a server started from this session, or as the address of a server this session is connected to. Afterwards the session forgets the server: the next cmdlets ask for Start-ProvServer or Connect-ProvServer.
'@
    Parameters  = @{
        InputObject = 'The handle Start-ProvServer returned.'
        ProcessId   = 'The process ID of a server started from this session.'
        Server      = 'The address (or connection) of a server this session is connected to; the token it holds for it is used, so it must be an admin token. -Uri is the older name.'
        TimeoutSec  = 'Seconds to wait for the process to exit before it is killed.'
    }
    Defaults    = @{ TimeoutSec = '30' }
    Inputs      = @{ 'Provisioning.PowerShell.ProvServerHandle' = 'Handles from Start-ProvServer.' }
    Examples    = @(
        @{
            Code    = '$server = Start-ProvServer -DataPath ./prov-data
# ... import, export ...
$server | Stop-ProvServer'
            Remarks = 'Stops the server this session started.'
        }
        @{
            Code    = 'Stop-ProvServer -Server http://127.0.0.1:8085 -WhatIf'
            Remarks = 'Shows which server would be stopped, without stopping it.'
        }
    )
    Links       = @('Start-ProvServer')
}
