@{
    Synopsis    = 'Stops a simulated gateway: closes its control port and radio endpoint and drops every connection.'
    Description = @'
Stops the gateway's background tasks, closes its control port and radio endpoint, and drops every connection: stations connected to it get code 132 on their next request, and simulated nodes in its range lose it and look for it again every second until a gateway listens on the same radio endpoint. What the gateway knew of nodes is forgotten.
'@
    Parameters  = @{
        InputObject = 'The gateway (or gateways) Start-ProvGatewaySimulator returned.'
    }
    Inputs      = @{ 'Provisioning.Core.Gateway.Simulator.GatewaySimulator' = 'Gateways from Start-ProvGatewaySimulator.' }
    Examples    = @(
        @{
            Code    = '$gw = Start-ProvGatewaySimulator -ControlPort 0
$gw | Stop-ProvGatewaySimulator
$gw.IsRunning'
            Remarks = 'Starts a gateway and stops it; IsRunning is then False.'
        }
        @{
            Code    = '$gw = Start-ProvGatewaySimulator -ControlPort 0
Stop-ProvGatewaySimulator $gw -WhatIf
$gw | Stop-ProvGatewaySimulator'
            Remarks = 'Shows which gateway would be stopped, then stops it.'
        }
    )
    Links       = @('Start-ProvGatewaySimulator')
}
