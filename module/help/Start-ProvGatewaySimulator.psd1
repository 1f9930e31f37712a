@{
    Synopsis    = 'Starts a simulated factory gateway in this PowerShell process: a control port for stations and a radio endpoint where simulated nodes join.'
    Description = @'
The multi-stage eMCM flow (guide Appendix D) tests every meter over the air against the factory network's gateway: PRETEST clears the node's status on the gateway, the node joins the factory network while it runs its factory configuration, and POSTTEST checks on the gateway that it joined. This cmdlet runs such a gateway for rehearsal and tests, speaking the protocols of docs/gateway-protocol.md.

The control port (-ControlPort, the guide's default 4021; 0 picks a free port, see the ControlPort property) answers node status queries and clears a node's status. It speaks the 2.x message set by default; with -Csys1x it runs as a 1.x system, and a station must then use its 1.x option (-Csys1x, --csys_1_x): a station speaking the other version stops with code 140 (gateway message library not found). With -Tls the control port speaks TLS with the certificate in -CertificatePath (PEM with its key, the key in -CertificateKeyPath, or PFX); with -ClientCaCertificatePath it also asks stations for a client certificate issued by that CA. A station whose certificate files are missing gets code 141.

The radio endpoint (the RadioEndpoint property, host:port; -RadioPort, any free port by default) stands in for the air: give it to Start-ProvNodeSimulator -Gateway (or pass the object itself). A simulated node whose active configuration is a factory configuration holding the line network_id=<id> of this gateway's network (-NetworkId, default factory) joins after -JoinDelay seconds (2 by default). A node on its field configuration leaves; a node that is reset joins again; a node whose status a station clears is dropped and, still on its factory configuration, joins afresh a second later, so the status a station finds after a clear is newer than the clear. A node naming another network is refused.

Faults (-Fault, several may be combined): Unreachable (connections to the control port are taken by the operating system but never served, as with a hung or black-holed gateway: code 132; a stopped gateway refuses connections, also 132), ErrorAnswers (status and clear requests are answered with errors: code 133), NeverJoin (nodes are heard but never admitted: code 134 once the station's timeout has passed).

The returned object shows the gateway's state: Nodes (the joined nodes), GetNodeStatus(<node ID>) (what a status query answers), ClearNode(<node ID>), Joins (joins so far), NodesInRange, ControlConnections and Events (the last 200 events with their UTC time: joins, clears, refusals, failed TLS handshakes). The node table is kept in memory only. The gateway runs until Stop-ProvGatewaySimulator or until PowerShell exits.
'@
    Parameters  = @{
        ControlPort             = 'TCP port of the control port; the guide''s default is 4021. 0 picks a free port (see the ControlPort property).'
        RadioPort               = 'TCP port of the radio endpoint where simulated nodes join; 0 (the default) picks a free one (see the RadioEndpoint property).'
        ListenAddress           = 'IP address both ports listen on; 127.0.0.1 by default (0.0.0.0 for stations on other machines).'
        NetworkId               = 'The factory network the gateway serves: nodes whose factory configuration holds the line network_id=<this> join it. 1 to 64 letters, digits, ".", "_" or "-".'
        JoinDelay               = 'How long a node''s join takes once the gateway hears it: seconds (1, 0.5) or a TimeSpan. 2 s by default.'
        Csys1x                  = 'Runs as a 1.x system: greeting and message set of 1.x (decimal node IDs). Stations must use their 1.x option (-Csys1x, --csys_1_x).'
        Tls                     = 'Speaks TLS on the control port, with the certificate in -CertificatePath.'
        CertificatePath         = 'TLS: the gateway''s certificate: a PEM file (holding its key, or with the key in -CertificateKeyPath) or a PFX without a password. Its name should match the host stations connect to.'
        CertificateKeyPath      = 'TLS: the PEM private key of -CertificatePath when it is a separate file.'
        ClientCaCertificatePath = 'TLS: asks every station for a client certificate issued by this CA (PEM) and refuses those without one.'
        Fault                   = 'Faults to inject: Unreachable (132), ErrorAnswers (133), NeverJoin (134); combine with a comma.'
    }
    Outputs     = @{ 'Provisioning.Core.Gateway.Simulator.GatewaySimulator' = 'The running gateway: ControlPort, RadioEndpoint, NetworkId, Version, Tls, Faults, Nodes, Joins, NodesInRange, Events, IsRunning; GetNodeStatus() and ClearNode().' }
    Examples    = @(
        @{
            Code    = '$gw = Start-ProvGatewaySimulator -ControlPort 0 -NetworkId factory -JoinDelay 1
$gw | Format-List ControlPort, RadioEndpoint, NetworkId, Version
$gw | Stop-ProvGatewaySimulator'
            Remarks = 'Starts a 2.x gateway for the network "factory" on a free control port and shows where stations and nodes reach it.'
        }
        @{
            Code    = 'Set-Content ./cfg/factory.cfg "channel=3`nnetwork_id=factory"
$package = New-ProvPackage -Path ./ota_4711.tar.gz -ConfigId 4711 -ConfigAlias ota_demo -AppLabel ota_demo -NodeType UNODE -NodeVersion 1.2.3.4 `
    -NodeFirmware ./fw/node.bin -NodeFieldConfig ./cfg/field.cfg -NodeFactoryConfig ./cfg/factory.cfg `
    -KmsPublicKeyPath ./kms/kms_key.pub.pem -GatewayKeyFile ./network/gw_keys.csv.aes
$null = Import-ProvPackage $package.Path -Passphrase (Read-Host -AsSecureString "Gateway key file passphrase")
$gw = Start-ProvGatewaySimulator -ControlPort 0 -JoinDelay 0.5
$node = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId 0x4711 -NodeType UNODE -Gateway $gw
$null = Invoke-NodeProvision -Port $node.Endpoint -ConfigAlias ota_demo -Batch 1000 -FactoryConfig -SkipKeys
$deadline = (Get-Date).AddSeconds(30)
while ($gw.GetNodeStatus(0x4711).State -ne "Joined" -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
$gw.GetNodeStatus(0x4711)
$node | Stop-ProvNodeSimulator
$gw | Stop-ProvGatewaySimulator'
            Remarks = 'The over-the-air test rehearsed: a package whose factory configuration names the network "factory", a simulated node in range of the gateway, provisioned with its factory configuration; the node joins half a second later and the gateway reports it joined.'
        }
        @{
            Code    = '$gw = Start-ProvGatewaySimulator -ControlPort 0 -Csys1x -Fault NeverJoin
$gw.Version
$gw | Stop-ProvGatewaySimulator'
            Remarks = 'A 1.x gateway (version 1.9) that never admits a node: a station''s join wait ends with code 134 after its timeout.'
        }
        @{
            Code    = '& openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" `
    -keyout ./gateway.key -out ./gateway.crt 2>$null
$gw = Start-ProvGatewaySimulator -ControlPort 0 -Tls -CertificatePath ./gateway.crt -CertificateKeyPath ./gateway.key
$gw.Tls
$gw | Stop-ProvGatewaySimulator'
            Remarks = 'A gateway speaking TLS on its control port with a certificate made with openssl. Stations trust it with that certificate as their CA file (-GatewayCaCertificate ./gateway.crt); add -ClientCaCertificatePath to ask them for client certificates too.'
        }
        @{
            Code    = 'Start-ProvGatewaySimulator -WhatIf'
            Remarks = 'Shows which gateway would be started (control port 4021) without starting it.'
        }
    )
    Links       = @('Stop-ProvGatewaySimulator', 'Start-ProvNodeSimulator', 'about_Provisioning')
}
