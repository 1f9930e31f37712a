#!/usr/bin/env pwsh
<#
.SYNOPSIS
    What HTTPS with station client certificates costs the provisioning server, against plain HTTP in the same run.
.DESCRIPTION
    Three servers on SQLite, each fresh with the same package imported: one on plain HTTP (stations with tokens), one
    started with -Tls (stations with tokens over HTTPS: what TLS alone costs), and one started with -Tls
    -RequireClientCertificate (stations with their own client certificates, issued from PKCS#10 requests as
    New-ProvStationCertificate makes them, over mutual TLS).
      records      32 stations, one kept-alive connection each, record devices as the real flow does (PUT pending,
                   then confirm): records/s and p50/p99 per record on each server; the goal is HTTPS >= 0.8x HTTP.
      connections  new station connections one after another on a few workers: TCP connect, a full TLS handshake
                   (no session resumption) presenting the station's certificate, one GET /api/v1/health, close.
                   Baselines: the same over plain HTTP, and HTTPS without a client certificate.
    Figures are printed as measured, with ratios to the same-run baselines; nothing here asserts a time.
.EXAMPLE
    ./tests/bench/Tls.Bench.ps1 -Records 2000 -Warmup 200 -Connections 200    # a quick check
#>
param(
    [int] $Stations = 32,
    [int] $Records = 10000,
    [int] $Warmup = 1000,
    [int] $Connections = 2000,
    [int] $Parallel = 8
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path "$PSScriptRoot/../..").Path
Import-Module "$root/Provisioning.psd1" -Force

. "$PSScriptRoot/BenchTool.ps1"
$work = Join-Path ([System.IO.Path]::GetTempPath()) "prov-tls-bench-$PID"
New-Item -ItemType Directory $work | Out-Null

# One fresh server with the bench package; both halves of the load against it.
# Modes: http (tokens), https-tokens (TLS, station tokens: what TLS alone costs), https (mTLS, station certificates).
function Measure-Server([string] $Mode) {
    $tls = $Mode -ne 'http'
    $extra = switch ($Mode) { 'https' { @{ Tls = $true; RequireClientCertificate = $true } } 'https-tokens' { @{ Tls = $true } } default { @{} } }
    $server = Start-ProvServer -DataPath (Join-Path $work $Mode) -Port (Get-FreePort) @extra
    try {
        $imported = Import-ProvPackage -Path $script:package.Path -Passphrase $script:passphrase -Comment 'Tls.Bench.ps1' -Server $server
        $uri = $server.Uri.AbsoluteUri.TrimEnd('/')
        Write-Host "  $Mode records: $Stations stations, $Records records after $Warmup warm-up..."
        $operation = if ($Mode -eq 'https-tokens') { 'stations-tokens' } else { 'stations' }
        $phases = Invoke-Bench @($operation, $uri, $server.DataPath, $imported.ConfigId, $script:kms.PublicKeyPath, $imported.KmsKeyFingerprint, $Stations, $Warmup, $Records)
        $records = $phases | Where-Object phase -eq 'records'
        $opened = @()   # not $connections: PowerShell names are case-blind, and -Connections is the script's parameter
        if ($Mode -ne 'https-tokens') {
            Write-Host "  $Mode connections: $Connections new connections on $Parallel workers..."
            $opened = @(
                Invoke-Bench @('connections', $uri, $server.DataPath, $Connections, $Parallel)
                if ($tls) { Invoke-Bench @('connections', $uri, $server.DataPath, $Connections, $Parallel, 'certificate') }
            )
        }
    }
    finally { $server | Stop-ProvServer }
    [pscustomobject]@{ Mode = $Mode; Records = $records; Plain = $opened | Select-Object -First 1; WithCertificate = $opened | Select-Object -Skip 1 -First 1 }
}

