@{
    Synopsis    = 'Starts a simulated node on a serial port or a TCP port, in this PowerShell process, for rehearsing station scripts without hardware.'
    Description = @'
The simulator speaks the node protocol (docs/node-protocol.md) the way a real node would: it reports its node ID, node type, hardware type, firmware version, calibration and configuration capacity, takes firmware and configuration images (resumable, checked against their SHA-256 before they are activated), keys (answering key checks with key check values, never the keys), locks and resets.

It serves on a serial device (-PortName, e.g. one end of a pair from New-ProvVirtualSerialPair) or on a TCP port (-Listen tcp://127.0.0.1:<port>; port 0 picks a free one, and the handle's Endpoint shows it). On TCP it serves one connection at a time and accepts the next when that one closes, as a serial-over-IP device server does.

What is written to the node is kept in the state file (-StatePath, JSON, readable by its owner only, written atomically): firmware version and digest, configuration digests, keys as hex (the file is the device's flash: protect it as you would the device), locks, counters, and an interrupted image transfer, which the next connection resumes. The file is read at start if it exists.

With -Pace both directions run no faster than -BaudRate (10 bits per byte), so firmware upload times are realistic; without it the simulator answers as fast as it can.

Faults for rehearsing what the line meets: -RejectFirmware, -FailKeyVerification, -DropLinkAfterBytes (the link is closed like a pulled cable once that many bytes have arrived: on TCP the connection closes and the next one is served; a serial port stays closed, so the station sees silence), -CorruptEveryNthByte (flips a bit in every Nth byte the node sends), -LoseAfterBytes (a line that stops carrying but stays connected), -RestartHostAfterBytes (the host in front of the node restarts and forgets its reliable or opt_psem session), -Silent (answers nothing), -HoldAt (stops at a step boundary: the first request of that type, e.g. KeyWrite, is not processed, the simulator's Held property turns true and the node answers nothing until its Release() method is called; a test then kills the station there). Line noise, as a noisy UART meets it: -BitErrorRate (chance that a bit is flipped) and -ByteDropRate (chance that a byte is lost), on both directions, from a random stream seeded with -Seed, so a run can be replayed (the handle's NoiseSeed shows the seed used). A host with a small receive buffer: -MaxMessageSize drops every message longer than that, unanswered, as the guide's host code (Appendix B.2.2, a 512-byte buffer) would; MessagesTooLarge counts them. Behind orw the simulator takes 512 bytes by default, like that host. A wrong hardware type or node type is rehearsed with -HardwareType and -NodeType, missing or corrupt calibration with -Calibration, a node speaking another protocol version with -ProtocolVersion.

Over-the-air test: with -Gateway the node has a factory gateway (Start-ProvGatewaySimulator) in radio range. It runs the configuration committed last; while that is a factory configuration holding the line network_id=<id> naming the gateway's network, it joins the gateway after the gateway's join delay (RadioState shows Joined), and joins again after a reset or after a station cleared its status on the gateway. On its field configuration it leaves the factory network (RadioState Idle).

The simulator runs on background tasks in this PowerShell process until Stop-ProvNodeSimulator or until PowerShell exits.
'@
    Parameters  = @{
        PortName            = 'Serial device the node sits on, e.g. the PortB of a virtual serial pair, /dev/ttyUSB1 or COM4.'
        Listen              = 'TCP address to listen on: tcp://127.0.0.1:<port>. Port 0 picks a free port (see the Endpoint property).'
        NodeId              = 'Node ID the node reports: unsigned 32-bit, decimal (4660) or hex with 0x (0x1234).'
        NodeType            = 'Node type the node reports; compared by stations with the configuration''s node type.'
        HardwareType        = 'Hardware type (board revision) the node reports; stations check it against the configuration''s hardware types.'
        FirmwareVersion     = 'Firmware version the node starts with when it has no state file yet. An empty string means no firmware.'
        Wrapper             = 'Transport wrapper on the line: none, orw (guide Appendix B, Figure 5), reliable (an ARQ with CRC-16 frames, docs/wrappers.md: the node is served behind a host-role session, under the line noise), opt_psem, or the name of a loaded user wrapper. Must match the station''s -Wrapper.'
        StatePath           = 'JSON state file: the node''s flash, kept across restarts. Without it the node forgets everything when stopped.'
        BaudRate            = 'Line rate in bits per second, for the serial port and for pacing.'
        Pace                = 'Runs the line no faster than -BaudRate in both directions (10 bits per byte), so link times are realistic.'
        ConfigCapacity      = 'Largest configuration file the node holds, in bytes; larger ones are refused (ImageTooLarge).'
        Calibration         = 'Calibration state reported: Valid, Missing or Corrupt.'
        ProtocolVersion     = 'Node protocol version reported. Stations speak version 1; another value rehearses a node they cannot provision (code 39).'
        RejectFirmware      = 'Fault: refuses every firmware image at commit (ImageRejected); nothing is activated.'
        FailKeyVerification = 'Fault: reports wrong key check values (in KeyCheck and in GetInfo), so key verification fails and a later contact cannot settle the record.'
        DropLinkAfterBytes  = 'Fault: closes the link like a pulled cable once this many bytes have been received (counted over the simulator''s life, so it happens once).'
        LoseAfterBytes      = 'Fault: every byte received after this many is lost while the link stays up (a line that stops carrying): a wrapper with a session of its own sees a whole window go unacknowledged.'
        RestartHostAfterBytes = 'Fault, for wrappers with a session of their own (reliable, opt_psem): the host restarts once this many bytes have been received (once). Its session is forgotten; the node keeps what it holds, so the next provisioning resumes a firmware transfer.'
        CorruptEveryNthByte = 'Fault: flips one bit in every Nth byte the node sends.'
        Silent              = 'Fault: reads everything and answers nothing, like a dead device on the port.'
        HoldAt              = 'Fault: stop at a step boundary. The first request of this type (GetInfo, ImageBegin, ImageChunk, ImageCommit, KeyWrite, KeyCheck, Lock, Reset) is not processed; Held turns true and the node answers nothing until Release() is called on the simulator.'
        MaxMessageSize      = 'Largest message, wrapping included, the node''s host takes; longer ones are dropped unanswered (counted in MessagesTooLarge). Default: what the wrapper declares, 512 bytes for orw, no limit for none. With reliable it is the host''s receive buffer for whole frames (32 to 4104, default 1032), announced to the station in the handshake.'
        BitErrorRate        = 'Line noise: the chance (0 to 1) that any one bit is flipped, on both directions. 1e-5 is a poor cable; 1e-4 a very noisy line.'
        ByteDropRate        = 'Line noise: the chance (0 to 1) that any one byte is lost, on both directions.'
        OpticalPassword     = 'With -Wrapper opt_psem: the C12.18 security password the simulated meter expects (SecureString, at most 20 printable ASCII characters); without it the meter passes node messages to anyone logged on.'
        OpticalPacketSize   = 'With -Wrapper opt_psem: the largest packet the simulated meter negotiates, 64 to 8192 bytes (default 1024; with -MaxMessageSize, that size and one packet per message, as a meter with that receive buffer).'
        OpticalPackets      = 'With -Wrapper opt_psem: the most packets per message the simulated meter negotiates (default 8).'
        OpticalNakEveryPacket = 'opt_psem fault: the meter answers NAK to every packet, as an optical head that receives only damage. The station ends with code 68 (when opening) or 36.'
        OpticalRefuseNegotiate = 'opt_psem fault: the meter answers Negotiate with this C12.18 code: Err, Bsy or Isss end the session with code 68; Sns (service not supported) makes the station go on with the standard''s 64-byte single packets.'
        OpticalStopAfterPackets = 'opt_psem fault: the meter stops answering once this many packets have arrived, until the line has been quiet for 6 s, once (a meter that hung and restarted). The station ends with code 36; provisioning again resumes the firmware where it stopped.'
        Gateway             = 'The factory gateway in radio range: the RadioEndpoint (host:port) of Start-ProvGatewaySimulator, or the object it returned. While the node runs a factory configuration holding the line network_id=<id> of that gateway''s network, it joins the gateway (docs/gateway-protocol.md); on its field configuration it leaves.'
        Seed                = 'Seed of the line noise: the same seed gives the same noise on the same bytes. Default: a random seed, shown by the NoiseSeed property.'
    }
    Defaults    = @{ MaxMessageSize = 'the wrapper''s (orw: 512)'; BitErrorRate = '0'; ByteDropRate = '0'; NodeId = '1'; NodeType = 'UNODE'; HardwareType = 'rev-b'; FirmwareVersion = '1.0.0'; Wrapper = 'none'; BaudRate = '115200'; ConfigCapacity = '65536'; Calibration = 'Valid'; ProtocolVersion = '1' }
    Outputs     = @{ 'Provisioning.Core.Node.Simulator.NodeSimulator' = 'The running simulator: Endpoint (the port a station uses), Options, State (what the node holds), ByteCounts, LastError, and ReadKey(slot) for rehearsal checks. Pipe it to Stop-ProvNodeSimulator.' }
    Examples    = @(
        @{
            Code    = '$gw = Start-ProvGatewaySimulator -ControlPort 0
$inRange = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId 0x77 -Gateway $gw
$inRange.RadioState
$inRange | Stop-ProvNodeSimulator
$gw | Stop-ProvGatewaySimulator'
            Remarks = 'A node in radio range of a simulated factory gateway. Its radio is Idle until it is given a factory configuration naming the gateway''s network (see Start-ProvGatewaySimulator).'
        }
        @{
            Code    = '$pass = Read-Host -AsSecureString ''Meter optical port password''
$meter = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper opt_psem -BaudRate 9600 -OpticalPassword $pass
Invoke-NodeProvision -Port $meter.Endpoint -BaudRate 9600 -Wrapper opt_psem -OpticalPassword $pass -ConfigAlias meter_69 -Batch 1000
$meter | Stop-ProvNodeSimulator'
            Remarks = 'A kv2c-style meter reached only through its ANSI C12.18 optical port (guide D.3): the station opens a C12.18 session with the password and provisions the node inside the meter through it.'
        }
        @{
            Code    = '$sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId 0x1234 -NodeType UNODE
$sim.Endpoint
$sim | Stop-ProvNodeSimulator'
            Remarks = 'Starts a node on a free TCP port, shows the address a station uses (tcp://127.0.0.1:<port>), and stops it.'
        }
        @{
            Code    = '$pair = New-ProvVirtualSerialPair
$sim = Start-ProvNodeSimulator -PortName $pair.PortB -Wrapper orw -Pace -StatePath ./node-1234.json -NodeId 0x1234
# the station uses $pair.PortA
$sim | Stop-ProvNodeSimulator; $pair | Remove-ProvVirtualSerialPair'
            Remarks = 'A node on a virtual serial line at a real 115200 baud, behind the guide''s orw wrapper, keeping its flash in node-1234.json.'
        }
        @{
            Code    = '$sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -DropLinkAfterBytes 100000 -StatePath ./node.json
$sim.LastError'
            Remarks = 'Rehearses a cable pulled during a firmware upload: after 100000 bytes the connection closes; the next connection resumes the transfer.'
        }
        @{
            Code    = '$sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Pace -BitErrorRate 1e-4 -Seed 7
$sim.NoiseSeed
$sim | Stop-ProvNodeSimulator'
            Remarks = 'A node on a very noisy 115200 baud line (one bit in 10000 flipped, both ways), with noise that replays the same for seed 7.'
        }
        @{
            Code    = '$sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper none -MaxMessageSize 512
$sim.MaxMessageSize
$sim | Stop-ProvNodeSimulator'
            Remarks = 'A node whose host receives into 512 bytes: a station sending larger messages sees them go unanswered.'
        }
        @{
            Code    = '$sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper reliable -MaxMessageSize 256 -BitErrorRate 1e-4 -RestartHostAfterBytes 30000 -StatePath ./reliable-node.json
$sim.LastError
$sim | Stop-ProvNodeSimulator'
            Remarks = 'A host speaking the reliable wrapper with a 256-byte buffer on a noisy line, which restarts once after 30000 bytes: the station''s first attempt ends with code 36 naming the restart, the next resumes the firmware (docs/wrappers.md).'
        }
    )
    Links       = @('Stop-ProvNodeSimulator', 'New-ProvVirtualSerialPair', 'about_Provisioning')
}
