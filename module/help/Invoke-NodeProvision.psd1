@{
    Synopsis    = 'Provisions nodes on serial or TCP ports: firmware, configuration, a unique root key recorded on the server, gateway keys, verification and lock.'
    Description = @'
For each port the cmdlet runs the station flow of the guide (sections 3.2 and 7.2): it fetches the configuration from the server (once per call, checking every node file's size, SHA-256 and MD5), reads the node's info, checks that the node is compatible (protocol version, node type, hardware type, calibration, configuration capacity), writes the firmware when the node's version differs from the configuration's (or always with -Force), writes the field configuration (or the factory configuration with -FactoryConfig) unless the node already holds the same bytes, generates a 16-byte root key from the operating system's CSPRNG, encrypts it with the configuration's KMS public key (RSA-OAEP-SHA256) and records it on the server as pending, writes the gateway, CDLD and root keys, compares the node's key check values with the keys written, locks the host port and flash/JTAG, confirms the record on the server and restarts the node. The root key never leaves the station process unencrypted and is zeroed as soon as it is written.

One result object is written per device: Port, NodeId, ConfigId, Batch, FirmwareUpdated, ExitCode (the guide's Table 4 return code as a number, as the guide's client returns it; 0 is success), Result (the same code by name, e.g. NodeMessageFailed; Code is the former name of ExitCode), Message (the Table 4 interpretation, then what happened and what to do) and Duration. A device that fails also writes a non-terminating error whose error ID names its code (for example NodeMessageFailed for 36, VerifyFailed for 38, ServerUnreachable for 100); its TargetObject is the result. The other devices keep going. Scripts can read $result.ExitCode, or use -ErrorAction SilentlyContinue and look only at the results.

Bad arguments for a device (both -ConfigId and -ConfigAlias, neither, a batch number that is not an unsigned 32-bit number, an unknown wrapper, no server connected) do not stop the call: that device gets a result with ExitCode 3 and an error, like any other failure, so a script reading ExitCode sees every device. A device whose record was made pending on the server but that failed afterwards (key check mismatch 38, a cable pulled after the keys, a confirm that did not reach the server, a station stopped) is not confirmed: Export-ProvKey keeps exporting its earlier confirmed key (none for a new device) and gives the pending one only with -IncludePending. Right after reading the node's info, every run reports the check value of the root key the node holds to the server, which confirms the record the node really holds and abandons the others, so the next contact settles such a device (Get-ProvDevice -Unresolved lists them); provisioning it records a new key that replaces the old one once confirmed.

Ports run in parallel, at most -ThrottleLimit at once (default 4, at most 64); jobs for the same port run one after the other. Write-Progress shows one bar per port with the step and the firmware percentage, under an overall bar when there are several devices. Ctrl+C stops every port at its next message: an unfinished device is never confirmed, and an interrupted firmware transfer resumes where it stopped on the next run.

Firmware and configurations go in chunks sized so each whole message fits -MaxMessageSize, with enough of them in flight to keep the line busy. On a noisy line the station sends smaller chunks while they keep being lost and larger ones again as they pass, so the transfer still makes progress; a result never advises provisioning again when the same line would fail the same way.

With a server in shared file system mode (Start-ProvServer -FileServing SharedFileSystem, guide section 4.3) the station reads each file from the share at the path the configuration gives, after -PathTranslateFrom/-PathTranslateTo, checks its size, SHA-256 and MD5, and never downloads it: a file that cannot be opened fails with code 108 naming the path, one that does not match with code 102.

Pipeline input binds by property name, so Import-Csv stations.csv | Invoke-NodeProvision works with columns Port (or Device, PortName), Batch, ConfigId or ConfigAlias, and optionally BaudRate, Wrapper and MaxMessageSize. The server is the current one (Start-ProvServer or Connect-ProvServer; a station token is enough) unless -Server is given.
'@
    Parameters  = @{
        Port          = 'The port: a serial device such as /dev/ttyUSB0 or COM3, or tcp://host:port for a serial-over-IP device server or a node simulator. Alias -Device (the guide''s --device).'
        BaudRate      = 'Line rate in bits per second. For a serial port the port is set to it; for tcp:// it is the rate of the serial line behind the device server (default 115200), and the station''s timeouts follow it, so a 1200 baud device behind TCP needs -BaudRate 1200.'
        MaxMessageSize = 'Largest message, wrapping included, that the host platform takes (its receive buffer). The station sizes firmware and configuration chunks so every message fits. Default: what the wrapper declares, 512 bytes for orw (the guide''s host buffer, Appendix B.2.2) and no limit of its own for none. When small messages are answered but large ones are not, the result says so and names this parameter.'
        OpticalPassword = 'With -Wrapper opt_psem (a meter reached through its ANSI C12.18 optical port, guide D.3: -BaudRate 9600 -Wrapper opt_psem): the meter''s C12.18 security password, at most 20 printable ASCII characters, as a SecureString. It is sent once, in the session''s Security request, cleared from memory after use and never logged. A wrong password ends with code 3 before anything reaches the node; a meter that wants one and gets none refuses the first node message, also with code 3. Alias -SecurityPassword.'
        Batch         = 'Batch number (guide 7.2.4): decimal, 0x hex or leading-0 octal, an unsigned 32-bit number. Saved with each device record; Export-ProvKey selects by it.'
        ConfigId      = 'The provisioning configuration ID, decimal or 0x hex (unsigned 64-bit). Give this or -ConfigAlias, never both.'
        ConfigAlias   = 'A config alias the server maps to its configuration ID, instead of -ConfigId.'
        Wrapper       = 'Transport wrapper on the line (guide Appendix B): none (node messages as they are), orw (the guide''s Figure 5 example), reliable (an ARQ for noisy UART lines, run with a host that speaks it, docs/wrappers.md), opt_psem, or the name of a user wrapper whose assembly is loaded. Tab completion lists them.'
        FactoryConfig = 'Writes the node''s factory configuration instead of the field configuration; code 44 when the package has none.'
        SkipKeys      = 'Writes firmware and configuration only: no root key is generated, nothing is recorded on the server and no key is written or verified.'
        SkipLock      = 'Leaves the host port and flash/JTAG unlocked (guide --skip_lock), e.g. for devices that go on to host provisioning.'
        ThrottleLimit = 'How many ports are provisioned at once (1 to 64). Each port mostly waits on its serial line, so one station PC drives many.'
        Force         = 'Writes firmware and configuration even when the node reports the same firmware version and configuration already.'
        PathTranslateFrom = 'The guide''s --path_trans_from: with a server in shared file system mode, the start of the file paths it gives (e.g. /workspace) that this station sees elsewhere. Only a whole leading folder matches; Windows paths compare without case.'
        PathTranslateTo   = 'The guide''s --path_trans_to: what -PathTranslateFrom becomes on this station (e.g. Z: or /mnt/prov). Both are needed together (code 3 otherwise).'
        Server        = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer (a station token is enough), or an address. Default: the current server.'
        FirstContactTimeout = 'How long the node may take to answer at all before the port counts as empty (code 4), in seconds (5, 0.5) or as a TimeSpan. Default: from -Wrapper and -BaudRate: 2 s for none and orw, 3 s for reliable, 8 s for opt_psem, multiplied by 9600/baud below 9600 baud.'
        ResponseTimeout = 'Base wait for each later answer, on top of the line time of the bytes in flight, in seconds or as a TimeSpan. Default: 2 s for none and orw, 4 s for reliable, 6 s for opt_psem (the C12.18 channel traffic timeout), multiplied by 9600/baud below 9600 baud.'
        Resends       = 'How many times a message is sent again before the device fails with code 36 (0 to 100). Default: 3 for none and orw, 2 for reliable and opt_psem (they retransmit themselves).'
        LogPath       = 'A timestamped log per device for a support engineer (guide corrective action 11): port, node ID, timeouts in use, each step with its time, resends and damaged frames, and the code with its message; never a key. A folder (existing, or ending in /) gets one file per device named by time and port; a file is appended to, each line naming its port. The same lines go to the Verbose stream, steps and timings to the Debug stream (with $DebugPreference = ''Continue'' rather than -Debug, which makes PowerShell ask before writing a failed device''s error).'
    }
    Defaults    = @{ BaudRate = '115200'; Wrapper = 'none'; ThrottleLimit = '4'; MaxMessageSize = 'the wrapper''s (orw: 512)'; FirstContactTimeout = 'from -Wrapper and -BaudRate (none, orw: 2 s)'; ResponseTimeout = 'from -Wrapper and -BaudRate (none, orw: 2 s)'; Resends = 'from -Wrapper (none, orw: 3)' }
    Inputs      = @{ 'System.String' = 'Port names.'; 'System.Management.Automation.PSObject' = 'Objects with Port (or Device, PortName), Batch, ConfigId or ConfigAlias, BaudRate and Wrapper properties, e.g. rows of Import-Csv.' }
    Outputs     = @{ 'Provisioning.Core.Station.NodeProvisionResult' = 'One per device: Port, NodeId, ConfigId, Batch, FirmwareUpdated, ExitCode (number), Result (name), Message, Duration, Succeeded; Code is kept as the former name of ExitCode. The table shows Port, NodeId, ExitCode, Duration and Message; Format-List shows all.' }
    Notes       = 'Return codes (guide Table 4): 0 success; 3 invalid arguments; 4 no device on the port; 36 a message to the node failed; 37 the node answered an error; 38 key verification failed; 39-42 node incompatible (protocol version, hardware type, calibration, configuration capacity); 43 firmware rejected or for another node type; 44 configuration unavailable or rejected; 100 server unreachable; 101 server error (e.g. config not imported); 102 invalid answer or file hash mismatch; 108 file unavailable from the server.'
    Examples    = @(
        @{
            Code    = 'Invoke-NodeProvision -Port /dev/ttyUSB0 -Batch 1000 -ConfigAlias kite_170'
            Remarks = 'Provisions the node on /dev/ttyUSB0 with the configuration the server knows as kite_170, in batch 1000, and shows its result.'
        }
        @{
            Code    = "Connect-ProvServer -Uri http://prov-server:8085 -Token (Read-Host -AsSecureString 'Station token')`nInvoke-NodeProvision -Device COM3 -BaudRate 115200 -Batch 01750 -ConfigId 0x45 -Wrapper orw"
            Remarks = 'Connects with a station token, then provisions the node on COM3 through the orw wrapper. The batch 01750 is octal (1000), as the guide prescribes for a leading 0.'
        }
        @{
            Code    = "Import-Csv ./stations.csv | Invoke-NodeProvision -ThrottleLimit 16 | Where-Object ExitCode -ne 0 | Export-Csv ./failed.csv"
            Remarks = 'Provisions every port listed in stations.csv (columns Port,Batch,ConfigAlias), sixteen at once, and keeps the devices that failed with their codes and messages.'
        }
        @{
            Code    = "'tcp://10.0.0.21:4001', 'tcp://10.0.0.21:4002' | Invoke-NodeProvision -Batch 1001 -ConfigId 69 -SkipLock -ErrorAction SilentlyContinue |`n    Format-Table Port, NodeId, ExitCode, Message"
            Remarks = 'Provisions two nodes behind a serial-over-IP device server and leaves them unlocked for host provisioning; errors are silenced because the results carry the codes.'
        }
        @{
            Code    = "Invoke-NodeProvision -Port tcp://10.0.0.21:4003 -BaudRate 2400 -Wrapper orw -MaxMessageSize 256 -Batch 1002 -ConfigAlias kite_170"
            Remarks = 'A 2400 baud device behind a device server, whose host receives into a 256-byte buffer: timeouts follow 2400 baud and no message is larger than 256 bytes.'
        }
        @{
            Code    = "Invoke-NodeProvision -Port `$pair.PortA -Batch 1000 -ConfigAlias kite_170 -LogPath ./station-logs/ -Verbose`nGet-ChildItem ./station-logs | Get-Content"
            Remarks = 'Provisions a node with a log for support: one timestamped file per device in ./station-logs with its port, node ID, step timings, resends and code; -Verbose shows the same lines as it goes, -Debug also every step.'
        }
        @{
            Code    = "Invoke-NodeProvision -Port `$pair.PortA -Batch 1000 -ConfigId 69 -FirstContactTimeout 5 -ResponseTimeout 3 -Resends 5 -Force"
            Remarks = 'A slow host: it may take 5 s to answer first and 3 s (plus line time) for each answer after, and every message is sent up to 5 more times before the device fails with code 36.'
        }
        @{
            Code    = 'Invoke-NodeProvision -Port /dev/ttyUSB0 -Batch 1000 -ConfigId 69 -SkipKeys -Force -WhatIf'
            Remarks = 'Shows what would be done to the node (rewrite firmware and configuration, no keys) without touching it.'
        }
    )
    Links       = @('Export-ProvKey', 'Get-ProvConfig', 'Connect-ProvServer', 'about_Provisioning')
}