try {
    $script:passphrase = ConvertTo-SecureString ([Convert]::ToBase64String([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(18))) -AsPlainText -Force
    $script:kms = New-ProvKmsKeyPair -Path "$work/kms"
    $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $script:kms.PrivateKeyPath -Passphrase $script:passphrase -Path "$work/net" -Iterations 10000
    foreach ($f in @{ 'node.bin' = 65536; 'field.cfg' = 512; 'emcm.bin' = 16384; 'zigbee.bin' = 8192 }.GetEnumerator()) {
        [System.IO.File]::WriteAllBytes((Join-Path $work $f.Key), [System.Security.Cryptography.RandomNumberGenerator]::GetBytes($f.Value))
    }
    # The applications the bench's device records name (as in Store.Bench.ps1).
    $script:package = New-ProvPackage -Path "$work/bench_69.tar.gz" -ConfigId 69 -ConfigAlias bench_69 -AppLabel bench_meter -NodeType UNODE -NodeVersion 1.2.3.4 `
        -NodeFirmware "$work/node.bin" -NodeFieldConfig "$work/field.cfg" -KmsPublicKeyFile $script:kms.PublicKeyPath -GatewayKeyFile $gw.Path `
        -App @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = "$work/emcm.bin" }, @{ Name = 'zigbee'; Version = '1.2.3.4'; Firmware = "$work/zigbee.bin" }

    $http = Measure-Server 'http'
    $httpsTokens = Measure-Server 'https-tokens'
    $https = Measure-Server 'https'

    Write-Host ''
    Write-Host "Device records from $Stations concurrent stations, one kept-alive connection each (PUT pending + confirm), SQLite, $Records records:"
    $rows = foreach ($m in $http, $httpsTokens, $https) {
        [pscustomobject]@{
            Server = switch ($m.Mode) { 'http' { 'HTTP, station tokens' } 'https-tokens' { 'HTTPS, station tokens' } default { 'HTTPS, station certificates (mTLS)' } }
            'Records/s' = [math]::Round($m.Records.recordsPerSecond, 0)
            'Record p50 ms' = [math]::Round($m.Records.recordP50, 1); 'Record p99 ms' = [math]::Round($m.Records.recordP99, 1)
            'Server CPU s' = $m.Records.serverCpu; 'Client CPU s' = $m.Records.clientCpu; 'Wall s' = [math]::Round($m.Records.seconds, 1)
        }
    }
    $rows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    $ratio = $https.Records.recordsPerSecond / $http.Records.recordsPerSecond
    Write-Host ("HTTPS with client certificates: {0:N2}x the records/s of plain HTTP (goal >= 0.8); HTTPS with tokens {1:N2}x (TLS alone)" -f `
        $ratio, ($httpsTokens.Records.recordsPerSecond / $http.Records.recordsPerSecond))
    Write-Host ("Server CPU per record: HTTP {0:N2} ms, HTTPS with tokens {1:N2} ms, mTLS {2:N2} ms (tokens are cached for TokenCacheSeconds; a certificate is looked up in the database on every request)" -f `
        (1000 * $http.Records.serverCpu / $Records), (1000 * $httpsTokens.Records.serverCpu / $Records), (1000 * $https.Records.serverCpu / $Records))

    Write-Host ''
    Write-Host "New station connections, $Connections on $Parallel workers: connect, handshake, GET /api/v1/health, close (TLS: full handshakes, no resumption):"
    $connectionRows = foreach ($c in @(
            @{ Name = 'plain HTTP (TCP connect)'; F = $http.Plain }
            @{ Name = 'HTTPS, no client certificate'; F = $https.Plain }
            @{ Name = 'HTTPS, station certificate (mTLS)'; F = $https.WithCertificate })) {
        [pscustomobject]@{
            Connection = $c.Name; 'Connections/s' = [math]::Round($c.F.connectionsPerSecond, 0)
            'p50 ms' = [math]::Round($c.F.p50, 2); 'p99 ms' = [math]::Round($c.F.p99, 2)
            'Server CPU s' = $c.F.serverCpu; 'Client CPU s' = $c.F.clientCpu; 'Wall s' = [math]::Round($c.F.seconds, 1)
        }
    }
    $connectionRows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    Write-Host ("mTLS handshakes: {0:N0}/s, {1:N2}x the plain-HTTP new connections/s and {2:N2}x HTTPS without a client certificate" -f `
        $https.WithCertificate.connectionsPerSecond, ($https.WithCertificate.connectionsPerSecond / $http.Plain.connectionsPerSecond),
        ($https.WithCertificate.connectionsPerSecond / $https.Plain.connectionsPerSecond))
    Write-Host '(2 cores shared by the server and the clients: the client side of each handshake runs on the same machine.)'
}
finally {
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
