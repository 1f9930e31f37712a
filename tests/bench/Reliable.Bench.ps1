#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The reliable wrapper's efficiency: a 256 KiB firmware at 115200 baud to a simulated node behind the simulator's
    host-role session, on a clean and on noisy lines.
.DESCRIPTION
    Each row writes the firmware once to a fresh simulator with -Pace and -Wrapper reliable, at bit error rates 0, 1e-5
    and 1e-4 on both directions of the line (-BitErrorRate; the noise hits the wrapper's frames), over TCP, with the
    host's default buffer (1032 bytes) and with a 256-byte host buffer; and once on a clean socat serial pair.
    The baseline is the pure line time, measured in the same run: how long the same paced simulator takes to take in
    the image's bytes sent raw (also printed beside bytes x 10 / baud). Efficiency = baseline / transfer time
    (ImageBegin to the committed image). Intact: the node activated an image with the firmware's SHA-256.
    Goals (issue #12): >= 0.95 at 0, >= 0.90 at 1e-5, >= 0.75 at 1e-4, intact every time (default host buffer).
    -Seeds adds runs per rate; -SizeKiB scales the image.
#>
param([int] $SizeKiB = 256, [int] $BaudRate = 115200, [int[]] $Seeds = @(1, 2), [double[]] $BitErrorRates = @(0, 1e-5, 1e-4), [switch] $SkipSmallHost)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path "$PSScriptRoot/../..").Path
Import-Module "$root/Provisioning.psd1" -Force
. "$PSScriptRoot/LinkBenchTool.ps1"

$image = [byte[]]::new($SizeKiB * 1024)
[Random]::new(42).NextBytes($image)
$computed = $image.Length * 10.0 / $BaudRate
$lineSeconds = Measure-LineTime $image.Length $BaudRate
$common = @{ Image = $image; LineSeconds = $lineSeconds; BaudRate = $BaudRate }

$load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { 'n/a' }
Write-Host ("Firmware {0} KiB at {1} baud: pure line time measured {2:0.00} s (baseline; bytes x 10 / baud = {3:0.00} s). Load average at start: {4} ({5} cores)." -f $SizeKiB, $BaudRate, $lineSeconds, $computed, $load, [Environment]::ProcessorCount)
$rows = [System.Collections.Generic.List[object]]::new()
foreach ($ber in $BitErrorRates) {
    foreach ($seed in $Seeds) { $rows.Add((Measure-LinkTransfer tcp reliable @common -BitErrorRate $ber -Seed $seed)) }
}
if (-not $SkipSmallHost) {
    foreach ($ber in $BitErrorRates) { $rows.Add((Measure-LinkTransfer tcp-256 reliable @common -BitErrorRate $ber -Seed 1 -Simulator @{ MaxMessageSize = 256 })) }
}
if (Get-Command socat -ErrorAction Ignore) { $rows.Add((Measure-LinkTransfer serial reliable @common)) }
else { Write-Warning 'socat is not installed: the serial-pair row is left out (apt-get install socat).' }
$rows | Select-Object -Property * -ExcludeProperty Failure | Format-Table -Property * -AutoSize | Out-String -Width 250 | Out-Host
$rows | Where-Object Failure | ForEach-Object { Write-Host "FAILED $($_.Link) BER $($_.BER) seed $($_.Seed): $($_.Failure)" }

Write-LinkSummary $rows 'reliable' $BitErrorRates { param($ber) if ($ber -eq 0) { 0.95 } elseif ($ber -le 1e-5) { 0.90 } else { 0.75 } }
foreach ($row in $rows | Where-Object Link -eq 'tcp-256') { Write-Host ("reliable, 256-byte host, BER {0}: efficiency {1:0.000}, intact {2}" -f $row.BER, $row.Efficiency, $row.Intact) }
$load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { 'n/a' }
Write-Host "Load average at the end: $load."
