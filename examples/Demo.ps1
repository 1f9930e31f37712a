#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The whole chain as it exists today, on the embedded default: KMS key pair, gateway key file,
    a configuration package with two application bundles, its verification, a provisioning server on
    SQLite (import, overview, configuration), device records as a station sends them, the key export
    for batch 1000 and its ingest by the KMS.
.DESCRIPTION
    Runs in a temporary folder that is removed at the end (keep it with -KeepFiles).
    Run it with: dotnet tool restore && dotnet pwsh ./build.ps1 Demo
#>
param([switch] $KeepFiles)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module "$PSScriptRoot/../Provisioning.psd1" -Force

$work = Join-Path ([System.IO.Path]::GetTempPath()) "provisioning-demo-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory $work | Out-Null
function Step([string] $Text) { Write-Host "`n== $Text" -ForegroundColor Cyan }

$server = $null; $serverStopped = $false
try {
    # A demo passphrase; a real one comes from Read-Host -AsSecureString or a secret store.
    $pass = ConvertTo-SecureString 'demo passphrase - not for production' -AsPlainText -Force

    Step 'KMS operator: key pair and gateway key file'
    $kms = New-ProvKmsKeyPair -Path "$work/kms"
    $kms | Format-List | Out-String -Width 200 | Write-Host
    $gw = New-ProvGatewayKeyFile -KmsPrivateKeyPath $kms.PrivateKeyPath -Passphrase $pass -Path "$work/network"
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
        -KmsPublicKeyPath $kms.PublicKeyPath -GatewayKeyFile $gw.Path `
        -App @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = "$files/emcm.bin"; FieldConfig = "$files/emcm.cfg"; PublicKeyPath = $hes.PublicKeyPath },
             @{ Name = 'zigbee'; Version = '1.2.3.4'; Firmware = "$files/zigbee.bin" }
    $package | Out-String -Width 200 | Write-Host
    $package.Files | Format-Table -AutoSize | Out-String -Width 200 | Write-Host

    Step 'Admin: verify the package as the server will (passphrase included)'
    $check = Test-ProvPackage $package.Path -Passphrase $pass
    $check | Format-List | Out-String -Width 200 | Write-Host

    Step 'A wrong passphrase is caught before anything is imported'
    $wrong = Test-ProvPackage $package.Path -Passphrase (ConvertTo-SecureString 'not it' -AsPlainText -Force) -ErrorAction SilentlyContinue -ErrorVariable problems
    $problems | ForEach-Object { Write-Host "  error: $_" -ForegroundColor Yellow }

    Step 'Server: start on SQLite, preview the upload, import, overview'
    $port = & { $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $l.Start(); try { $l.LocalEndpoint.Port } finally { $l.Stop() } }
    $server = Start-ProvServer -DataPath "$work/server" -Port $port
    $server | Format-List | Out-String -Width 200 | Write-Host
    Import-ProvPackage $package.Path -Passphrase $pass -WhatIf
    $imported = Import-ProvPackage $package.Path -Passphrase $pass -Comment 'Import Demo.'
    Get-ProvPackage | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    $config = Get-ProvConfig -ConfigAlias kite_170
    $config | Format-List | Out-String -Width 200 | Write-Host

    Step 'Station (through the documented API): eight devices of batch 1000, recorded pending, then confirmed'
    $station = New-ProvStationToken -Name 'demo station'
    $headers = @{ Authorization = "Bearer $([System.Net.NetworkCredential]::new('', $station.Token).Password)" }
    $kmsPublic = [System.Security.Cryptography.RSA]::Create()
    $kmsPublic.ImportFromPem($config.KmsPublicKey)
    $rootKeys = @{}   # what the devices would hold; in memory only, as on a station
    foreach ($node in 0x10..0x17) {
        $rootKey = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(16)
        $rootKeys[$node] = $rootKey
        $body = @{
            configId          = '69'
            batch             = 1000
            timestamp         = [DateTimeOffset]::UtcNow.ToString('o')
            encryptedRootKey  = [Convert]::ToBase64String($kmsPublic.Encrypt($rootKey, [System.Security.Cryptography.RSAEncryptionPadding]::OaepSHA256))
            keyAlgorithm      = 'RSA-OAEP-SHA256'
            kmsKeyFingerprint = $config.KmsKeyFingerprint
            apps              = @(@{ name = 'emcm'; id = '{0:x8}' -f (0xE0000000 + $node) })
        } | ConvertTo-Json
        $requestId = [guid]::NewGuid()
        $uri = "$($server.Uri.ToString().TrimEnd('/'))/api/v1/devices/$node/records/$requestId"
        $null = Invoke-RestMethod -Method Put -Uri $uri -Headers $headers -Body $body -ContentType 'application/json'
        $null = Invoke-RestMethod -Method Post -Uri "$uri/confirm" -Headers $headers
    }
    Write-Host "  recorded and confirmed nodes 0x10..0x17"

    Step 'Admin: export the keys of batch 1000 for the KMS'
    $receipt = Export-ProvKey -ConfigId 69 -Batch 1000 -Path "$work/device_keys.xml"
    $receipt | Format-List | Out-String -Width 200 | Write-Host

    Step 'KMS: decrypt every exported root key and compare with what the devices hold'
    $kmsPrivate = [System.Security.Cryptography.RSA]::Create()
    $kmsPrivate.ImportFromPem((Get-Content $kms.PrivateKeyPath -Raw))
    $export = [xml](Get-Content "$work/device_keys.xml" -Raw)
    $matched = 0
    foreach ($device in $export.deviceKeys.device) {
        $node = [Convert]::ToUInt32($device.nodeId.Substring(2), 16)
        $key = $kmsPrivate.Decrypt([Convert]::FromBase64String($device.rootKey.'#text'), [System.Security.Cryptography.RSAEncryptionPadding]::OaepSHA256)
        if ([System.Linq.Enumerable]::SequenceEqual($key, [byte[]]$rootKeys[[int]$node])) { $matched++ }
        [Array]::Clear($key)
    }
    Write-Host "  $matched of $($rootKeys.Count) exported keys decrypt to the key the device holds"
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
        'Exported'          = "$($receipt.Count) devices of batch 1000, sha256 $($receipt.Sha256.Substring(0, 16))…"
        'KMS ingest'        = "$matched of $($rootKeys.Count) keys match"
    } | Format-List | Out-String -Width 200 | Write-Host
    if (-not $check.IsValid -or $wrong.GatewayKeysDecrypt -ne $false -or $receipt.Count -ne 8 -or $matched -ne 8) { throw 'The demo did not behave as expected.' }
    Write-Host 'Demo complete.' -ForegroundColor Green
}
finally {
    if ($server -and -not $serverStopped) { $server | Stop-ProvServer -ErrorAction Ignore }
    if ($KeepFiles) { Write-Host "Files kept in $work" } else { Remove-Item $work -Recurse -Force -ErrorAction Ignore }
}
