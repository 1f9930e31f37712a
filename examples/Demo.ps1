#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The whole chain as it exists today, on the embedded default: KMS key pair, gateway key file,
    a configuration package with two application bundles, and its verification.
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

    Step 'Summary'
    [pscustomobject]@{
        'Prov. Config ID'   = $check.ConfigId
        'App. Label'        = $check.AppLabel
        'Files verified'    = "$(@($check.Files | Where-Object Valid).Count) of $($check.Files.Count)"
        'Signature'         = if ($check.SignatureValid) { 'valid' } else { 'INVALID' }
        'Passphrase'        = if ($check.GatewayKeysDecrypt) { 'opens the gateway key file' } else { 'WRONG' }
        'Wrong passphrase'  = if ($wrong.GatewayKeysDecrypt -eq $false) { 'rejected' } else { 'NOT REJECTED' }
        'Package'           = "$([math]::Round($package.Length / 1KB)) KiB, sha256 $($package.Sha256.Substring(0, 16))…"
    } | Format-List | Out-String -Width 200 | Write-Host
    if (-not $check.IsValid -or $wrong.GatewayKeysDecrypt -ne $false) { throw 'The demo did not behave as expected.' }
    Write-Host 'Demo complete.' -ForegroundColor Green
}
finally {
    if ($KeepFiles) { Write-Host "Files kept in $work" } else { Remove-Item $work -Recurse -Force -ErrorAction Ignore }
}
