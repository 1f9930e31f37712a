@{
    Synopsis    = 'Provisions eMCM meters in one stage (the guide''s emcm_provision): node and eMCM firmware, configurations, a node root key and an eMCM key recorded on the server, verification and lock.'
    Description = @'
Single-stage eMCM provisioning (guide Appendix D.2.1, Tables 8 to 11), for meters whose eMCM is reached directly and need no over-the-air test. The node and the eMCM (the meter communications module, the host processor in front of the node) share one line: node messages travel as Invoke-NodeProvision sends them, the eMCM's as the wrapper's host messages, so -Wrapper must be one with a host channel: orw (the default here), reliable or opt_psem. The none wrapper carries node messages only and is refused with code 3.

For each port the cmdlet fetches the configuration and every file it will write before the port is touched: the node's firmware and configuration, and from the config's app bundle named by -AppName (default emcm) the eMCM's firmware, its field configuration (its factory configuration with -FactoryConfig) and the head end's public key. A config without that bundle, or a bundle without one of these files, ends with code 75 (firmware) or 76 (configuration, public key) and the port is never opened. Then it reads the node and the eMCM, checks the node as Invoke-NodeProvision does, checks that the eMCM ID ends in -PartialMcmId (code 3 naming both IDs, nothing written) and that the eMCM's self-test passes (code 72), writes node and eMCM firmware when their versions differ from the config's (or always with -Force) and each configuration unless the device already holds the same bytes.

Unless -SkipKeys, it then generates a 16-byte node root key and a 16-byte eMCM key from the operating system's CSPRNG and records them on the server in one pending record, before either reaches a device: the root key encrypted with the config's KMS public key, the eMCM key with the app bundle's public key (RSA-OAEP-SHA256, hex, the guide's EncryptKeyInfo), under the eMCM ID. The eMCM key is written first and its check value compared (code 70 when it differs), then the node's gateway, CDLD and root keys (code 38). Both devices are locked (unless -SkipLock), quiet mode is turned off, the record is confirmed and the eMCM records that it passed (stage PostTest, for field configurations with keys). Export-ProvKey then carries both keys; Read-ProvKeyFile -AppName emcm -PrivateKeyPath decrypts the eMCM key as the head end would.

A run stopped at any point (Ctrl+C, a pulled cable, a station that dies) is safe to repeat: nothing is confirmed, the node's root key check value settles the record on the next contact, and because the eMCM's key is written before the node's root key the record the node holds always names the key its eMCM holds.

