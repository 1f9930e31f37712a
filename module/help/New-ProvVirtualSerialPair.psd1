@{
    Synopsis    = 'Creates two connected virtual serial ports (a socat pseudo-terminal pair), like a null-modem cable, for a station and a simulated node.'
    Description = @'
Starts socat with two pseudo-terminals joined together and returns once both ports exist and open. What is written to PortA is read from PortB and the other way round. Give PortB to Start-ProvNodeSimulator -PortName and PortA to the station (Invoke-NodeProvision -Port).

The ports are symbolic links in -Path (default: the temporary folder). A pseudo-terminal does not pace at a baud rate; use Start-ProvNodeSimulator -Pace for realistic timing.

Needs socat (Linux or macOS; Debian/Ubuntu: apt-get install socat). Remove the pair with Remove-ProvVirtualSerialPair; socat is also stopped when PowerShell exits.
'@
    Parameters  = @{
        Path       = 'Folder for the two port links. Default: the temporary folder.'
        TimeoutSec = 'Seconds to wait for socat to make both ports.'
    }
    Defaults    = @{ TimeoutSec = '10'; Path = '<temporary folder>' }
    Outputs     = @{ 'Provisioning.Core.Transport.VirtualSerialPair' = 'PortA, PortB (the two port paths), ProcessId (of socat), IsAlive. Pipe it to Remove-ProvVirtualSerialPair.' }
    Examples    = @(
        @{
            Code    = '$pair = New-ProvVirtualSerialPair
$sim = Start-ProvNodeSimulator -PortName $pair.PortB -NodeId 0x1234
$pair.PortA    # give this port to the station'
            Remarks = 'A simulated node on one end of a virtual serial cable.'
        }
        @{
            Code    = '$pairs = 1..8 | ForEach-Object { New-ProvVirtualSerialPair -Path ./ports }
$pairs | Remove-ProvVirtualSerialPair'
            Remarks = 'Eight pairs for eight simulated stations ports, with their links under ./ports, then removed.'
        }
    )
    Links       = @('Remove-ProvVirtualSerialPair', 'Start-ProvNodeSimulator')
}
