#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Two eMCM meter lines end to end (guide Appendix D.3): a kv2c-style line of four meters and an i210+-style line of
    one station, against a provisioning server, a factory gateway and simulated meters; then the key export, read by
    the KMS for the node root keys and by the head end for the eMCM keys, checked against what every meter holds.
.DESCRIPTION
    The KMS and the head end each make a key pair; the package of config 82 (alias 82JX570141) carries the node's
    firmware and configs and an 'emcm' app bundle (firmware, factory and field configs, the head end's public key).
    Both factory configs name the factory network (a line network_id=factory). A gateway simulator stands for the
    factory's gateway.

    kv2c: the eMCM boards sit in a fixture on serial lines (virtual serial pairs where socat exists, otherwise TCP)
    for the message-heavy PRETEST (firmware, factory configs, the node cleared on the gateway). Then they are
    "assembled": each board's simulator stops and a meter's simulator starts on the same state file, reachable only
    through its optical port (opt_psem at 9600 baud), within range of the gateway. CHECKCONFIG checks each meter
    before calibration; POSTTEST checks the node joined the factory network, applies the field configs and the keys.

    i210+: one station reaches the eMCM over serial in the assembled meter, so PRETEST and, after calibration,
    POSTTEST run on the same port.

    Runs in a temporary folder that is removed at the end (keep it with -KeepFiles).
.EXAMPLE
    dotnet pwsh ./examples/EmcmLine.ps1
.EXAMPLE
    dotnet pwsh ./examples/EmcmLine.ps1 -Line Tcp -KeepFiles    # meters on TCP ports; keep the files for a look
#>
param(
    [switch] $KeepFiles,
    # Where the simulated meters sit: virtual serial pairs (Linux with socat), TCP, or Auto (serial where it can).
    [ValidateSet('Auto', 'Serial', 'Tcp')] [string] $Line = 'Auto',
    # Meters on the kv2c line.
    [ValidateRange(1, 32)] [int] $Meters = 4
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module "$PSScriptRoot/../Provisioning.psd1" -Force

$work = Join-Path ([System.IO.Path]::GetTempPath()) "provisioning-emcm-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory $work | Out-Null
function Step([string] $Text) { Write-Host "`n== $Text" -ForegroundColor Cyan }
function Show($Results) {
    $Results | Select-Object @{ n = 'Port'; e = { Split-Path $_.Port -Leaf } }, Operation, @{ n = 'NodeId'; e = { '0x{0:X8}' -f $_.NodeId } },
        EmcmId, NodeFirmwareUpdated, EmcmFirmwareUpdated, ExitCode, @{ n = 'Duration'; e = { '{0:N1} s' -f $_.Duration.TotalSeconds } } |
        Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    foreach ($r in $Results | Where-Object ExitCode -ne 0) { Write-Host "  $($r.EmcmId): $($r.Message)" -ForegroundColor Yellow }
}

$server = $null; $gateway = $null
$simulators = [System.Collections.Generic.List[object]]::new(); $pairs = [System.Collections.Generic.List[object]]::new()
$useSerial = switch ($Line) { 'Serial' { $true } 'Tcp' { $false } default { $IsLinux -and [bool](Get-Command socat -ErrorAction Ignore) } }

# One simulated eMCM with its node behind it, on a fresh serial pair or TCP port; returns what the station needs.
function Start-Meter([hashtable] $Meter, [string] $Wrapper, [int] $BaudRate, [switch] $InRange) {
    $extra = @{}; $pair = $null
    if ($InRange) { $extra.Gateway = $gateway.RadioEndpoint }
    if ($useSerial) {
        $pair = New-ProvVirtualSerialPair -Path "$work/ports"
        $pairs.Add($pair)
        # A pty does not pace itself: the simulator paces its line at the baud rate so link time is real.
        $sim = Start-ProvEmcmSimulator -PortName $pair.PortB -Wrapper $Wrapper -BaudRate $BaudRate -Pace @Meter @extra
        $port = $pair.PortA
    }
    else {
        $sim = Start-ProvEmcmSimulator -Listen 'tcp://127.0.0.1:0' -Wrapper $Wrapper -BaudRate $BaudRate -Pace @Meter @extra
        $port = $sim.Endpoint
    }
    $simulators.Add($sim)
    [pscustomobject]@{ Port = $port; BaudRate = $BaudRate; Wrapper = $Wrapper; PartialMcmId = $Meter.EmcmId.Substring(8); Simulator = $sim; Pair = $pair }
}

try {
    # A demo passphrase; a real one comes from Read-Host -AsSecureString or a secret store.
    $pass = ConvertTo-SecureString 'demo passphrase - not for production' -AsPlainText -Force

    Step 'KMS operator and head end: key pairs; the gateway key file'
    $kms = New-ProvKmsKeyPair -Path "$work/kms"
    $hes = New-ProvKmsKeyPair -Path "$work/hes" -KeySize 2048
    $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$work/network"
    Write-Host "  KMS key $($kms.PublicKeyPath); head-end key $($hes.PublicKeyPath)"

    Step 'Packaging: node and eMCM firmware, factory configs naming the factory network, field configs; config 82'
    $files = New-Item -ItemType Directory "$work/files"
    $random = [System.Random]::new(82)
    foreach ($f in @{ 'node.bin' = 64KB; 'emcm.bin' = 32KB }.GetEnumerator()) {
        $bytes = [byte[]]::new($f.Value); $random.NextBytes($bytes)
        [System.IO.File]::WriteAllBytes((Join-Path $files $f.Key), $bytes)
    }
    # Text configs: the factory ones name the factory network the gateway serves; the field ones the customer's.
    Set-Content "$files/node-factory.cfg" "network_id=factory`nreport_interval=60`n"
    Set-Content "$files/node-field.cfg" "network_id=utility_west`nreport_interval=900`n"
    Set-Content "$files/emcm-factory.cfg" "network_id=factory`nquiet_during_calibration=1`n"
    Set-Content "$files/emcm-field.cfg" "network_id=utility_west`nmeter_read_interval=900`n"
    $package = New-ProvPackage -Path "$work/meter_82.tar.gz" -ConfigId 82 -ConfigAlias 82JX570141 -AppLabel ge_kv2c_emcm `
        -NodeType UNODE -NodeVersion 1.2.3.4 -NodeFirmware "$files/node.bin" `
        -NodeFieldConfig "$files/node-field.cfg" -NodeFactoryConfig "$files/node-factory.cfg" `
        -KmsPublicKeyFile $kms.PublicKeyPath -GatewayKeyFile $gw.Path `
        -App @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = "$files/emcm.bin"; FactoryConfig = "$files/emcm-factory.cfg"
                FieldConfig = "$files/emcm-field.cfg"; PublicKeyFile = $hes.PublicKeyPath }
    $package.Files | Format-Table -AutoSize | Out-String -Width 200 | Write-Host

    Step 'Server: start on SQLite, import, a station token'
    $port = & { $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $l.Start(); try { $l.LocalEndpoint.Port } finally { $l.Stop() } }
    $server = Start-ProvServer -DataPath "$work/server" -Port $port
    $null = Import-ProvPackage $package.Path -Passphrase $pass -Comment 'eMCM lines'
    $token = New-ProvStationToken -Name 'meter lines' -Server $server
    $station = Connect-ProvServer -Uri $server.Uri -Token $token.Token -PassThru
    $config = Get-ProvConfig -ConfigAlias 82JX570141 -Server $station
    $config | Format-List | Out-String -Width 200 | Write-Host

    Step 'Factory gateway: the factory network''s gateway (control port, radio)'
    $gateway = Start-ProvGatewaySimulator -ControlPort 0 -NetworkId factory -JoinDelay 1
    $gateway | Format-List | Out-String -Width 200 | Write-Host
    $stage = @{ ConfigAlias = '82JX570141'; Server = $station; Gateway = 'localhost'; ControlPort = $gateway.ControlPort; Timeout = 60 }

    # Each meter: its node, its eMCM (ID, old firmware) and the state file that is its flash.
    $kv2c = foreach ($i in 0..($Meters - 1)) {
        @{ NodeId = 0x820 + $i; NodeType = 'UNODE'; FirmwareVersion = '1.0.0'; EmcmId = ('4B5632430000{0:X4}' -f (0xA10 + $i))
           EmcmFirmwareVersion = '5.0.0.0'; StatePath = "$work/meters/kv2c-$i.json" }
    }

    Step "kv2c fixture: PRETEST of $Meters eMCM boards over serial (orw, 115200 baud), in parallel"
    $fixture = @(foreach ($m in $kv2c) { Start-Meter $m -Wrapper orw -BaudRate 115200 })
    $pretest = @($fixture | Invoke-EmcmFactoryStage -Stage PreTest -Batch 1000 @stage -ThrottleLimit $Meters)
    Show $pretest

    Step 'Assembly: each board goes into its meter; from now on only the optical port (opt_psem, 9600 baud) reaches it'
    foreach ($f in $fixture) {
        $f.Simulator | Stop-ProvNodeSimulator
        $null = $simulators.Remove($f.Simulator)
        if ($f.Pair) { $f.Pair | Remove-ProvVirtualSerialPair; $null = $pairs.Remove($f.Pair) }
    }
    $assembled = @(foreach ($m in $kv2c) { Start-Meter $m -Wrapper opt_psem -BaudRate 9600 -InRange })

    Step 'WECO station: CHECKCONFIG through the optical port before calibration'
    $checkconfig = @($assembled | Invoke-EmcmFactoryStage -Stage CheckConfig -Batch 1000 @stage -ThrottleLimit $Meters)
    Show $checkconfig

    Step 'WECO station: (calibration and test) POSTTEST through the optical port: joined, field configs, keys, meter link'
    $posttest = @($assembled | Invoke-EmcmFactoryStage -Stage PostTest -Batch 1000 @stage -ThrottleLimit $Meters)
    Show $posttest

    Step 'i210+ station: PRETEST, (calibration and test), POSTTEST on the same serial port'
    $i210 = Start-Meter @{ NodeId = 0x830; NodeType = 'UNODE'; FirmwareVersion = '1.0.0'; EmcmId = '4932313000000B01'
                           EmcmFirmwareVersion = '5.0.0.0'; StatePath = "$work/meters/i210.json" } -Wrapper orw -BaudRate 115200 -InRange
    $i210Results = @(
        $i210 | Invoke-EmcmFactoryStage -Stage PreTest -Batch 1001 @stage
        $i210 | Invoke-EmcmFactoryStage -Stage PostTest -Batch 1001 @stage
    )
    Show $i210Results

    Step 'Admin: export the keys of batches 1000 and 1001'
    $receipt = Export-ProvKey -ConfigId 82 -Batch '1000-1001' -Path "$work/device_keys.xml" -Server $server
    $receipt | Format-List | Out-String -Width 200 | Write-Host
    $allMeters = @($assembled) + $i210

    Step 'KMS: decrypt each node root key and compare it with the key the node holds'
    $nodeMatched = 0
    foreach ($device in Read-ProvKeyFile -Path "$work/device_keys.xml" -KmsPrivateKeyFile $kms.PrivateKeyPath -AsPlainBytes) {
        $sim = ($allMeters | Where-Object { $_.Simulator.State.NodeId -eq $device.NodeId }).Simulator
        # Assigned inside the if: an if statement's output would unroll the array.
        $held = $null; if ($sim) { $held = $sim.ReadKey('Root') }
        if ($held -and [System.Linq.Enumerable]::SequenceEqual([byte[]]$device.RootKeyBytes, $held)) { $nodeMatched++ }
        if ($held) { [Array]::Clear($held) }
        [Array]::Clear($device.RootKeyBytes)
    }
    Write-Host "  $nodeMatched of $($allMeters.Count) node root keys match"

    Step 'Head end: decrypt each eMCM key (app emcm) with its private key and compare it with the key the eMCM holds'
    $emcmMatched = 0
    $appKeys = @(Read-ProvKeyFile -Path "$work/device_keys.xml" -AppName emcm -PrivateKeyPath $hes.PrivateKeyPath -AsPlainBytes)
    foreach ($app in $appKeys) {
        $sim = ($allMeters | Where-Object { $_.Simulator.State.NodeId -eq $app.NodeId }).Simulator
        $held = $null; if ($sim) { $held = $sim.ReadEmcmKey() }
        if ($held -and $app.AppId -eq $sim.EmcmState.EmcmId -and [System.Linq.Enumerable]::SequenceEqual([byte[]]$app.KeyBytes, $held)) { $emcmMatched++ }
        if ($held) { [Array]::Clear($held) }
        [Array]::Clear($app.KeyBytes)
    }
    Write-Host "  $emcmMatched of $($allMeters.Count) eMCM keys match"
    $appKeys | Select-Object @{ n = 'NodeId'; e = { '0x{0:X8}' -f $_.NodeId } }, AppName, AppId, Batch, KeyCheckValue |
        Format-Table -AutoSize | Out-String -Width 200 | Write-Host

    Step 'Summary'
    $passed = { param($r) @($r | Where-Object ExitCode -eq 0).Count }
    [pscustomobject]@{
        'Line'        = "$(if ($useSerial) { 'virtual serial pairs (socat)' } else { 'TCP' }); gateway control port $($gateway.ControlPort)"
        'kv2c'        = "$Meters meters: PRETEST $(& $passed $pretest) passed, CHECKCONFIG $(& $passed $checkconfig) passed, POSTTEST $(& $passed $posttest) passed"
        'i210+'       = "1 meter: PRETEST and POSTTEST $(& $passed $i210Results) of 2 passed"
        'Exported'    = "$($receipt.Count) devices of batches 1000-1001, sha256 $($receipt.Sha256.Substring(0, 16))…"
        'KMS'         = "$nodeMatched of $($allMeters.Count) node keys match"
        'Head end'    = "$emcmMatched of $($allMeters.Count) eMCM keys match"
    } | Format-List | Out-String -Width 200 | Write-Host
    $all = $pretest + $checkconfig + $posttest + $i210Results
    if (@($all | Where-Object ExitCode -ne 0).Count -or $receipt.Count -ne $allMeters.Count -or $nodeMatched -ne $allMeters.Count -or $emcmMatched -ne $allMeters.Count) {
        throw 'The eMCM lines did not behave as expected.'
    }
    Write-Host 'eMCM lines complete.' -ForegroundColor Green
}
finally {
    $simulators | Stop-ProvNodeSimulator -ErrorAction Ignore
    $pairs | Remove-ProvVirtualSerialPair -ErrorAction Ignore
    if ($gateway) { $gateway | Stop-ProvGatewaySimulator -ErrorAction Ignore }
    if ($server) { $server | Stop-ProvServer -ErrorAction Ignore }
    if ($KeepFiles) { Write-Host "Files kept in $work" } else { Remove-Item $work -Recurse -Force -ErrorAction Ignore }
}
