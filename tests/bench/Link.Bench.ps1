#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Link efficiency: a 256 KiB firmware from NodeClient to a simulated node pacing its line at 115200 baud.
.DESCRIPTION
    For each link (a socat virtual serial pair, and TCP) and each wrapper (none, orw) the firmware is written once to a
    fresh simulator with -Pace. The baseline is the pure line time of the image, bytes x 10 / baud (start, 8 data and
    stop bits per byte); efficiency = line time / measured transfer time (ImageBegin to the committed image).
    Goal (issue #4): >= 0.90 with orw. For scale: serial MCUmgr uploads are reported near 3 KB/s at 115200 (~0.26).
#>
param([int] $SizeKiB = 256, [int] $BaudRate = 115200)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path "$PSScriptRoot/../..").Path
Import-Module "$root/Provisioning.psd1" -Force

$none = [Threading.CancellationToken]::None
$image = [byte[]]::new($SizeKiB * 1024)
[Random]::new(42).NextBytes($image)
$lineSeconds = $image.Length * 10.0 / $BaudRate

function Measure-Transfer([string] $Link, [string] $Wrapper) {
    $pair = $null
    if ($Link -eq 'serial') {
        $pair = New-ProvVirtualSerialPair
        $sim = Start-ProvNodeSimulator -PortName $pair.PortB -Wrapper $Wrapper -Pace -BaudRate $BaudRate
        $port = $pair.PortA
    }
    else {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper $Wrapper -Pace -BaudRate $BaudRate
        $port = $sim.Endpoint
    }
    try {
        $transport = [Provisioning.Core.Transport.NodeTransport]::OpenAsync($port, $BaudRate, $none).GetAwaiter().GetResult()
        $client = [Provisioning.Core.Node.NodeClient]::new($transport, [Provisioning.Core.Wrappers.TransportWrappers]::Create($Wrapper), $null)
        try {
            $null = $client.GetInfoAsync($none).GetAwaiter().GetResult()
            $before = $sim.BytesReceived
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $null = $client.WriteImageAsync('Firmware', $image, 'bench', $null, $none).GetAwaiter().GetResult()
            $seconds = $clock.Elapsed.TotalSeconds
            $onLine = $sim.BytesReceived - $before
            [pscustomobject]@{
                Link             = $Link
                Wrapper          = $Wrapper
                'Line s'         = [math]::Round($lineSeconds, 2)
                'Transfer s'     = [math]::Round($seconds, 2)
                Efficiency       = [math]::Round($lineSeconds / $seconds, 3)
                'Line bytes'     = $onLine
                'Overhead %'     = [math]::Round(100.0 * ($onLine - $image.Length) / $image.Length, 2)
                'Damaged/Resent' = "$($client.LinkStatistics.Item1)/$($client.LinkStatistics.Item2)"
            }
        }
        finally { $null = $client.DisposeAsync().AsTask().GetAwaiter().GetResult() }
    }
    finally {
        $sim | Stop-ProvNodeSimulator
        if ($pair) { $pair | Remove-ProvVirtualSerialPair }
    }
}

$links = @('tcp')
if (Get-Command socat -ErrorAction Ignore) { $links = @('serial', 'tcp') } else { Write-Warning 'socat is not installed: the serial-pair rows are left out (apt-get install socat).' }
Write-Host "Firmware $SizeKiB KiB at $BaudRate baud: pure line time $([math]::Round($lineSeconds, 2)) s (baseline)."
$rows = foreach ($link in $links) { foreach ($wrapper in 'none', 'orw') { Measure-Transfer $link $wrapper } }
$rows | Format-Table -AutoSize | Out-Host
$orw = @($rows | Where-Object Wrapper -eq 'orw')
$worst = ($orw | Measure-Object Efficiency -Minimum).Minimum
Write-Host ("Link efficiency with orw: worst {0:0.000} (goal >= 0.90): {1}" -f $worst, $(if ($worst -ge 0.90) { 'met' } else { 'NOT met' }))
