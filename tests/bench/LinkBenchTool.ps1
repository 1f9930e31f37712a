# Shared by Link.Bench.ps1 and Reliable.Bench.ps1 (dot-sourced; build.ps1 Bench runs only *.Bench.ps1): one firmware
# transfer from NodeClient to a fresh paced node simulator, through any wrapper (a wrapper with a session of its own,
# such as reliable, is opened first and the node protocol runs inside it), and the pure line time measured on the
# same simulator.
$script:none = [Threading.CancellationToken]::None

# Seconds the paced simulator takes to take in $Bytes raw bytes at $BaudRate: the pure line time, measured.
function Measure-LineTime([int] $Bytes, [int] $BaudRate) {
    $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper none -Pace -BaudRate $BaudRate -Silent
    try {
        $transport = [Provisioning.Core.Transport.NodeTransport]::OpenAsync($sim.Endpoint, $BaudRate, $none).GetAwaiter().GetResult()
        try {
            $blob = [byte[]]::new($Bytes)
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $null = $transport.WriteAsync($blob, $none).AsTask().GetAwaiter().GetResult()
            $deadline = [DateTime]::UtcNow.AddSeconds($Bytes * 20.0 / $BaudRate + 10)
            while ($sim.BytesReceived -lt $Bytes) {
                if ([DateTime]::UtcNow -gt $deadline) { throw "The simulator took in only $($sim.BytesReceived) of $Bytes bytes." }
                Start-Sleep -Milliseconds 2
            }
            $clock.Elapsed.TotalSeconds
        }
        finally { $null = $transport.DisposeAsync().AsTask().GetAwaiter().GetResult() }
    }
    finally { $sim | Stop-ProvNodeSimulator }
}

# Writes $Image once to a fresh simulator with -Pace and returns a row: time, efficiency against $LineSeconds, intact.
function Measure-LinkTransfer {
    param([string] $Link, [string] $Wrapper, [byte[]] $Image, [double] $LineSeconds, [int] $BaudRate,
          [double] $BitErrorRate = 0, [int] $Seed = 0, [hashtable] $Simulator = @{})
    $digest = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($Image))
    $pair = $null
    $noise = @{ BitErrorRate = $BitErrorRate; Seed = $Seed }
    if ($Link -eq 'serial') {
        $pair = New-ProvVirtualSerialPair
        $sim = Start-ProvNodeSimulator -PortName $pair.PortB -Wrapper $Wrapper -Pace -BaudRate $BaudRate @noise @Simulator
        $port = $pair.PortA
    }
    else {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper $Wrapper -Pace -BaudRate $BaudRate @noise @Simulator
        $port = $sim.Endpoint
    }
    try {
        $transport = [Provisioning.Core.Transport.NodeTransport]::OpenAsync($port, $BaudRate, $none).GetAwaiter().GetResult()
        $wrap = [Provisioning.Core.Wrappers.TransportWrappers]::Create($Wrapper)
        $options = [Provisioning.Core.Node.NodeClientOptions]::new()
        $session = $null
        if ($wrap -is [Provisioning.Core.Wrappers.LinkWrapper]) {
            $linkOptions = [Provisioning.Core.Wrappers.LinkOptions]@{ BaudRate = $BaudRate }
            $session = $wrap.OpenAsync($transport, 'Station', $linkOptions, $none).GetAwaiter().GetResult()
            $transport = $session
            $wrap = $session.NodeWrapper
            $options = [Provisioning.Core.Node.NodeClientOptions]@{
                ResponseTimeout = $options.ResponseTimeout + $session.ExtraLatency; FirstContactTimeout = $options.FirstContactTimeout + $session.ExtraLatency }
        }
        $client = [Provisioning.Core.Node.NodeClient]::new($transport, $wrap, $options)
        try {
            $null = $client.GetInfoAsync($none).GetAwaiter().GetResult()
            $before = $sim.BytesReceived
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $failure = $null
            try { $null = $client.WriteImageAsync('Firmware', $Image, 'bench', $null, $none).GetAwaiter().GetResult() }
            catch { $failure = $_.Exception.GetBaseException().Message }
            $seconds = $clock.Elapsed.TotalSeconds
            $onLine = $sim.BytesReceived - $before
            $stats = if ($session) { $s = $session.Statistics; "$($s.Damaged)/$($s.Resends)/$($s.Naks)" } else { "$($client.LinkStatistics.Item1)/$($client.LinkStatistics.Item2)/-" }
            [pscustomobject]@{
                Link                  = $Link
                Wrapper               = $Wrapper
                'Max msg'             = if ($Simulator.ContainsKey('MaxMessageSize')) { $Simulator['MaxMessageSize'] } else { $wrap.MaxMessageSize }
                BER                   = $BitErrorRate.ToString('0e0', [cultureinfo]::InvariantCulture)
                Seed                  = $Seed
                'Transfer s'          = [math]::Round($seconds, 2)
                Efficiency            = if ($failure) { 0 } else { [math]::Round($LineSeconds / $seconds, 3) }
                Intact                = -not $failure -and $sim.State.FirmwareSha256 -eq $digest
                'Overhead %'          = [math]::Round(100.0 * ($onLine - $Image.Length) / $Image.Length, 1)
                'Lost chunks'         = $client.ChunksLost
                'Damaged/Resent/NAKs' = $stats
                'Too large'           = $sim.MessagesTooLarge
                Failure               = $failure
            }
        }
        finally { $null = $client.DisposeAsync().AsTask().GetAwaiter().GetResult() }
    }
    finally {
        $sim | Stop-ProvNodeSimulator
        if ($pair) { $pair | Remove-ProvVirtualSerialPair }
    }
}

# One line per wrapper and bit error rate: worst and mean efficiency against the goal, and whether every image arrived.
function Write-LinkSummary($Rows, [string[]] $Wrappers, [double[]] $BitErrorRates, [scriptblock] $Goal) {
    foreach ($wrapper in $Wrappers) {
        foreach ($ber in $BitErrorRates) {
            $set = @($Rows | Where-Object { $_.Wrapper -eq $wrapper -and $_.Link -eq 'tcp' -and $_.BER -eq $ber.ToString('0e0', [cultureinfo]::InvariantCulture) })
            if (-not $set) { continue }
            $worst = ($set | Measure-Object Efficiency -Minimum).Minimum
            $mean = ($set | Measure-Object Efficiency -Average).Average
            $target = & $Goal $ber
            $intact = -not ($set | Where-Object { -not $_.Intact })
            $met = $worst -ge $target -and $intact
            Write-Host ("{0,-8} BER {1,-6:0e0}: efficiency worst {2:0.000}, mean {3:0.000} (goal >= {4}), intact {5}: {6}" -f $wrapper, $ber, $worst, $mean, $target, $intact, $(if ($met) { 'met' } else { 'NOT met' }))
        }
    }
}
