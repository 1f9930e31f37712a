@{
    Synopsis    = 'Stops a simulated node: closes its port and writes its state file.'
    Description = @'
Stops the simulator's background tasks, closes its serial port or TCP listener (and any open connection), and writes its state file, so an interrupted image transfer is kept for the next start with the same -StatePath.
'@
    Parameters  = @{
        InputObject = 'The simulator (or simulators) Start-ProvNodeSimulator or Start-ProvEmcmSimulator returned. An eMCM simulator stops with its node and line; both state files stay.'
    }
    Inputs      = @{ 'Provisioning.Core.Node.Simulator.NodeSimulator' = 'Simulators from Start-ProvNodeSimulator.'; 'Provisioning.Core.Emcm.Simulator.EmcmSimulator' = 'eMCM simulators from Start-ProvEmcmSimulator.' }
    Examples    = @(
        @{
            Code    = '$sims = 1..4 | ForEach-Object { Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId $_ }
$sims | Stop-ProvNodeSimulator'
            Remarks = 'Starts four simulated nodes and stops them all.'
        }
        @{
            Code    = '$sim | Stop-ProvNodeSimulator -WhatIf'
            Remarks = 'Shows which simulator would be stopped.'
        }
    )
    Links       = @('Start-ProvNodeSimulator', 'Start-ProvEmcmSimulator')
}
