#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The kv2c eMCM line (guide D.3): devices per hour, and each stage's time against the pure line time of the bytes it
    moved.
.DESCRIPTION
    A server on SQLite with a package whose emcm app bundle has a firmware and factory and field configs, a gateway
    simulator, and -Meters simulated eMCMs with their nodes (old firmware on both, state files as their flash), paced at
    the line rate. PRETEST runs on all of them in parallel in the fixture (orw at -FixtureBaud over virtual serial
    pairs where socat exists, otherwise TCP); then each meter is "assembled" (its simulator restarted on the same state
    file behind the optical port: opt_psem at -OpticalBaud, within range of the gateway), and CHECKCONFIG and POSTTEST
    run on all of them in parallel.
    The baseline of each stage is its pure line time, from the same run: the bytes that crossed each meter's line
    during the stage (both directions, as the simulator counted them) x 10 / baud. Ratio = the meter's stage time /
    that line time (1.0 would be a line that never waits); the table shows the mean and the worst meter. Devices per
    hour: the fixture (PRETEST), the WECO station (CHECKCONFIG + POSTTEST, calibration not counted) and the line end to
    end, from the wall time of each stage with the meters in parallel.
    Every stage must pass on every meter, and the export must hold every meter's keys (checked at the end).
    Default: 4 meters, a 64 KiB node and a 32 KiB eMCM firmware: about a minute of line time per meter.
#>
param(
    [int] $Meters = 4,
    [int] $NodeFirmwareKiB = 64,
    [int] $EmcmFirmwareKiB = 32,
    [int] $FixtureBaud = 115200,
    [int] $OpticalBaud = 9600,
    [double] $JoinDelay = 1,
    [ValidateSet('Auto', 'Serial', 'Tcp')] [string] $Line = 'Auto'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path "$PSScriptRoot/../..").Path
Import-Module "$root/Provisioning.psd1" -Force

$work = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "emcm-bench-$([guid]::NewGuid().ToString('N').Substring(0, 8))")
$serial = switch ($Line) { 'Serial' { $true } 'Tcp' { $false } default { $IsLinux -and [bool](Get-Command socat -ErrorAction Ignore) } }
$live = [System.Collections.Generic.List[object]]::new()
$server = $null; $gateway = $null

# A meter's simulator on its own line; the row keeps what the station and the byte count need.
function Start-BenchMeter([int] $Index, [string] $Wrapper, [int] $BaudRate, [hashtable] $Extra = @{}) {
    $meter = @{ NodeId = 0x900 + $Index; NodeType = 'UNODE'; FirmwareVersion = '1.0.0'; EmcmId = ('4B563243{0:X8}' -f (0xB000 + $Index))
                EmcmFirmwareVersion = '5.0.0.0'; StatePath = "$work/meters/$Index.json"; Wrapper = $Wrapper; BaudRate = $BaudRate; Pace = $true }
    if ($serial) {
        $pair = New-ProvVirtualSerialPair -Path "$work/ports"
        $live.Add($pair)
        $sim = Start-ProvEmcmSimulator -PortName $pair.PortB @meter @Extra
        $port = $pair.PortA
    }
    else {
        $pair = $null
        $sim = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 @meter @Extra
        $port = $sim.Endpoint
    }
    $live.Add($sim)
    [pscustomobject]@{ Port = $port; BaudRate = $BaudRate; Wrapper = $Wrapper; PartialMcmId = $meter.EmcmId.Substring(8); Simulator = $sim; Pair = $pair }
}