One result object is written per meter: Port, Operation (Provision), NodeId, EmcmId, ConfigId, Batch, NodeFirmwareUpdated, EmcmFirmwareUpdated, ExitCode (the guide's Table 4 code), Result (the code by name), Message (the Table 4 interpretation, what happened and the Table 5 corrective action) and Duration. A failed meter also writes a non-terminating error whose ID names its code. Ports run in parallel up to -ThrottleLimit, with one progress bar per port; pipeline input binds by property name (Port, Batch, ConfigId or ConfigAlias, PartialMcmId, BaudRate, Wrapper).
'@
    Parameters  = @{
        Port          = 'The port: a serial device such as /dev/ttyUSB0 or COM3, or tcp://host:port for a serial-over-IP device server or an eMCM simulator. Alias -Device (the guide''s -d).'
        BaudRate      = 'Line rate in bits per second (the guide''s -b, default 115200). For tcp:// it is the rate of the line behind the device server, which the timeouts follow.'
        MaxMessageSize = 'Largest message, wrapping included, the host takes (its receive buffer). Default: the wrapper''s, 512 bytes for orw.'
        OpticalPassword = 'With -Wrapper opt_psem (a meter''s ANSI C12.18 optical port): the meter''s security password as a SecureString, sent once and never logged. Alias -SecurityPassword.'
        Batch         = 'Batch number (the guide''s -B): decimal, 0x hex or leading-0 octal, an unsigned 32-bit number.'
        ConfigId      = 'The provisioning configuration ID (the guide''s -p), decimal or 0x hex. Give this or -ConfigAlias.'
        ConfigAlias   = 'A config alias instead of -ConfigId (the guide''s --config-alias).'
        Wrapper       = 'Transport wrapper (the guide''s --wrapper): orw (default), reliable or opt_psem; each carries the eMCM''s host messages beside the node''s. none is refused (code 3): it has no channel for the eMCM.'
        FactoryConfig = 'Writes the factory configurations of node and eMCM instead of the field ones (the guide''s --factory-config); the eMCM''s stage is then not recorded as passed.'
        SkipKeys      = 'Writes firmware and configurations only (the guide''s --skip-keys): no key is generated, recorded or written.'
        SkipLock      = 'Leaves the node''s host port and flash/JTAG and the eMCM''s debug and flash interfaces unlocked (the guide''s --skip_lock).'
        PartialMcmId  = 'The guide''s --partial_mcm_id: the last 8 hex digits of the eMCM ID, as on the meter''s label. The eMCM on the port must report an ID ending in them; otherwise the meter gets code 3 naming both IDs and nothing is written. Alias -McmId.'
        AppName       = 'The config''s app bundle for the eMCM (its firmware, configurations and the head end''s public key); the name under which the eMCM key is recorded and exported.'
        ThrottleLimit = 'How many ports run at once (1 to 64).'
        Force         = 'Writes firmware and configurations even when node or eMCM already hold them.'
        PathTranslateFrom = 'The guide''s --path_trans_from: with a server in shared file system mode, the start of the file paths it gives that this station sees elsewhere.'
        PathTranslateTo   = 'The guide''s --path_trans_to: what -PathTranslateFrom becomes on this station.'
        Server        = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer (a station token is enough), or an address (the guide''s -s). Default: the current server.'
        FirstContactTimeout = 'How long the node may take to answer at all before the port counts as empty (code 4), in seconds or as a TimeSpan. Default: from -Wrapper and -BaudRate.'
        ResponseTimeout = 'Base wait for each later answer of node and eMCM, in seconds or as a TimeSpan. Default: from -Wrapper and -BaudRate.'
        Resends       = 'How many times a message is sent again before the meter fails (36 for the node, 68 for the eMCM). Default: from -Wrapper.'
        LogPath       = 'A timestamped log per meter (the guide''s --logfile): port, node and eMCM IDs, each step with its time, resends and the code with its message; never a key. A folder gets one file per meter; a file is appended to. The same lines go to the Verbose and Debug streams.'
    }
    Defaults    = @{ BaudRate = '115200'; Wrapper = 'orw'; AppName = 'emcm'; ThrottleLimit = '4'; MaxMessageSize = 'the wrapper''s (orw: 512)'; FirstContactTimeout = 'from -Wrapper and -BaudRate'; ResponseTimeout = 'from -Wrapper and -BaudRate'; Resends = 'from -Wrapper' }
    Inputs      = @{ 'System.String' = 'Port names.'; 'System.Management.Automation.PSObject' = 'Objects with Port (or Device, PortName), Batch, ConfigId or ConfigAlias, PartialMcmId, BaudRate and Wrapper properties, e.g. rows of Import-Csv.' }
    Outputs     = @{ 'Provisioning.Core.Emcm.EmcmProvisionResult' = 'One per meter: Port, Operation, NodeId, EmcmId, ConfigId, Batch, NodeFirmwareUpdated, EmcmFirmwareUpdated, ExitCode, Result, Message, Duration, Succeeded. The table shows Port, Operation, McmId (the last 8 digits of the eMCM ID), ExitCode and Message.' }
    Notes       = 'Return codes (guide Table 4) beyond those of Invoke-NodeProvision: 3 also for an eMCM ID that does not end in -PartialMcmId and for the none wrapper; 68 the eMCM does not answer; 69 the eMCM answered an error; 70 the eMCM key check value does not match; 72 the eMCM reports failing hardware; 75 the eMCM firmware is unavailable from the server or does not fit the eMCM; 76 an eMCM configuration or the app''s public key is unavailable.'
    Examples    = @(
        @{
            Code    = @'
$null = New-ProvPackage -Path ./i210_481.tar.gz -ConfigId 481 -ConfigAlias i210_single -AppLabel i210_emcm -NodeType UNODE -NodeVersion 1.2.3.4 `
    -NodeFirmware ./fw/node.bin -NodeFieldConfig ./cfg/field.cfg -KmsPublicKeyPath ./kms/kms_key.pub.pem -GatewayKeyFile ./network/gw_keys.csv.aes `
    -App @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = './fw/emcm.bin'; FieldConfig = './cfg/emcm.cfg'; PublicKeyFile = './keys/hes.pub.pem' }
$null = Import-ProvPackage ./i210_481.tar.gz -Passphrase (Read-Host -AsSecureString 'Gateway key file passphrase')
$meter = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -NodeId 0x301 -EmcmId 00A1B2C38A41C7F2 -Wrapper orw
Invoke-EmcmProvision -Port $meter.Endpoint -Batch 1000 -ConfigAlias i210_single -PartialMcmId 8A41C7F2
$meter | Stop-ProvNodeSimulator
'@
            Remarks = 'Rehearses a line without hardware: a package whose app bundle emcm carries the eMCM firmware, its field configuration and the head end''s public key, then one simulated meter provisioned with it. The result shows both devices'' IDs; Export-ProvKey then carries the node key for the KMS and the eMCM key for the head end.'
        }
        @{
            Code    = 'Invoke-EmcmProvision -Port COM3 -Batch 1000 -ConfigAlias kite_170_node_637_dev_net'
            Remarks = 'The guide''s sample command line (emcm_provision.exe -d COM3 -B 1000 --config-alias=...): provisions the node and eMCM of the meter on COM3 through the orw wrapper, with the current server.'
        }
        @{
            Code    = "Import-Csv ./meters.csv | Invoke-EmcmProvision -ThrottleLimit 8 -ErrorAction SilentlyContinue |`n    Where-Object ExitCode -ne 0 | Format-Table Port, EmcmId, ExitCode, Message"
            Remarks = 'Provisions every meter listed in meters.csv (columns Port, Batch, ConfigAlias, PartialMcmId as scanned from each label), eight at once, and lists those that failed.'
        }
        @{
            Code    = 'Invoke-EmcmProvision -Port /dev/ttyUSB0 -Batch 1000 -ConfigId 69 -PartialMcmId 8A41C7F2 -FactoryConfig -SkipKeys -SkipLock -WhatIf'
            Remarks = 'Shows what would be done to the meter on /dev/ttyUSB0 (factory configurations, no keys, left unlocked) without touching it.'
        }
    )
    Links       = @('Invoke-EmcmFactoryStage', 'Invoke-NodeProvision', 'Read-ProvKeyFile', 'about_Provisioning')
}
