@{
    Synopsis    = 'Lists devices on the provisioning server with their current record and history: key check values and states, never keys.'
    Description = @'
Returns one object per device (node): its current record (the one a default Export-ProvKey holds), its pending records and its whole history, newest first. Each record shows its state (pending, confirmed, replaced or abandoned, see docs/export-format.md) and the key check value (KCV) of its root key: 6 hex digits, not secret, enough to tell which record a node holds.

A device is unresolved when it has a pending record: a station stopped (crashed, killed, lost power) between recording a new root key and confirming it, so the node may hold that key or still its earlier one. The next contact with a station settles it (the station reports the check value of the node's root key; Invoke-NodeProvision does so before anything else), so -Unresolved lists the devices to provision again. Export-ProvKey counts them in its receipt and warns.

Without -NodeId, every recorded device is listed in node order (streamed page by page). Needs an admin token.

With -HostRecord it lists host records instead (Set-ProvDeviceRecord: application data a host tool saved, with or without a node ID), newest first: all of them, those of -NodeId, or those of -ConfigId. Each shows its state (pending, confirmed: the device's current host record, replaced or abandoned), the node ID when it has one, and per application its ID, encrypted key and extra information.
'@
    Parameters  = @{
        NodeId     = 'Only these nodes: decimal or 0x hex, several separated by commas. Takes pipeline input (e.g. NodeId from Invoke-NodeProvision results).'
        Unresolved = 'Only devices with a pending record, which their next contact with a station settles.'
        HostRecord = 'Lists host records (Set-ProvDeviceRecord) instead of devices: all, of -NodeId, or of -ConfigId, newest first.'
        ConfigId   = 'With -HostRecord: only the host records of this configuration, decimal or 0x hex.'
        Server     = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Outputs     = @{ 'Provisioning.PowerShell.ProvHostRecord' = 'With -HostRecord: RequestId, NodeId (empty without one), ConfigId, Batch, Timestamp, Status, Apps, AppNames, RecordedAt, ConfirmedAt, ReplacedAt, Station.'; 'Provisioning.PowerShell.ProvDevice' = 'NodeId, Status (confirmed, unresolved or none), Unresolved, Current, Kcv, Pending, ConfigId, Batch, History (each record: RequestId, Status, Kcv, ConfigId, Batch, Timestamp, RecordedAt, ConfirmedAt, ReplacedAt, Station).' }
    Examples    = @(
        @{
            Code    = 'Get-ProvDevice -Unresolved'
            Remarks = 'Lists the devices a stopped station left with an unresolved pending key; provision them again to settle them.'
        }
        @{
            Code    = '(Get-ProvDevice -NodeId 0x10).History | Format-Table Status, Kcv, ConfigId, Batch, RecordedAt, Station'
            Remarks = 'Shows every key recorded for node 0x10, newest first, with what became of each.'
        }
        @{
            Code    = 'Get-ProvDevice -Unresolved | ForEach-Object { ''0x{0:X8}'' -f $_.NodeId } | Set-Content reprovision.txt'
            Remarks = 'Writes the node IDs to provision again to a file for the line.'
        }
        @{
            Code    = 'Get-ProvDevice -HostRecord -ConfigId 70 | Format-Table NodeId, Status, Batch, AppNames, Timestamp'
            Remarks = 'Lists the host records saved for config 70, newest first.'
        }
    )
    Links       = @('Export-ProvKey', 'Invoke-NodeProvision')
}
