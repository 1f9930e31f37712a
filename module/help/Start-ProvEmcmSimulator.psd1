@{
    Synopsis       = 'Starts a simulated eMCM meter module (the host processor and the node behind it, on one line) on a serial port or a TCP port, in this PowerShell process.'
    Description    = @'
The simulator is an eMCM (embedded meter communications module, guide Appendix D) with the node behind it. Both share one line, as guide Appendix B describes: the node's messages travel as today, the eMCM's as the transport wrapper's host messages (orw's messages whose marker is not 0x47, the reliable wrapper's host frames, opt_psem's host table 2201). The eMCM speaks the eMCM protocol (docs/emcm-protocol.md): it reports its eMCM ID (16 hex digits; the last 8 are the partial MCM ID printed on the label), host type, firmware version, the digests of its factory and field configuration slots and which one is active, the check value of the MCM key it holds, quiet mode, the multi-stage operation it has passed, its hardware self-test and its lock; it takes firmware and configuration images in chunks (resumed by offset, checked against their SHA-256 before they are activated), the MCM key, quiet mode, the stage, and checks the link to its meter. The node answers the node protocol exactly as Start-ProvNodeSimulator's does.

It takes every parameter of Start-ProvNodeSimulator (the line, the node behind the eMCM, pacing, noise, the node's faults, the opt_psem meter) and adds the eMCM's own. The wrapper must carry host messages: orw, reliable or opt_psem (with -Wrapper none a station refuses eMCM commands with code 3).

What the eMCM is given is kept in its own state file (JSON, readable by its owner only, written atomically after every change): by default beside the node's -StatePath (node-1.json gives node-1.emcm.json), or -EmcmStatePath. The MCM key is in it as hex: the file is the module's flash. So a board provisioned in a fixture over serial with orw, then moved into a meter and reached through the optical port with opt_psem at 9600 baud, is started again with the same state files and keeps its firmware, configuration slots, stage and key.

Faults, each giving the station one code of the guide's Table 4: -Fault NoAnswer (the eMCM answers no host message while the node still answers: 68), HostError (every request but GetInfo gets an error answer: 69), KeyVerificationFails (the key check value reported is not the key's: the station's verification fails with 70), HardwareFails (the self-test reported by GetInfo fails, and flash writes fail: 72), MeterNotAnswering (the meter link check fails: 164). Several can be given.

Stop it with Stop-ProvNodeSimulator.
'@
    ParametersFrom = 'Start-ProvNodeSimulator'
    Parameters     = @{
        PortName            = 'Serial device the eMCM sits on (its fixture or the meter''s optical probe), e.g. the PortB of a virtual serial pair.'
        Listen              = 'TCP address to listen on: tcp://127.0.0.1:<port>. Port 0 picks a free port (see the Endpoint property).'
        Wrapper             = 'Transport wrapper on the line, carrying the node''s messages and the eMCM''s host messages: orw (guide Appendix B; fixtures), reliable, or opt_psem (the meter''s optical port, with -BaudRate 9600). Must match the station''s -Wrapper.'
        StatePath           = 'JSON state file of the node behind the eMCM; the eMCM''s own goes beside it (name.emcm.json) unless -EmcmStatePath is given.'
        EmcmId              = 'The eMCM ID, 16 hex digits; its last 8 are the partial MCM ID a station checks with -PartialMcmId.'
        EmcmFirmwareVersion = 'eMCM firmware version it starts with when it has no state file yet. An empty string means no firmware.'
        HostType            = 'The eMCM hardware (host) type it reports.'
        MeterId             = 'What the meter behind the eMCM answers to the link check.'
        EmcmStatePath       = 'JSON state file of the eMCM (its flash, MCM key included); default: beside the node''s -StatePath, or in memory only without one.'
        Fault               = 'eMCM faults to inject: NoAnswer (68), HostError (69), KeyVerificationFails (70), HardwareFails (72), MeterNotAnswering (164).'
        Gateway             = 'The factory gateway''s radio endpoint (host:port, from Start-ProvGatewaySimulator) in range of the node behind the eMCM, for the over-the-air test.'
    }
    Defaults       = @{ EmcmId = 'EC000000 and the node ID in 8 hex digits'; EmcmFirmwareVersion = '1.0.0'; HostType = 'emcm-a'; MeterId = 'MTR and the node ID'; Wrapper = 'none' }
    Outputs        = @{ 'Provisioning.Core.Emcm.Simulator.EmcmSimulator' = 'The running simulator: Endpoint (the port a station uses), EmcmId and PartialMcmId, EmcmState (what the eMCM holds), State (what the node holds), Node (the node simulator), ReadEmcmKey() and ReadKey(slot) for rehearsal checks. Pipe it to Stop-ProvNodeSimulator.' }
    Examples       = @(
        @{
            Code    = '$emcm = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Wrapper orw -NodeId 0x1234 -EmcmId 00A1B2C3D4E5F601
$emcm.PartialMcmId
$emcm.EmcmState
$emcm | Stop-ProvNodeSimulator'
            Remarks = 'Starts an eMCM with its node behind the guide''s orw wrapper on a free TCP port, shows the partial MCM ID on its label (D4E5F601) and what it holds, and stops it.'
        }
        @{
            Code    = '$pair = New-ProvVirtualSerialPair
$board = Start-ProvEmcmSimulator -PortName $pair.PortB -Wrapper orw -Pace -StatePath ./board-7.json -NodeId 7
# PRETEST in the fixture: the station uses $pair.PortA with -Wrapper orw
$board | Stop-ProvNodeSimulator
$meter = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Wrapper opt_psem -BaudRate 9600 -Pace -StatePath ./board-7.json -NodeId 7
# CHECKCONFIG and POSTTEST through the optical port: -Wrapper opt_psem -BaudRate 9600
$meter.EmcmState.Stage
$meter | Stop-ProvNodeSimulator; $pair | Remove-ProvVirtualSerialPair'
            Remarks = 'The kv2c flow of guide D.3: the board is first served in a fixture over a serial line with orw, then, assembled into its meter, through the optical port with opt_psem at 9600 baud. The same state files (board-7.json and board-7.emcm.json) carry what the fixture wrote.'
        }
        @{
            Code    = '$emcm = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Wrapper reliable -Fault MeterNotAnswering
$emcm.Options.Faults
$emcm | Stop-ProvNodeSimulator'
            Remarks = 'An eMCM whose meter does not answer: a station''s meter link check ends with code 164, "check that the eMCM module is seated in the meter correctly".'
        }
    )
    Links          = @('Stop-ProvNodeSimulator', 'Start-ProvNodeSimulator', 'New-ProvVirtualSerialPair', 'about_Provisioning')
}
