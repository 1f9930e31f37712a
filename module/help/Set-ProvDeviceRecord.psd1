@{
    Synopsis    = 'Saves a device''s host provisioning results on the server (the guide''s setDutParams): per application its ID, encrypted key and extra information, with the node ID when known.'
    Description = @'
Host tools call this after (or around) provisioning the host beside the node (guide Appendix C.5). The server keeps a host record: the configuration (-ConfigId or -Config), batch, timestamp, the node's ID when the tool knows it (-NodeId; leave it out when not, as the guide allows), and per application an entry of -App: a hashtable or object with Name (the app bundle's name) and any of Id (the device's ID for that app, e.g. the eMCM ID), Key (the key encrypted with Protect-ProvAppKey) and Extra (application-specific information), each hex text or bytes. The guide's list names (AppName, AppId, AppKey, ExtraAppInfo) are taken too. The server refuses an app the configuration has no bundle for, hex that is not hex, and a Key that is not one RSA block of the app's public key (so a plain key is never stored).

A host record never changes the node's own record (its root key, which the station records and confirms): it is a record of its own, which Export-ProvKey writes after the devices and Read-ProvKeyFile -AppName reads. When a node already has a record from a station, the host record sits beside it, found by the same node ID.

Like a station's key, a host key should be on the server before it reaches the host: record with -Pending before writing the key to the host, then confirm with Confirm-ProvDeviceRecord once the host holds it (a tool stopped in between leaves a pending record, exported only with -IncludePending). Without -Pending the record is saved and confirmed in one call, for data recorded after the host is done. Confirming makes the record its device's current one: the device's earlier confirmed host records become replaced and its older pending ones abandoned; a device is named by its node ID, or without one by its first application ID. The export carries each device's current host record.

Each call is one request ID (-RequestId gives it), so repeating a call whose answer was lost records nothing twice. Needs a station or admin token. -WhatIf shows what would be recorded.
'@
    Parameters  = @{
        ConfigId  = 'The configuration ID (config_id), decimal or 0x hex. Objects from Get-ProvConfig bind by their ConfigId.'
        Config    = 'The configuration: Get-ProvConfig''s output, with or without -Destination.'
        Batch     = 'The batch number (guide section 7.2.4): decimal, 0x hex or leading-0 octal.'
        NodeId    = 'The node''s ID, decimal or 0x hex, when the tool knows it (from the station''s result, a barcode or the node). Leave it out when it does not.'
        Timestamp = 'When the host was provisioned: a DateTime, text such as 2026-11-26T10:00:00Z, or whole seconds since 1970-01-01 UTC as the guide''s timestamp (int(time.time())). Default: now.'
        App       = 'Per application, a hashtable or object: Name (the app bundle''s name) and any of Id, Key (from Protect-ProvAppKey) and Extra, each hex text or a byte array.'
        Pending   = 'Records the data as pending only, before the key reaches the host; Confirm-ProvDeviceRecord confirms it once the host holds it.'
        Station   = 'Names the tool or station in the record''s history. Default: the name of the token or certificate used.'
        RequestId = 'The request ID. Give the same one to repeat a call whose answer was lost; default: a new one.'
        Server    = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Outputs     = @{ 'Provisioning.PowerShell.ProvHostRecord' = 'RequestId, NodeId, ConfigId, Batch, Timestamp, Status (pending or confirmed), Apps, AppNames, RecordedAt, ConfirmedAt, ReplacedAt, Station.' }
    Examples    = @(
        @{
            Code    = @'
$config = Get-ProvConfig -ConfigAlias emcm_70
$key = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(16)
try { $encrypted = Protect-ProvAppKey -Key $key -AppName emcm -Config $config } finally { [Array]::Clear($key) }
Set-ProvDeviceRecord -Config $config -Batch 1000 -NodeId 0x10 -App @{ Name = 'emcm'; Id = '00A1B2C3D4E5F610'; Key = $encrypted; Extra = '0102' }
'@
            Remarks = 'Saves node 0x10''s eMCM ID and encrypted key, recorded and confirmed in one call.'
        }
        @{
            Code    = @'
$config = Get-ProvConfig -ConfigAlias emcm_70
$key = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(16)
try {
    $encrypted = Protect-ProvAppKey -Key $key -AppName emcm -Config $config
    $record = Set-ProvDeviceRecord -ConfigId 70 -Batch 1000 -App @{ Name = 'emcm'; Id = '00A1B2C3D4E5F611'; Key = $encrypted } -Pending
    # ... write $key to the host and read it back here ...
}
finally { [Array]::Clear($key) }
$record | Confirm-ProvDeviceRecord
'@
            Remarks = 'A host without a known node ID: the key is on the server (pending) before it is written to the host, and confirmed once the host holds it.'
        }
        @{
            Code    = 'Set-ProvDeviceRecord -ConfigId 70 -Batch 1000 -NodeId 0x10 -App @{ Name = ''emcm''; Id = ''00A1B2C3D4E5F610'' } -WhatIf'
            Remarks = 'Shows what would be recorded without recording it.'
        }
    )
    Links       = @('Confirm-ProvDeviceRecord', 'Protect-ProvAppKey', 'Get-ProvConfig', 'Get-ProvDevice', 'Export-ProvKey', 'Read-ProvKeyFile')
}
