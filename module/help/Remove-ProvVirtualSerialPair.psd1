@{
    Synopsis    = 'Removes a virtual serial pair: stops its socat process, so both ports disappear.'
    Description = @'
Stops the socat process of a pair made by New-ProvVirtualSerialPair and deletes its two port links. Programs that still have a port open see it fail.
'@
    Parameters  = @{
        InputObject = 'The pair (or pairs) New-ProvVirtualSerialPair returned.'
    }
    Inputs      = @{ 'Provisioning.Core.Transport.VirtualSerialPair' = 'Pairs from New-ProvVirtualSerialPair.' }
    Examples    = @(
        @{
            Code    = '$pair | Remove-ProvVirtualSerialPair'
            Remarks = 'Removes one pair.'
        }
    )
    Links       = @('New-ProvVirtualSerialPair')
}
