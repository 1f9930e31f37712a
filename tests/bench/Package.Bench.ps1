#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Package build and verify with a large node firmware, against GNU tar + sha256sum on the same files in the same run.
.DESCRIPTION
    For firmware sizes of 16, 64 and 256 MiB:
      build   Provisioning.Bench build (hash + tar + gzip)   vs  tar czf of the same folder
      verify  Provisioning.Bench verify (gunzip + untar + MD5 + SHA-256 of every file, signature)
                                                          vs  tar xzf + sha256sum of every file
      verify+extract  the same, also writing every file out as an import does
    Each figure is the median of several runs, measured by GNU time (wall seconds, max RSS) around a whole process.
    Goal (issue #2): verify <= 1.5x the GNU tools at 64 MiB; peak memory flat as the firmware grows.
#>
param([int[]] $SizesMiB = @(16, 64, 256), [int] $Runs = 3)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path "$PSScriptRoot/../..").Path
Import-Module "$root/Provisioning.psd1" -Force

$timeExe = '/usr/bin/time'
if (-not (Test-Path $timeExe)) { throw 'GNU time (/usr/bin/time) is needed: apt-get install -y time' }
$benchDll = Get-ChildItem "$root/tests/bench/Provisioning.Bench/bin/Release" -Recurse -Filter Provisioning.Bench.dll | Select-Object -First 1
if (-not $benchDll) { throw 'Build first: ./build.ps1 Bench builds the solution.' }

$work = Join-Path ([System.IO.Path]::GetTempPath()) "prov-bench-$PID"
New-Item -ItemType Directory $work | Out-Null

# Runs a command under GNU time; returns wall seconds and max RSS in MiB.
function Measure-Process([string] $Command) {
    $report = Join-Path $work 'time.txt'
    & $timeExe -f '%e %M' -o $report bash -c $Command
    if ($LASTEXITCODE -ne 0) { throw "failed: $Command" }
    $wall, $rssKiB = (Get-Content $report -Tail 1) -split ' '
    [pscustomobject]@{ Seconds = [double]$wall; RssMiB = [double]$rssKiB / 1024 }
}
function Get-Median([double[]] $Values) { $s = @($Values | Sort-Object); $s[[int][math]::Floor(($s.Count - 1) / 2)] }
function Measure-Median([string] $Command) {
    $all = 1..$Runs | ForEach-Object { Measure-Process $Command }
    [pscustomobject]@{ Seconds = Get-Median $all.Seconds; RssMiB = Get-Median $all.RssMiB }
}

