@{
    Synopsis    = 'Confirms host records saved with Set-ProvDeviceRecord -Pending, once the host holds what they say.'
    Description = @'
The second step of saving a host key as the station saves a root key: Set-ProvDeviceRecord -Pending puts the encrypted key on the server before it reaches the host; once the host holds it (written and read back), Confirm-ProvDeviceRecord confirms the record. It then becomes its device's current host record, which Export-ProvKey carries by default: the device's earlier confirmed host records become replaced, its older pending ones abandoned. Confirming again is harmless (the first confirmation time stays); a record replaced or abandoned since stays so.

Takes the records (or their request IDs) from the pipeline. Needs a station or admin token.
'@
    Parameters  = @{
        RequestId = 'The request IDs of the records to confirm. Set-ProvDeviceRecord''s output binds by its RequestId.'
        Server    = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Inputs      = @{ 'Provisioning.PowerShell.ProvHostRecord, System.Guid' = 'Records from Set-ProvDeviceRecord -Pending, or request IDs.' }
    Outputs     = @{ 'Provisioning.PowerShell.ProvHostRecord' = 'The record as confirmed.' }
    Examples    = @(
        @{
            Code    = @'
$pending = Set-ProvDeviceRecord -ConfigId 70 -Batch 1000 -NodeId 0x11 -App @{ Name = 'emcm'; Id = '00A1B2C3D4E5F612' } -Pending
$pending | Confirm-ProvDeviceRecord
'@
            Remarks = 'Confirms a record once the host holds what it says.'
        }
        @{
            Code    = 'Get-ProvDevice -HostRecord -ConfigId 70 | Where-Object Status -eq pending | Confirm-ProvDeviceRecord -WhatIf'
            Remarks = 'Shows which pending host records of config 70 would be confirmed.'
        }
    )
    Links       = @('Set-ProvDeviceRecord', 'Get-ProvDevice')
}
