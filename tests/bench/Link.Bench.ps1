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
    For scale: serial MCUmgr uploads are reported near 3 KB/s at 115200 (~0.26). The reliable wrapper has its own
    bench, Reliable.Bench.ps1.
#>
param([int] $SizeKiB = 128, [int] $BaudRate = 115200, [int[]] $Seeds = @(1, 2, 3), [double[]] $BitErrorRates = @(0, 1e-5, 1e-4))
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path "$PSScriptRoot/../..").Path
Import-Module "$root/Provisioning.psd1" -Force
. "$PSScriptRoot/LinkBenchTool.ps1"

$image = [byte[]]::new($SizeKiB * 1024)
[Random]::new(42).NextBytes($image)
$lineSeconds = $image.Length * 10.0 / $BaudRate
$common = @{ Image = $image; LineSeconds = $lineSeconds; BaudRate = $BaudRate }

$load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { 'n/a' }
Write-Host "Firmware $SizeKiB KiB at $BaudRate baud: pure line time $([math]::Round($lineSeconds, 2)) s (baseline). Load average at start: $load ($([Environment]::ProcessorCount) cores)."
$rows = [System.Collections.Generic.List[object]]::new()
foreach ($wrapper in 'orw', 'none') {
    foreach ($ber in $BitErrorRates) {
        foreach ($seed in $Seeds) { $rows.Add((Measure-LinkTransfer tcp $wrapper @common -BitErrorRate $ber -Seed $seed)) }
    }
}
if (Get-Command socat -ErrorAction Ignore) { foreach ($wrapper in 'orw', 'none') { $rows.Add((Measure-LinkTransfer serial $wrapper @common)) } }
else { Write-Warning 'socat is not installed: the serial-pair rows are left out (apt-get install socat).' }
$rows | Select-Object -Property * -ExcludeProperty Failure | Format-Table -Property * -AutoSize | Out-String -Width 250 | Out-Host
$rows | Where-Object Failure | ForEach-Object { Write-Host "FAILED $($_.Wrapper) BER $($_.BER) seed $($_.Seed): $($_.Failure)" }

Write-LinkSummary $rows 'orw', 'none' $BitErrorRates { param($ber) if ($ber -eq 0) { 0.95 } elseif ($ber -le 1e-5) { 0.85 } else { 0.5 } }
$load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { 'n/a' }
Write-Host "Load average at the end: $load."
