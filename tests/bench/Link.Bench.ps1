#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Link efficiency: a 128 KiB firmware from NodeClient to a simulated node pacing its line at 115200 baud, on a clean
    and on noisy lines.
.DESCRIPTION
    Each row writes the firmware once to a fresh simulator with -Pace: with the orw wrapper at its default 512-byte
    messages (the guide's host buffer, Appendix B.2.2; the simulator drops anything larger) and with none, at bit error
    rates 0, 1e-5 and 1e-4 on both directions of the line (-BitErrorRate, three fixed seeds each), over TCP; and once per
    wrapper on a clean socat serial pair. The baseline is the pure line time of the image, bytes x 10 / baud (start,
    8 data and stop bits per byte); efficiency = line time / measured transfer time (ImageBegin to the committed image).
    Intact: the node activated an image with the firmware's SHA-256.
    Goals (issue #9): >= 0.95 at 0, >= 0.85 at 1e-5, completes with >= 0.5 at 1e-4, intact always.
    For scale: serial MCUmgr uploads are reported near 3 KB/s at 115200 (~0.26).
#>
param([int] $SizeKiB = 128, [int] $BaudRate = 115200, [int[]] $Seeds = @(1, 2, 3), [double[]] $BitErrorRates = @(0, 1e-5, 1e-4))
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path "$PSScriptRoot/../..").Path
Import-Module "$root/Provisioning.psd1" -Force

$none = [Threading.CancellationToken]::None
$image = [byte[]]::new($SizeKiB * 1024)
[Random]::new(42).NextBytes($image)
$digest = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($image))
$lineSeconds = $image.Length * 10.0 / $BaudRate

function Measure-Transfer([string] $Link, [string] $Wrapper, [double] $BitErrorRate = 0, [int] $Seed = 0) {
    $pair = $null
    $noise = @{ BitErrorRate = $BitErrorRate; Seed = $Seed }
    if ($Link -eq 'serial') {
        $pair = New-ProvVirtualSerialPair
        $sim = Start-ProvNodeSimulator -PortName $pair.PortB -Wrapper $Wrapper -Pace -BaudRate $BaudRate @noise
        $port = $pair.PortA
    }
    else {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper $Wrapper -Pace -BaudRate $BaudRate @noise
        $port = $sim.Endpoint
    }
    try {
        $transport = [Provisioning.Core.Transport.NodeTransport]::OpenAsync($port, $BaudRate, $none).GetAwaiter().GetResult()
        $client = [Provisioning.Core.Node.NodeClient]::new($transport, [Provisioning.Core.Wrappers.TransportWrappers]::Create($Wrapper), $null)
        try {
            $null = $client.GetInfoAsync($none).GetAwaiter().GetResult()
            $before = $sim.BytesReceived
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $failure = $null
            try { $null = $client.WriteImageAsync('Firmware', $image, 'bench', $null, $none).GetAwaiter().GetResult() }
            catch { $failure = $_.Exception.GetBaseException().Message }
            $seconds = $clock.Elapsed.TotalSeconds
            $onLine = $sim.BytesReceived - $before
            [pscustomobject]@{
                Link             = $Link
                Wrapper          = $Wrapper
                'Max msg'        = $client.MaxMessageSize
                BER              = $BitErrorRate.ToString('0e0', [cultureinfo]::InvariantCulture)
                Seed             = $Seed
                'Transfer s'     = [math]::Round($seconds, 2)
                Efficiency       = if ($failure) { 0 } else { [math]::Round($lineSeconds / $seconds, 3) }
                Intact           = -not $failure -and $sim.State.FirmwareSha256 -eq $digest
                'Overhead %'     = [math]::Round(100.0 * ($onLine - $image.Length) / $image.Length, 1)
                'Lost chunks'    = $client.ChunksLost
                'Damaged/Resent' = "$($client.LinkStatistics.Item1)/$($client.LinkStatistics.Item2)"
                'Too large'      = $sim.MessagesTooLarge
                Failure          = $failure
            }
        }
        finally { $null = $client.DisposeAsync().AsTask().GetAwaiter().GetResult() }
    }
    finally {
        $sim | Stop-ProvNodeSimulator
        if ($pair) { $pair | Remove-ProvVirtualSerialPair }
    }
}

$load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { 'n/a' }
Write-Host "Firmware $SizeKiB KiB at $BaudRate baud: pure line time $([math]::Round($lineSeconds, 2)) s (baseline). Load average at start: $load ($([Environment]::ProcessorCount) cores)."
$rows = [System.Collections.Generic.List[object]]::new()
foreach ($wrapper in 'orw', 'none') {
    foreach ($ber in $BitErrorRates) {
        foreach ($seed in $Seeds) { $rows.Add((Measure-Transfer tcp $wrapper $ber $seed)) }
    }
}
if (Get-Command socat -ErrorAction Ignore) { foreach ($wrapper in 'orw', 'none') { $rows.Add((Measure-Transfer serial $wrapper)) } }
else { Write-Warning 'socat is not installed: the serial-pair rows are left out (apt-get install socat).' }
$rows | Select-Object -Property * -ExcludeProperty Failure | Format-Table -AutoSize | Out-String -Width 250 | Out-Host
$rows | Where-Object Failure | ForEach-Object { Write-Host "FAILED $($_.Wrapper) BER $($_.BER) seed $($_.Seed): $($_.Failure)" }

foreach ($wrapper in 'orw', 'none') {
    foreach ($ber in $BitErrorRates) {
        $set = @($rows | Where-Object { $_.Wrapper -eq $wrapper -and $_.Link -eq 'tcp' -and $_.BER -eq $ber.ToString('0e0', [cultureinfo]::InvariantCulture) })
        $worst = ($set | Measure-Object Efficiency -Minimum).Minimum
        $mean = ($set | Measure-Object Efficiency -Average).Average
        $goal = if ($ber -eq 0) { 0.95 } elseif ($ber -le 1e-5) { 0.85 } else { 0.5 }
        $intact = -not ($set | Where-Object { -not $_.Intact })
        $met = $worst -ge $goal -and $intact
        Write-Host ("{0,-4} BER {1,-6:0e0}: efficiency worst {2:0.000}, mean {3:0.000} (goal >= {4}), intact {5}: {6}" -f $wrapper, $ber, $worst, $mean, $goal, $intact, $(if ($met) { 'met' } else { 'NOT met' }))
    }
}
$load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { 'n/a' }
Write-Host "Load average at the end: $load."