try {
    $pass = ConvertTo-SecureString 'bench' -AsPlainText -Force
    $kms = New-ProvKmsKeyPair -Path "$work/kms"
    $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$work/net" -Iterations 10000
    $dotnet = (Get-Command dotnet).Source
    $idle = Measure-Median "'$dotnet' '$($benchDll.FullName)' idle >/dev/null"
    $rows = foreach ($mib in $SizesMiB) {
        # Firmware-like content: half random, half repetitive, so gzip has real work on both kinds.
        $fw = Join-Path $work "node-$mib.bin"
        $stream = [System.IO.File]::Create($fw)
        $random = [System.Random]::new($mib); $chunk = [byte[]]::new(1MB)
        for ($i = 0; $i -lt $mib; $i++) {
            if ($i % 2 -eq 0) { $random.NextBytes($chunk) } else { for ($j = 0; $j -lt $chunk.Length; $j++) { $chunk[$j] = [byte](($j * 7 + $i) % 251) } }
            $stream.Write($chunk, 0, $chunk.Length)
        }
        $stream.Dispose()
        Set-Content "$work/field.cfg" 'network=demo'

        $pkg = Join-Path $work "pkg-$mib.tar.gz"
        $ours = "'$dotnet' '$($benchDll.FullName)'"
        $build = Measure-Median "$ours build '$pkg' '$($kms.PublicKeyPath)' '$($gw.Path)' '$fw' '$work/field.cfg' >/dev/null"
        $verify = Measure-Median "$ours verify '$pkg' >/dev/null"
        $extractDir = Join-Path $work "x-$mib"
        $verifyExtract = Measure-Median "rm -rf '$extractDir' && mkdir '$extractDir' && $ours verify '$pkg' '$extractDir' >/dev/null"

        # The same files laid out as in the package, packed and checked with the GNU tools.
        $gnuDir = Join-Path $work "gnu-$mib"; Remove-Item $gnuDir -Recurse -Force -ErrorAction Ignore
        & tar -xzf $pkg -C (New-Item -ItemType Directory $gnuDir).FullName
        $gnuPkg = Join-Path $work "gnu-$mib.tar.gz"
        $gnuBuild = Measure-Median "tar -czf '$gnuPkg' -C '$gnuDir' ."
        $outDir = Join-Path $work "out-$mib"
        $gnuVerify = Measure-Median "rm -rf '$outDir' && mkdir '$outDir' && tar -xzf '$gnuPkg' -C '$outDir' && cd '$outDir' && find . -type f -print0 | xargs -0 sha256sum >/dev/null"
        Remove-Item $gnuDir, $outDir, $extractDir, $fw -Recurse -Force

        [pscustomobject]@{
            'Firmware MiB'          = $mib
            'Build s'               = $build.Seconds
            'tar czf s'             = $gnuBuild.Seconds
            'Build ratio'           = [math]::Round($build.Seconds / $gnuBuild.Seconds, 2)
            'Verify s'              = $verify.Seconds
            'tar xzf+sha256sum s'   = $gnuVerify.Seconds
            'Verify ratio'          = [math]::Round($verify.Seconds / $gnuVerify.Seconds, 2)
            'Verify+extract s'      = $verifyExtract.Seconds
            'Verify+extract ratio'  = [math]::Round($verifyExtract.Seconds / $gnuVerify.Seconds, 2)
            'Build peak MiB'        = [math]::Round($build.RssMiB, 1)
            'Verify peak MiB'       = [math]::Round($verify.RssMiB, 1)
            'Verify+extract peak MiB' = [math]::Round($verifyExtract.RssMiB, 1)
            'GNU verify peak MiB'   = [math]::Round($gnuVerify.RssMiB, 1)
            'tar czf peak MiB'      = [math]::Round($gnuBuild.RssMiB, 1)
            'Build memory ratio'    = [math]::Round($build.RssMiB / $gnuBuild.RssMiB, 1)
            'Verify memory ratio'   = [math]::Round($verify.RssMiB / $gnuVerify.RssMiB, 1)
        }
    }
    Write-Host 'Time (median wall seconds, whole process) and ratio to the GNU tools:'
    $rows | Select-Object 'Firmware MiB', 'Build s', 'tar czf s', 'Build ratio', 'Verify s', 'Verify+extract s', 'tar xzf+sha256sum s', 'Verify ratio', 'Verify+extract ratio' |
        Format-Table -AutoSize | Out-String -Width 300 | Write-Host
    Write-Host ("Peak memory (max RSS, MiB; the .NET runtime alone peaks at {0:N1} MiB) and ratio to the GNU tools:" -f $idle.RssMiB)
    $rows | Select-Object 'Firmware MiB', 'Build peak MiB', 'tar czf peak MiB', 'Build memory ratio', 'Verify peak MiB', 'Verify+extract peak MiB', 'GNU verify peak MiB', 'Verify memory ratio' |
        Format-Table -AutoSize | Out-String -Width 300 | Write-Host
    $first = $rows | Select-Object -First 1; $last = $rows | Select-Object -Last 1
    $growth = [math]::Round($last.'Verify peak MiB' / $first.'Verify peak MiB', 2)
    $buildGrowth = [math]::Round($last.'Build peak MiB' / $first.'Build peak MiB', 2)
    Write-Host ("Peak memory as the firmware grows {0}x ({1} -> {2} MiB): verify {3}x ({5} -> {6} MiB), build {4}x ({7} -> {8} MiB) (flat = 1.0)" -f `
        ($last.'Firmware MiB' / $first.'Firmware MiB'), $first.'Firmware MiB', $last.'Firmware MiB', $growth, $buildGrowth,
        $first.'Verify peak MiB', $last.'Verify peak MiB', $first.'Build peak MiB', $last.'Build peak MiB')
    $at64 = $rows | Where-Object 'Firmware MiB' -eq 64
    if ($at64) {
        Write-Host ("At 64 MiB: verify {0}x, verify with extraction {1}x GNU tar xzf + sha256sum (goal <= 1.5x); build {2}x tar czf" -f `
            $at64.'Verify ratio', $at64.'Verify+extract ratio', $at64.'Build ratio')
    }
}
finally {
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
