@{
    Synopsis    = 'Exports device keys for the KMS (device_keys.xml), selected as on the guide''s export page.'
    Description = @'
Asks the server for the device records of one configuration and saves the key file it streams. The filters are the guide's export form (section 7.3): values separated by commas, ranges with a hyphen. They are checked before anything is sent, and an error names the part at fault (1005-1002, 0xZZ, 4294967296).

The file is written to <Path>.partial while its SHA-256 is computed, then compared with the server's receipt for the export (size and SHA-256); only a file that matches is moved to -Path. Any failure leaves nothing at -Path. The result is the receipt: export ID, config ID, number of devices, size, SHA-256, path and filters. The server keeps every receipt in its export history.

-To given as a date without a time (midnight) means the end of that day, so -From 2024-05-01 -To 2024-05-31 covers all of May. Times are local unless they carry an offset. By default each node's current (confirmed) record is exported; with -IncludePending a node with a pending record (a key recorded but never confirmed) gets its newest pending record instead, marked pending (docs/export-format.md has the exact rule). The receipt's Unresolved counts the nodes of the selection with a pending record, and a warning names how many and points at Get-ProvDevice -Unresolved. An existing file is refused unless -Force is given. Export-ProvKeys is an alias.
'@
    Parameters  = @{
        ConfigId       = 'The configuration whose devices are exported, decimal or 0x hex.'
        ConfigAlias    = 'A config alias instead of the ID.'
        Batch          = 'Batch numbers, e.g. 1000,1002-1005. Decimal, 0x hex or leading-0 octal, each an unsigned 32-bit number.'
        NodeId         = 'Node IDs, e.g. 0x0010-0x001F,0x40: 0x hex or decimal, each an unsigned 32-bit number.'
        From           = 'Earliest provisioning time included.'
        To             = 'Latest provisioning time included. A date without a time (midnight) means the end of that day.'
        IncludePending = 'For a node with a pending record, exports its newest pending record instead of its confirmed one (marked pending in the file); nodes with only a pending record are included.'
        Path           = 'The file to write, e.g. device_keys.xml.'
        Force          = 'Replaces an existing file (only once the new one is complete and verified).'
        Server         = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Outputs     = @{ 'Provisioning.PowerShell.ProvKeyExport' = 'ExportId, ConfigId, Count, Size, Sha256, Path, Batch, NodeId, From, To, IncludePending, Started, Completed, RequestedBy, Unresolved (nodes of the selection with an unresolved pending key).' }
    Examples    = @(
        @{
            Code    = 'Export-ProvKey -ConfigId 69 -Batch 1000 -Path ./device_keys.xml'
            Remarks = 'Exports the keys of every confirmed device of batch 1000 and returns the receipt.'
        }
        @{
            Code    = 'Export-ProvKeys -ConfigAlias kite_170 -Batch "1000,1002-1005" -NodeId "0x0010-0x001F,0x40" -From 2024-05-01 -To 2024-05-31 -Path ./may.xml -Force'
            Remarks = 'Combines the filters of the guide''s export page: several batches, node ID ranges and the whole of May.'
        }
        @{
            Code    = 'Export-ProvKey -ConfigId 0x45 -Path ./config_69.xml -WhatIf'
            Remarks = 'Checks the filters and shows what would be exported, without exporting.'
        }
    )
    Links       = @('Get-ProvPackage', 'about_Provisioning')
}
