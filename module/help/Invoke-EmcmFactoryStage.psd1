@{
    Synopsis    = 'Runs one stage of multi-stage eMCM provisioning (the guide''s emcm_factory): PreTest before meter calibration, CheckConfig after assembly, PostTest after calibration.'
    Description = @'
Multi-stage eMCM provisioning (guide Appendix D.2.2, Tables 12 to 16) splits the work around meter calibration and test, with an over-the-air test against the factory's gateway in between. Run the stages in order on each meter; each is safe to repeat, and a stage stopped midway (Ctrl+C, a pulled cable, a station that dies) leaves the meter ready to run that stage again.

-Stage PreTest (the guide's PRETEST) writes node and eMCM firmware when their versions differ from the config's, writes and activates the factory configurations of node and eMCM (the node's names the factory network), clears the node's status on the gateway (-Gateway, -ControlPort) so that POSTTEST finds a fresh one, puts the eMCM in quiet mode for calibration and records the stage in the eMCM. The gateway is asked before the port is opened: an unreachable gateway (code 132), TLS certificate files that are missing (141) or an error answer (133) fail the meter with nothing written. It is message intensive: on a kv2c-style line it runs in a fixture over serial.

-Stage CheckConfig (CHECKCONFIG, optional) only reads: the eMCM must answer (68 otherwise), pass its self-test (72), and have passed a PRETEST of this config (its firmware and active factory configuration the config's); otherwise code 70 says PRETEST has not run, or not this config's. Useful after assembly, before the lengthy calibration, over the meter's optical port (-BaudRate 9600 -Wrapper opt_psem).

-Stage PostTest (POSTTEST) requires a PRETEST (code 70 saying so otherwise), takes the eMCM out of quiet mode (calibration is over, and a quiet eMCM may keep its node off the air), then waits up to -Timeout (default 600 s, the guide's -t) for the node to have joined the factory network on the gateway: code 134 once the timeout has passed without the join, never earlier. It then writes the field configurations of node and eMCM, checks the eMCM's link to its meter (code 164 when the meter does not answer; no key is made for such a meter), generates a node root key and an eMCM key and records them on the server in one pending record before either reaches a device (the eMCM key encrypted with the app bundle's public key for the head end), writes and verifies the eMCM key (70) and then the node's keys (38), locks both (unless -SkipLock), confirms the record and records the stage. Export-ProvKey carries both keys.

Every file a stage writes, and the app bundle named by -AppName, is fetched and checked before the port is touched: a config without the eMCM's bundle ends with code 75 or 76 and the port is never opened. -PartialMcmId is checked against the ID the eMCM reports (code 3 naming both). The wrapper must carry host messages: orw (default), reliable or opt_psem.

One result object per meter: Port, Operation (the stage), NodeId, EmcmId, ConfigId, Batch, NodeFirmwareUpdated, EmcmFirmwareUpdated, ExitCode (Table 4), Result, Message (interpretation, what happened, and the Table 5 corrective action) and Duration; a failed meter also writes a non-terminating error whose ID names its code. Ports run in parallel up to -ThrottleLimit.
'@
    Parameters  = @{
        Stage         = 'The operation (guide Table 12): PreTest, CheckConfig or PostTest. Alias -Operation; binds from a pipeline property of that name too.'
        Port          = 'The port: a serial device such as /dev/ttyUSB0 or COM20, or tcp://host:port for a serial-over-IP device server or an eMCM simulator. Alias -Device (the guide''s -d).'
        BaudRate      = 'Line rate in bits per second (the guide''s -b, default 115200; 9600 for a kv2c''s optical port).'
        MaxMessageSize = 'Largest message, wrapping included, the host takes (its receive buffer). Default: the wrapper''s, 512 bytes for orw.'
        OpticalPassword = 'With -Wrapper opt_psem: the meter''s ANSI C12.18 security password as a SecureString, sent once and never logged. Alias -SecurityPassword.'
        Batch         = 'Batch number (the guide''s -B): decimal, 0x hex or leading-0 octal, an unsigned 32-bit number.'
        ConfigId      = 'The provisioning configuration ID (the guide''s -p), decimal or 0x hex. Give this or -ConfigAlias.'
        ConfigAlias   = 'A config alias instead of -ConfigId (the guide''s --config-alias).'
        Wrapper       = 'Transport wrapper (the guide''s --wrapper): orw (default), reliable, or opt_psem for a meter''s optical port (D.3: -BaudRate 9600 -Wrapper opt_psem). none is refused (code 3): it has no channel for the eMCM.'
        SkipLock      = 'PostTest: leaves node and eMCM unlocked (the guide''s --skip_lock).'
        PartialMcmId  = 'The guide''s --partial_mcm_id: the last 8 hex digits of the eMCM ID, as on the meter''s label; a meter whose eMCM ID does not end in them gets code 3 naming both IDs, with nothing written. Alias -McmId.'
        AppName       = 'The config''s app bundle for the eMCM (firmware, configurations, the head end''s public key).'
        Gateway       = 'The factory gateway''s host name or address (the guide''s -g).'
        ControlPort   = 'The gateway''s control port (the guide''s --control_port).'
        Csys1x        = 'Speaks to a 1.x gateway for the over-the-air test (the guide''s --csys_1_x); the default is 2.x.'
        Timeout       = 'PostTest: how long to wait for the node to join the factory network (the guide''s -t), in seconds or as a TimeSpan. Code 134 comes only once it has passed.'
        GatewayTls    = 'Speaks TLS to the gateway''s control port.'
        GatewayCaCertificate = 'With -GatewayTls: the CA certificate file (PEM) the gateway''s certificate must chain to; a missing file is code 141.'
        GatewayCertificate = 'With -GatewayTls: the station''s client certificate file (PEM with its key, or PFX), for a gateway that asks for one; a missing file is code 141.'
        ThrottleLimit = 'How many ports run at once (1 to 64).'
        Force         = 'PreTest: writes firmware and configurations even when node or eMCM already hold them; PostTest: writes the field configurations again.'
        PathTranslateFrom = 'The guide''s --path_trans_from: with a server in shared file system mode, the start of the file paths it gives that this station sees elsewhere.'
        PathTranslateTo   = 'The guide''s --path_trans_to: what -PathTranslateFrom becomes on this station.'
        Server        = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer (a station token is enough), or an address (the guide''s -s). Default: the current server.'
        FirstContactTimeout = 'How long the node may take to answer at all before the port counts as empty (code 4), in seconds or as a TimeSpan. Default: from -Wrapper and -BaudRate.'
        ResponseTimeout = 'Base wait for each later answer of node and eMCM, in seconds or as a TimeSpan. Default: from -Wrapper and -BaudRate.'
        Resends       = 'How many times a message is sent again before the meter fails (36 for the node, 68 for the eMCM). Default: from -Wrapper.'
        LogPath       = 'A timestamped log per meter (the guide''s --logfile): port, node and eMCM IDs, each step with its time, resends and the code with its message; never a key. A folder gets one file per meter; a file is appended to.'
    }
    Defaults    = @{ BaudRate = '115200'; Wrapper = 'orw'; AppName = 'emcm'; Gateway = 'localhost'; ControlPort = '4021'; Timeout = '600 s'; ThrottleLimit = '4'; MaxMessageSize = 'the wrapper''s (orw: 512)'; FirstContactTimeout = 'from -Wrapper and -BaudRate'; ResponseTimeout = 'from -Wrapper and -BaudRate'; Resends = 'from -Wrapper' }
    Inputs      = @{ 'System.String' = 'Port names.'; 'System.Management.Automation.PSObject' = 'Objects with Port (or Device, PortName), Batch, ConfigId or ConfigAlias, Stage, PartialMcmId, Gateway, BaudRate and Wrapper properties, e.g. rows of Import-Csv.' }
    Outputs     = @{ 'Provisioning.Core.Emcm.EmcmProvisionResult' = 'One per meter: Port, Operation, NodeId, EmcmId, ConfigId, Batch, NodeFirmwareUpdated, EmcmFirmwareUpdated, ExitCode, Result, Message, Duration, Succeeded. The table shows Port, Operation, McmId (the last 8 digits of the eMCM ID), ExitCode and Message.' }
    Notes       = 'Return codes (guide Table 4) beyond those of Invoke-NodeProvision: 3 for an eMCM ID not ending in -PartialMcmId; 68 the eMCM does not answer; 69 it answered an error; 70 its key check value does not match, or the PRETEST this stage needs has not run; 72 failing eMCM hardware; 75/76 eMCM firmware or configuration unavailable from the server; 132 gateway unreachable; 133 gateway error answer; 134 the node did not join within -Timeout; 140 no message set for the gateway''s version; 141 gateway TLS certificate files not found; 164 the eMCM cannot reach its meter.'
    Examples    = @(
        @{
            Code    = @'
Set-Content ./cfg/factory.cfg "network_id=factory`nchannel=17"
$null = New-ProvPackage -Path ./kv2c_482.tar.gz -ConfigId 482 -ConfigAlias kv2c_line -AppLabel kv2c_emcm -NodeType UNODE -NodeVersion 1.2.3.4 `
    -NodeFirmware ./fw/node.bin -NodeFieldConfig ./cfg/field.cfg -NodeFactoryConfig ./cfg/factory.cfg `
    -KmsPublicKeyPath ./kms/kms_key.pub.pem -GatewayKeyFile ./network/gw_keys.csv.aes `
    -App @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = './fw/emcm.bin'; FieldConfig = './cfg/emcm.cfg'; FactoryConfig = './cfg/factory.cfg'; PublicKeyFile = './keys/hes.pub.pem' }
$null = Import-ProvPackage ./kv2c_482.tar.gz -Passphrase (Read-Host -AsSecureString 'Gateway key file passphrase')
$gateway = Start-ProvGatewaySimulator -NetworkId factory -JoinDelay 1
$meter = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -NodeId 0x302 -Wrapper orw -Gateway $gateway
'PreTest', 'CheckConfig', 'PostTest' | ForEach-Object {
    Invoke-EmcmFactoryStage -Stage $_ -Port $meter.Endpoint -Batch 1000 -ConfigAlias kv2c_line -Timeout 60
}
$meter | Stop-ProvNodeSimulator
$gateway | Stop-ProvGatewaySimulator
'@
            Remarks = 'Rehearses the three stages without hardware: the factory configurations name the factory network (the line network_id=factory), a simulated gateway serves it on localhost:4021 (the defaults of -Gateway and -ControlPort), and a simulated meter in its range joins it after PRETEST; POSTTEST finds the join, applies the field configurations and keys.'
        }
        @{
            Code    = "Invoke-EmcmFactoryStage -Stage PreTest -Port COM3 -Gateway 192.168.6.77 -Batch 1000 -ConfigAlias 82JX570141 -LogPath ./emcm_factory_s1.log`n# <WECO calibration and test>`nInvoke-EmcmFactoryStage -Stage PostTest -Port COM3 -Gateway 192.168.6.77 -Batch 1000 -ConfigAlias 82JX570141 -LogPath ./emcm_factory_s2.log"
            Remarks = 'An i210+-style meter on one station (guide D.3): PRETEST before calibration, POSTTEST after it, each with its own log, the over-the-air test against the gateway at 192.168.6.77.'
        }
        @{
            Code    = "Invoke-EmcmFactoryStage -Stage CheckConfig -Port COM20 -BaudRate 9600 -Wrapper opt_psem -Gateway 192.168.6.77 -Batch 1000 -ConfigAlias 82JX570141`nInvoke-EmcmFactoryStage -Stage PostTest -Port COM20 -BaudRate 9600 -Wrapper opt_psem -Gateway 192.168.6.77 -Batch 1000 -ConfigAlias 82JX570141 -Timeout 900"
            Remarks = 'A kv2c-style meter after assembly (PRETEST ran in the fixture): CHECKCONFIG and, after calibration, POSTTEST through the optical port at 9600 baud with the opt_psem wrapper, allowing 15 minutes for the join.'
        }
        @{
            Code    = 'Invoke-EmcmFactoryStage -Stage PostTest -Port /dev/ttyUSB0 -Batch 1000 -ConfigId 69 -PartialMcmId 8A41C7F2 -Gateway gw1.factory -WhatIf'
            Remarks = 'Shows what POSTTEST would do to the meter on /dev/ttyUSB0 without touching it.'
        }
    )
    Links       = @('Invoke-EmcmProvision', 'Invoke-NodeProvision', 'Read-ProvKeyFile', 'about_Provisioning')
}