# One stage on every meter in parallel: wall time and, per meter, its time against the line time of its bytes.
function Measure-Stage([string] $Stage, [object[]] $Line, [hashtable] $Common) {
    $before = @{}
    foreach ($m in $Line) { $before[$m.Port] = $m.Simulator.BytesReceived + $m.Simulator.BytesSent }
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $results = @($Line | Invoke-EmcmFactoryStage -Stage $Stage @Common -ThrottleLimit $Line.Count -ErrorAction SilentlyContinue)
    $wall = $clock.Elapsed.TotalSeconds
    $ratios = foreach ($r in $results) {
        $m = $Line | Where-Object Port -eq $r.Port
        $bytes = $m.Simulator.BytesReceived + $m.Simulator.BytesSent - $before[$m.Port]
        [pscustomobject]@{ Bytes = $bytes; LineSeconds = $bytes * 10.0 / $m.BaudRate; Seconds = $r.Duration.TotalSeconds }
    }
    $failed = @($results | Where-Object ExitCode -ne 0)
    $mean = ($ratios | Measure-Object Seconds -Average).Average
    $meanLine = ($ratios | Measure-Object LineSeconds -Average).Average
    [pscustomobject]@{
        Stage          = $Stage
        Link           = "$($Line[0].Wrapper) $($Line[0].BaudRate)"
        Meters         = $Line.Count
        Passed         = $results.Count - $failed.Count
        'Wall s'       = [math]::Round($wall, 1)
        'Meter s'      = [math]::Round($mean, 1)
        'Line KiB'     = [math]::Round(($ratios | Measure-Object Bytes -Average).Average / 1KB, 1)
        'Line s'       = [math]::Round($meanLine, 1)
        'Ratio mean'   = [math]::Round(($ratios | ForEach-Object { $_.Seconds / [math]::Max($_.LineSeconds, 1e-3) } | Measure-Object -Average).Average, 2)
        'Ratio worst'  = [math]::Round(($ratios | ForEach-Object { $_.Seconds / [math]::Max($_.LineSeconds, 1e-3) } | Measure-Object -Maximum).Maximum, 2)
        WallSeconds    = $wall
        Failures       = @($failed | ForEach-Object { "$($_.EmcmId) $($_.ExitCode): $($_.Message)" })
    }
}

