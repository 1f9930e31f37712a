#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Backup-ProvServer and Restore-ProvServer of N devices, against the key export of the same devices in the same run.
.DESCRIPTION
    N confirmed device records of one imported config are seeded straight into a SQLite database (the bench tool's
    seeder, as Server.Bench.ps1 does), then, each on a freshly started server:
      export    POST /api/v1/exports of every device, streamed to a file (the baseline: the server's other full read)
      stream    POST /api/v1/server/backup received into a file: the server's work alone (snapshot, encryption)
      backup    Backup-ProvServer as an operator runs it: the stream, then the file read back whole with the passphrase
      restore   Restore-ProvServer into a new SQLite data folder: checked whole, then written in one transaction
    reported as time ratios to the export, with the backup's size and the server's peak memory (VmHWM, to show the
    backup is streamed). Nothing asserts a time. The default count is modest; -Devices 1000000 gives the full figure.
.EXAMPLE
    ./tests/bench/Backup.Bench.ps1                      # 20,000 devices
.EXAMPLE
    ./tests/bench/Backup.Bench.ps1 -Devices 1000000     # the figure of the issue (several minutes)
#>
param([int] $Devices = 20000)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path "$PSScriptRoot/../..").Path
Import-Module "$root/Provisioning.psd1" -Force
. "$PSScriptRoot/BenchTool.ps1"

$work = Join-Path ([System.IO.Path]::GetTempPath()) "prov-backup-bench-$PID"
New-Item -ItemType Directory $work | Out-Null
function Get-PeakMiB([int] $ProcessId) {
    $line = Get-Content "/proc/$ProcessId/status" | Where-Object { $_ -like 'VmHWM:*' }
    [math]::Round([double](($line -split '\s+')[1]) / 1024, 1)
}
function Measure-Seconds([scriptblock] $Script) {
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $null = & $Script
    $clock.Elapsed.TotalSeconds
}

try {
    $passphrase = ConvertTo-SecureString ([Convert]::ToBase64String([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(18))) -AsPlainText -Force
    $backupPass = ConvertTo-SecureString 'bench backup passphrase' -AsPlainText -Force
    $kms = New-ProvKmsKeyPair -Path "$work/kms"
    $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $passphrase -Path "$work/net" -Iterations 10000
    [System.IO.File]::WriteAllBytes("$work/node.bin", [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(262144))
    [System.IO.File]::WriteAllBytes("$work/field.cfg", [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(512))
    $package = New-ProvPackage -Path "$work/bench_69.tar.gz" -ConfigId 69 -ConfigAlias bench_69 -AppLabel bench_meter -NodeType UNODE -NodeVersion 1.2.3.4 `
        -NodeFirmware "$work/node.bin" -NodeFieldConfig "$work/field.cfg" -KmsPublicKeyFile $kms.PublicKeyPath -GatewayKeyFile $gw.Path

    $data = "$work/source"
    $server = Start-ProvServer -DataPath $data -Port (Get-FreePort)
    $imported = Import-ProvPackage $package.Path -Passphrase $passphrase -Server $server
    $server | Stop-ProvServer
    Write-Host "Seeding $Devices devices..."
    $seed = Invoke-Bench @('seed', "sqlite:$data/provisioning.db", $imported.ConfigId, $imported.KmsKeyFingerprint, 0, $Devices)

    $server = Start-ProvServer -DataPath $data -Port (Get-FreePort)
    try {
        $idle = Get-PeakMiB $server.ProcessId
        $export = Invoke-Bench @('export', $server.Uri.AbsoluteUri.TrimEnd('/'), $data, 69, "$work/device_keys.xml")
        if ($export.devices -ne $Devices) { throw "The export wrote $($export.devices) devices, not $Devices." }
        $afterExport = Get-PeakMiB $server.ProcessId
        # The server's stream alone, received by the plainest client.
        $token = (Get-Content "$data/admin.token" -Raw).Trim()
        $stream = Measure-Seconds {
            Invoke-WebRequest -Method Post -Uri "$($server.Uri.AbsoluteUri.TrimEnd('/'))/api/v1/server/backup" -Headers @{ Authorization = "Bearer $token" } `
                -ContentType 'text/plain' -Body 'bench backup passphrase' -OutFile "$work/stream.provbak"
        }
        $afterBackup = Get-PeakMiB $server.ProcessId
        $backup = $null
        $full = Measure-Seconds { $script:backup = Backup-ProvServer -Path "$work/bench.provbak" -Passphrase $backupPass -Server $server }
    }
    finally { $server | Stop-ProvServer }
    if ($backup.Devices -ne $Devices) { throw "The backup holds $($backup.Devices) devices, not $Devices." }
    $restored = $null
    $restore = Measure-Seconds { $script:restored = Restore-ProvServer -Path "$work/bench.provbak" -DataPath "$work/restored" -Passphrase $backupPass }
    if ($restored.Devices -ne $Devices) { throw "The restore wrote $($restored.Devices) devices, not $Devices." }

    $rows = @(
        [pscustomobject]@{ Step = 'export (baseline)'; Seconds = [math]::Round($export.seconds, 2); 'x export' = 1.0; MiB = [math]::Round($export.bytes / 1MB, 1) }
        [pscustomobject]@{ Step = 'backup stream (server)'; Seconds = [math]::Round($stream, 2); 'x export' = [math]::Round($stream / $export.seconds, 2); MiB = [math]::Round((Get-Item "$work/stream.provbak").Length / 1MB, 1) }
        [pscustomobject]@{ Step = 'Backup-ProvServer (stream + check)'; Seconds = [math]::Round($full, 2); 'x export' = [math]::Round($full / $export.seconds, 2); MiB = [math]::Round($backup.Size / 1MB, 1) }
        [pscustomobject]@{ Step = 'Restore-ProvServer (SQLite)'; Seconds = [math]::Round($restore, 2); 'x export' = [math]::Round($restore / $export.seconds, 2); MiB = $null }
    )
    Write-Host ''
    Write-Host "Backup of $Devices devices (SQLite, seeded in $([math]::Round($seed.seconds, 1)) s, database $([math]::Round($seed.databaseBytes / 1MB, 0)) MiB), against the key export of the same devices, same run:"
    $rows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    Write-Host ("Server memory (VmHWM): {0} MiB after start, {1} MiB after the export, {2} MiB after the backup stream (streamed: it does not grow with the devices)." -f $idle, $afterExport, $afterBackup)
    Write-Host ("Backup: {0}x the export's time for {1:N0} devices ({2}x with the read-back check); restore {3}x." -f `
        $rows[1].'x export', $Devices, $rows[2].'x export', $rows[3].'x export')
}
finally {
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
