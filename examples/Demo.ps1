#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The whole chain as it exists today, on the embedded default: KMS key pair, gateway key file,
    a configuration package with two application bundles, its verification, a provisioning server on
    SQLite serving HTTPS with its own CA and requiring station certificates (import, overview,
    configuration), a station client certificate, eight simulated nodes (on virtual serial pairs where socat
    exists, otherwise TCP) provisioned in parallel by Invoke-NodeProvision over mutual TLS, the certificate's
    revocation refused at once, the key export for batch 1000 and its ingest by the KMS, checked against the
    keys the nodes hold.
.DESCRIPTION
    Runs in a temporary folder that is removed at the end (keep it with -KeepFiles).
    Run it with: dotnet tool restore && dotnet pwsh ./build.ps1 Demo
.EXAMPLE
    dotnet pwsh ./examples/Demo.ps1 -Line Tcp -KeepFiles    # nodes on TCP ports; keep the files for a look
#>
param(
    [switch] $KeepFiles,
    # Where the simulated nodes sit: virtual serial pairs (Linux with socat), TCP, or Auto (serial where it can).
    [ValidateSet('Auto', 'Serial', 'Tcp')] [string] $Line = 'Auto'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module "$PSScriptRoot/../Provisioning.psd1" -Force

$work = Join-Path ([System.IO.Path]::GetTempPath()) "provisioning-demo-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory $work | Out-Null
function Step([string] $Text) { Write-Host "`n== $Text" -ForegroundColor Cyan }

$server = $null; $serverStopped = $false
$simulators = [System.Collections.Generic.List[object]]::new(); $pairs = [System.Collections.Generic.List[object]]::new()
try {
    # A demo passphrase; a real one comes from Read-Host -AsSecureString or a secret store.
    $pass = ConvertTo-SecureString 'demo passphrase - not for production' -AsPlainText -Force

    Step 'KMS operator: key pair and gateway key file'
    $kms = New-ProvKmsKeyPair -Path "$work/kms"
    $kms | Format-List | Out-String -Width 200 | Write-Host
    $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$work/network"
    $gw | Format-List | Out-String -Width 200 | Write-Host

    Step 'Packaging: firmware, configuration and a package for config 69'
    $files = New-Item -ItemType Directory "$work/files"
    $random = [System.Random]::new(69)
    foreach ($f in @{ 'node.bin' = 256KB; 'field.cfg' = 2KB; 'factory.cfg' = 2KB; 'emcm.bin' = 128KB; 'emcm.cfg' = 1KB; 'zigbee.bin' = 64KB }.GetEnumerator()) {
        $bytes = [byte[]]::new($f.Value); $random.NextBytes($bytes)
        [System.IO.File]::WriteAllBytes((Join-Path $files $f.Key), $bytes)
    }
    $hes = New-ProvKmsKeyPair -Path "$work/hes" -KeySize 2048
    $package = New-ProvPackage -Path "$work/meter_69.tar.gz" -ConfigId 69 -ConfigAlias kite_170 `
        -AppLabel ge_sgm3000_falconv1_zigbeev2 -NodeType UNODE -NodeVersion 1.2.3.4 `
        -NodeFirmware "$files/node.bin" -NodeFieldConfig "$files/field.cfg" -NodeFactoryConfig "$files/factory.cfg" `
        -KmsPublicKeyFile $kms.PublicKeyPath -GatewayKeyFile $gw.Path `
        -App @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = "$files/emcm.bin"; FieldConfig = "$files/emcm.cfg"; PublicKeyFile = $hes.PublicKeyPath },
             @{ Name = 'zigbee'; Version = '1.2.3.4'; Firmware = "$files/zigbee.bin" }
    $package | Out-String -Width 200 | Write-Host
    $package.Files | Format-Table -AutoSize | Out-String -Width 200 | Write-Host

    Step 'Admin: verify the package as the server will (passphrase included)'
    $check = Test-ProvPackage $package.Path -Passphrase $pass
    $check | Format-List | Out-String -Width 200 | Write-Host

    Step 'A wrong passphrase is caught before anything is imported'
    $wrong = Test-ProvPackage $package.Path -Passphrase (ConvertTo-SecureString 'not it' -AsPlainText -Force) -ErrorAction SilentlyContinue -ErrorVariable problems
    $problems | ForEach-Object { Write-Host "  error: $_" -ForegroundColor Yellow }

    Step 'Server: start on SQLite over HTTPS (its own CA) requiring station certificates; preview the upload, import, overview'
    $port = & { $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $l.Start(); try { $l.LocalEndpoint.Port } finally { $l.Stop() } }
    $server = Start-ProvServer -DataPath "$work/server" -Port $port -Tls -RequireClientCertificate
    $server | Format-List | Out-String -Width 200 | Write-Host
    Import-ProvPackage $package.Path -Passphrase $pass -WhatIf
    $imported = Import-ProvPackage $package.Path -Passphrase $pass -Comment 'Import Demo.'
    Get-ProvPackage | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    $config = Get-ProvConfig -ConfigAlias kite_170
    $config | Format-List | Out-String -Width 200 | Write-Host

    Step 'Line: eight simulated nodes, each on its own port'
    # On Linux with socat, every node sits on a virtual serial pair as a real one sits on a USB-serial cable;
    # elsewhere each listens on a loopback TCP port, as behind a serial-over-IP device server.
    $useSerial = switch ($Line) { 'Serial' { $true } 'Tcp' { $false } default { $IsLinux -and [bool](Get-Command socat -ErrorAction Ignore) } }
    $nodes = foreach ($i in 0..7) {
        $nodeId = 0x10 + $i
        $simulator = @{ NodeId = $nodeId; NodeType = 'UNODE'; FirmwareVersion = '1.0.0'; StatePath = "$work/nodes/node-$i.json" }
        if ($useSerial) {
            $pair = New-ProvVirtualSerialPair -Path "$work/ports"
            $pairs.Add($pair)
            # A pty does not pace itself: the simulator paces its line at 921600 baud so link time is real.
            $sim = Start-ProvNodeSimulator -PortName $pair.PortB -BaudRate 921600 -Pace @simulator
            [pscustomobject]@{ Port = $pair.PortA; BaudRate = 921600; Simulator = $sim }
        }
        else {
            $sim = Start-ProvNodeSimulator -Listen 'tcp://127.0.0.1:0' -BaudRate 921600 -Pace @simulator
            [pscustomobject]@{ Port = $sim.Endpoint; BaudRate = 921600; Simulator = $sim }
        }
        $simulators.Add($sim)
    }
    $nodes | Select-Object Port, @{ n = 'NodeId'; e = { '0x{0:X8}' -f $_.Simulator.Options.NodeId } } | Format-Table -AutoSize | Out-String -Width 200 | Write-Host

    Step 'Station: a client certificate (its key made here, the request signed by the server''s CA, a password-protected PFX)'
    # A demo password; a real one comes from Read-Host -AsSecureString or a secret store, kept apart from the file.
    $pfxPassword = ConvertTo-SecureString 'demo pfx password - not for production' -AsPlainText -Force
    $certificate = New-ProvStationCertificate -Name 'demo station' -Path "$work/demo-station.pfx" -Password $pfxPassword -Server $server
    $certificate | Format-List Name, Status, NotAfter, Thumbprint, Path, CaThumbprint | Out-String -Width 200 | Write-Host
    $stationServer = Connect-ProvServer -Uri $server.Uri -Certificate $certificate.Path -CertificatePassword $pfxPassword `
        -CaCertificatePath "$work/server/tls/ca.crt" -PassThru
    $stationServer | Format-List Uri, Role, TokenName | Out-String -Width 200 | Write-Host
    $token = New-ProvStationToken -Name 'demo token' -Server $server
    $refusedToken = $null
    try { $null = Connect-ProvServer -Uri $server.Uri -Token $token.Token -CaCertificatePath "$work/server/tls/ca.crt" -ErrorAction Stop }
    catch { $refusedToken = $_.Exception.Message; Write-Host "  a station token is refused: $refusedToken" -ForegroundColor Yellow }

    Step 'Station: provision all eight in parallel for config alias kite_170, batch 1000, over mutual TLS'
    $results = $nodes | Invoke-NodeProvision -ConfigAlias kite_170 -Batch 1000 -Server $stationServer -ThrottleLimit 8
    $results | Select-Object @{ n = 'Port'; e = { Split-Path $_.Port -Leaf } }, @{ n = 'NodeId'; e = { '0x{0:X8}' -f $_.NodeId } },
        ConfigId, Batch, FirmwareUpdated, ExitCode, @{ n = 'Duration'; e = { '{0:N2} s' -f $_.Duration.TotalSeconds } } |
        Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    Write-Host "  first result's message: $($results[0].Message)"
    $provisioned = @($results | Where-Object ExitCode -eq 0).Count

    Step 'Admin: revoke the station''s certificate; the station is refused from its next request'
    Get-ProvStationCertificate 'demo station' -Server $server | Revoke-ProvStationCertificate -Server $server
    $afterRevoke = Invoke-NodeProvision -Port $nodes[0].Port -BaudRate 921600 -ConfigAlias kite_170 -Batch 1000 -Server $stationServer -ErrorAction SilentlyContinue
    Write-Host "  code $($afterRevoke.ExitCode): $($afterRevoke.Message)" -ForegroundColor Yellow

    Step 'Admin: export the keys of batch 1000 for the KMS'
    $receipt = Export-ProvKey -ConfigId 69 -Batch 1000 -Path "$work/device_keys.xml" -Server $server
    $receipt | Format-List | Out-String -Width 200 | Write-Host

    Step 'KMS: ingest the export and compare every key with the key the node holds'
    $matched = 0
    $ingested = Read-ProvKeyFile -Path "$work/device_keys.xml" -KmsPrivateKeyFile $kms.PrivateKeyPath -AsPlainBytes
    foreach ($device in $ingested) {
        $sim = $simulators | Where-Object { $_.Options.NodeId -eq $device.NodeId }
        $held = $sim.ReadKey('Root')
        if ($held -and [System.Linq.Enumerable]::SequenceEqual([byte[]]$device.RootKeyBytes, $held)) { $matched++ }
        if ($held) { [Array]::Clear($held) }
        [Array]::Clear($device.RootKeyBytes)
    }
    Write-Host "  $matched of $($nodes.Count) exported keys decrypt to the key the node holds"
    $ingested | Select-Object @{ n = 'NodeId'; e = { '0x{0:X8}' -f $_.NodeId } }, Batch, Status, KeyCheckValue |
        Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    $server | Stop-ProvServer
    $serverStopped = $true

    Step 'Summary'
    [pscustomobject]@{
        'Prov. Config ID'   = $check.ConfigId
        'App. Label'        = $check.AppLabel
        'Files verified'    = "$(@($check.Files | Where-Object Valid).Count) of $($check.Files.Count)"
        'Signature'         = if ($check.SignatureValid) { 'valid' } else { 'INVALID' }
        'Passphrase'        = if ($check.GatewayKeysDecrypt) { 'opens the gateway key file' } else { 'WRONG' }
        'Wrong passphrase'  = if ($wrong.GatewayKeysDecrypt -eq $false) { 'rejected' } else { 'NOT REJECTED' }
        'Package'           = "$([math]::Round($package.Length / 1KB)) KiB, sha256 $($package.Sha256.Substring(0, 16))…"
        'Imported'          = "config $($imported.ConfigId) revision $($imported.Revision) on SQLite"
        'Line'              = "$($nodes.Count) nodes over $(if ($useSerial) { 'virtual serial pairs (socat)' } else { 'TCP' }), $provisioned provisioned, $(@($results | Where-Object FirmwareUpdated).Count) firmware updates"
        'Station'           = "over HTTPS with the client certificate '$($certificate.Name)' (token refused: $(if ($refusedToken) { 'yes' } else { 'NO' }); after revocation: code $($afterRevoke.ExitCode))"
        'Exported'          = "$($receipt.Count) devices of batch 1000, sha256 $($receipt.Sha256.Substring(0, 16))…"
        'KMS ingest'        = "$matched of $($nodes.Count) keys match"
    } | Format-List | Out-String -Width 200 | Write-Host
    if (-not $check.IsValid -or $wrong.GatewayKeysDecrypt -ne $false -or $provisioned -ne 8 -or $receipt.Count -ne 8 -or $matched -ne 8 -or
        $stationServer.Role -ne 'station' -or -not $refusedToken -or $afterRevoke.ExitCode -ne 101) { throw 'The demo did not behave as expected.' }
    Write-Host 'Demo complete.' -ForegroundColor Green
}
finally {
    $simulators | Stop-ProvNodeSimulator -ErrorAction Ignore
    $pairs | Remove-ProvVirtualSerialPair -ErrorAction Ignore
    if ($server -and -not $serverStopped) { $server | Stop-ProvServer -ErrorAction Ignore }
    if ($KeepFiles) { Write-Host "Files kept in $work" } else { Remove-Item $work -Recurse -Force -ErrorAction Ignore }
}