try {
    $pass = ConvertTo-SecureString 'bench passphrase' -AsPlainText -Force
    $kms = New-ProvKmsKeyPair -Path "$work/kms" -KeySize 2048
    $hes = New-ProvKmsKeyPair -Path "$work/hes" -KeySize 2048
    $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$work/network" -Iterations 10000
    $random = [Random]::new(82)
    foreach ($f in @{ 'node.bin' = $NodeFirmwareKiB * 1KB; 'emcm.bin' = $EmcmFirmwareKiB * 1KB }.GetEnumerator()) {
        $bytes = [byte[]]::new($f.Value); $random.NextBytes($bytes); [IO.File]::WriteAllBytes("$work/$($f.Key)", $bytes)
    }
    Set-Content "$work/node-factory.cfg" "network_id=factory`n$('#' * 1000)"
    Set-Content "$work/node-field.cfg" "network_id=utility_west`n$('#' * 2000)"
    Set-Content "$work/emcm-factory.cfg" "network_id=factory`n$('#' * 500)"
    Set-Content "$work/emcm-field.cfg" "network_id=utility_west`n$('#' * 1000)"
    $package = New-ProvPackage -Path "$work/bench.tar.gz" -ConfigId 82 -ConfigAlias kv2c_bench -AppLabel bench -NodeType UNODE -NodeVersion 1.2.3.4 `
        -NodeFirmware "$work/node.bin" -NodeFieldConfig "$work/node-field.cfg" -NodeFactoryConfig "$work/node-factory.cfg" `
        -KmsPublicKeyFile $kms.PublicKeyPath -GatewayKeyFile $gw.Path `
        -App @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = "$work/emcm.bin"; FactoryConfig = "$work/emcm-factory.cfg"; FieldConfig = "$work/emcm-field.cfg"; PublicKeyFile = $hes.PublicKeyPath }
    $port = & { $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); try { $l.LocalEndpoint.Port } finally { $l.Stop() } }
    $server = Start-ProvServer -DataPath "$work/server" -Port $port
    $null = Import-ProvPackage $package.Path -Passphrase $pass
    $station = Connect-ProvServer -Uri $server.Uri -Token (New-ProvStationToken -Name bench -Server $server).Token -PassThru
    $gateway = Start-ProvGatewaySimulator -ControlPort 0 -NetworkId factory -JoinDelay $JoinDelay
    $common = @{ ConfigAlias = 'kv2c_bench'; Batch = 1000; Server = $station; ControlPort = $gateway.ControlPort; Timeout = 120 }

    $load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { 'n/a' }
    Write-Host ("kv2c line: {0} meters on {1}; firmware node {2} KiB + eMCM {3} KiB; fixture orw {4} baud, optical opt_psem {5} baud; gateway join delay {6} s. Load average at start: {7} ({8} cores)." -f
        $Meters, $(if ($serial) { 'virtual serial pairs (socat)' } else { 'TCP' }), $NodeFirmwareKiB, $EmcmFirmwareKiB, $FixtureBaud, $OpticalBaud, $JoinDelay, $load, [Environment]::ProcessorCount)

    $fixture = @(0..($Meters - 1) | ForEach-Object { Start-BenchMeter $_ orw $FixtureBaud })
    $rows = [System.Collections.Generic.List[object]]::new()
    $rows.Add((Measure-Stage PreTest $fixture $common))
    foreach ($m in $fixture) {
        $m.Simulator | Stop-ProvNodeSimulator; $null = $live.Remove($m.Simulator)
        if ($m.Pair) { $m.Pair | Remove-ProvVirtualSerialPair; $null = $live.Remove($m.Pair) }
    }
    $weco = @(0..($Meters - 1) | ForEach-Object { Start-BenchMeter $_ opt_psem $OpticalBaud @{ Gateway = $gateway.RadioEndpoint } })
    $rows.Add((Measure-Stage CheckConfig $weco $common))
    $rows.Add((Measure-Stage PostTest $weco $common))

    $rows | Select-Object -Property * -ExcludeProperty WallSeconds, Failures | Format-Table -AutoSize | Out-String -Width 250 | Out-Host
    foreach ($row in $rows) { foreach ($f in $row.Failures) { Write-Host "FAILED $($row.Stage) $f" } }

    # The keys: every meter's node key and eMCM key in the export, as the simulators hold them.
    $receipt = Export-ProvKey -ConfigId 82 -Batch 1000 -Path "$work/device_keys.xml" -Server $server
    $nodeKeys = @(Read-ProvKeyFile "$work/device_keys.xml" -KmsPrivateKeyFile $kms.PrivateKeyPath)
    $appKeys = @(Read-ProvKeyFile "$work/device_keys.xml" -AppName emcm -PrivateKeyPath $hes.PrivateKeyPath)
    $held = 0
    foreach ($m in $weco) {
        $node = $nodeKeys | Where-Object NodeId -eq $m.Simulator.State.NodeId
        $app = $appKeys | Where-Object NodeId -eq $m.Simulator.State.NodeId
        $root = $m.Simulator.ReadKey('Root'); $emcm = $m.Simulator.ReadEmcmKey()
        if ($node -and $app -and $root -and $emcm -and $node.KeyCheckValue -eq [Provisioning.Core.Crypto.GatewayKeys]::CheckValue($root) -and
            $app.KeyCheckValue -eq [Provisioning.Core.Crypto.GatewayKeys]::CheckValue($emcm)) { $held++ }
        foreach ($k in $root, $emcm) { if ($k) { [Array]::Clear($k) } }
    }

    $pre, $check, $post = $rows
    $perHour = { param([double] $seconds) if ($seconds -gt 0) { [math]::Round($Meters * 3600 / $seconds) } else { 0 } }
    Write-Host ("devices/hour: fixture (PRETEST) {0}, WECO station (CHECKCONFIG + POSTTEST) {1}, line end to end {2}" -f
        (& $perHour $pre.WallSeconds), (& $perHour ($check.WallSeconds + $post.WallSeconds)), (& $perHour ($pre.WallSeconds + $check.WallSeconds + $post.WallSeconds)))
    foreach ($row in $rows) {
        Write-Host ("{0}: {1:0.00}x its pure line time on average (worst meter {2:0.00}x; {3} KiB at {4} baud = {5:0.0} s line time per meter), {6} of {7} passed" -f
            $row.Stage, $row.'Ratio mean', $row.'Ratio worst', $row.'Line KiB', ($row.Link -split ' ')[1], $row.'Line s', $row.Passed, $row.Meters)
    }
    Write-Host "keys: $held of $Meters meters hold the node key and the eMCM key the export carries ($($receipt.Count) devices exported)"
    $load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { 'n/a' }
    Write-Host "Load average at the end: $load."
}
finally {
    foreach ($o in $live) {
        if ($o -is [Provisioning.Core.Transport.VirtualSerialPair]) { $o | Remove-ProvVirtualSerialPair -ErrorAction Ignore } else { $o | Stop-ProvNodeSimulator -ErrorAction Ignore }
    }
    if ($gateway) { $gateway | Stop-ProvGatewaySimulator -ErrorAction Ignore }
    if ($server) { $server | Stop-ProvServer -ErrorAction Ignore }
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
