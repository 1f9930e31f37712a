# Backup-ProvServer and Restore-ProvServer as an operator uses them: a real server under a station load, a backup taken
# while stations write, more provisioning after it, and a restore into a new server on the other engine whose export
# must be the state at the snapshot, no more, no less.
BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $mariadb = $env:PROV_TEST_MYSQL -or $env:PROV_TEST_REQUIRE_MYSQL -eq '1'
    # Across engines when a MariaDB is there (both ways); SQLite to SQLite otherwise.
    $script:moves = if ($mariadb) { @(@{ From = 'SQLite'; To = 'MariaDB' }, @{ From = 'MariaDB'; To = 'SQLite' }) } else { @(@{ From = 'SQLite'; To = 'SQLite' }) }
}
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $script:backupPass = ConvertTo-TestSecret 'backup passphrase, long enough'
    if (Get-MariaDbSkipReason) { Write-Warning (Get-MariaDbSkipReason) }

    # Every record a server holds, by request ID, from its device histories.
    function script:Get-TestRecords($Server) {
        $records = @{}
        foreach ($d in Get-ProvDevice -Server $Server) {
            foreach ($r in @($d.History) + @($d.Pending) + @($d.Current)) { if ($r) { $records[$r.RequestId] = $r } }
        }
        $records
    }
    # The devices of an export of config 69: node ID (hex) → encrypted root key (base64).
    function script:Get-TestExport($Server, [string] $Path) {
        $null = Export-ProvKey -ConfigId 69 -Path $Path -Server $Server -WarningAction SilentlyContinue
        $map = @{}
        foreach ($d in @(([xml](Get-Content $Path -Raw)).deviceKeys.device)) { if ($d) { $map[$d.nodeId] = $d.rootKey.'#text' } }
        $map
    }
    # The target of a restore: a data folder and, for MariaDB, a fresh database.
    function script:New-TestTarget([string] $Engine, [string] $Root) {
        $target = @{ DataPath = Join-Path $Root 'data' }
        $database = $null
        if ($Engine -eq 'MariaDB') {
            $database = New-TestMariaDbDatabase
            $target.Database = $database.Spec
            $target.DatabaseCredential = $database.Credential
        }
        [pscustomobject]@{ Parameters = $target; Database = $database.Name }
    }
}

Describe 'Backup-ProvServer on <From> during a station load, Restore-ProvServer into <To>' -ForEach $moves {
    BeforeAll {
        $script:source = Start-TestServer -Engine $From -Root "$TestDrive/$From-source"
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase -Comment 'before the backup'
        $script:config = Get-ProvConfig 69
        $script:station = New-ProvStationToken -Name 'line 1'
        $null = New-ProvUser -Name 'operator' -Role Exporter -Password (ConvertTo-TestSecret 'a password for the web pages') -ErrorAction SilentlyContinue
        $record = @{ Server = $source; Token = $station.Token; Config = $config }
        foreach ($node in 0x100..0x10F) { $null = Add-TestDeviceRecord @record -NodeId $node -Batch 1000 }
        $null = Add-TestDeviceRecord @record -NodeId 0x1F0 -Batch 1000 -Pending

        # Four stations provisioning four simulated nodes, over and over, in another runspace, until told to stop.
        $script:sims = foreach ($i in 0..3) {
            [Provisioning.Core.Node.Simulator.NodeSimulator]::StartAsync([Provisioning.Core.Node.Simulator.NodeSimulatorOptions]@{
                NodeId = 0x200 + $i; NodeType = 'UNODE'; FirmwareVersion = '1.0.0'; Listen = 'tcp://127.0.0.1:0' }, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
        }
        $script:stop = Join-Path $TestDrive "$From-stop"
        $script:rounds = Join-Path $TestDrive "$From-rounds"
        $script:load = Start-ThreadJob -ArgumentList "$RepoRoot/Provisioning.psd1", $source.Uri, $station.Token, @($sims.Endpoint), $stop, $rounds -ScriptBlock {
            param($Module, $Uri, $Token, $Ports, $Stop, $Rounds)
            Import-Module $Module
            Connect-ProvServer -Uri $Uri -Token $Token | Out-Null
            $round = 0
            # Bounded: at most 200 rounds, and only while the test has not asked it to stop.
            while (-not (Test-Path $Stop) -and $round -lt 200) {
                $results = $Ports | Invoke-NodeProvision -ConfigId 69 -Batch 2000 -ThrottleLimit 4 -Force -ErrorAction SilentlyContinue
                $round++
                Set-Content -Path $Rounds -Value "$round $(@($results | Where-Object Code -eq 0).Count)"
            }
        }
        # The job rewrites the file after each round: a read that meets it half-written keeps the last count seen.
        $script:lastRounds = 0
        function script:Get-Rounds {
            $text = Get-Content $rounds -Raw -ErrorAction Ignore
            if ($text -match '^(\d+) ') { $script:lastRounds = [int]$Matches[1] }
            $script:lastRounds
        }
        function script:Wait-Rounds([int] $Count) {
            $deadline = [DateTime]::UtcNow.AddMinutes(3)
            while ((Get-Rounds) -lt $Count) {
                if ([DateTime]::UtcNow -gt $deadline) { throw "The station load did not complete $Count rounds in 3 minutes: $($load | Receive-Job -Keep 2>&1 | Out-String)" }
                if ($load.State -in 'Completed', 'Failed', 'Stopped') { throw "The station load stopped: $($load | Receive-Job -Keep 2>&1 | Out-String)" }
                Start-Sleep -Milliseconds 100
            }
        }

        # The backup is taken while the stations write: after their first round, before their next ones.
        Wait-Rounds 1
        $before = Get-Rounds
        $script:backupFile = Join-Path $TestDrive "$From.provbak"
        $script:backup = Backup-ProvServer -Path $backupFile -Passphrase $backupPass -Server $source
        $script:duringLoad = (Get-Rounds) -eq $before -or $load.State -eq 'Running'
        # More provisioning after the backup: further station rounds and new devices.
        Wait-Rounds ((Get-Rounds) + 2)
        New-Item -ItemType File $stop | Out-Null
        $null = $load | Wait-Job -Timeout 180
        foreach ($node in 0x300..0x304) { $null = Add-TestDeviceRecord @record -NodeId $node -Batch 3000 }
        $script:sourceRecords = Get-TestRecords $source
        $script:sourceExport = Get-TestExport $source "$TestDrive/$From-source.xml"
    }
    AfterAll {
        if ($load) { New-Item -ItemType File $stop -ErrorAction Ignore | Out-Null; $load | Wait-Job -Timeout 60 | Out-Null; $load | Remove-Job -Force }
        foreach ($s in $sims) { $null = $s.StopAsync().GetAwaiter().GetResult() }
        Stop-TestServer $source
    }

    It 'writes a backup file that says what it holds and keeps no secret in the clear' {
        $backup.Path | Should -Be $backupFile
        "$backupFile.partial" | Should -Not -Exist
        $backup.Size | Should -Be (Get-Item $backupFile).Length
        $backup.Engine | Should -Be $(if ($From -eq 'MariaDB') { 'mysql' } else { 'sqlite' })
        $backup.Packages | Should -Be 1
        $backup.Devices | Should -BeGreaterOrEqual 17
        $backup.Files | Should -BeGreaterOrEqual 2
        $duringLoad | Should -BeTrue
        ($backup | Format-Table | Out-String -Width 200) | Should -Match 'provbak'
        # The master key, the admin token and the gateway key passphrase appear nowhere in the file.
        $bytes = [IO.File]::ReadAllBytes($backupFile)
        $text = [Text.Encoding]::Latin1.GetString($bytes)
        $masterKey = [IO.File]::ReadAllBytes((Join-Path $source.DataPath 'master.key'))
        $text.Contains([Text.Encoding]::Latin1.GetString($masterKey)) | Should -BeFalse
        $text.Contains((Get-Content (Join-Path $source.DataPath 'admin.token') -Raw).Trim()) | Should -BeFalse
        $text.Contains($pkg.Network.Passphrase) | Should -BeFalse
        $text.Contains('operator') | Should -BeFalse
    }

    It 'restores into a new server on <To> whose export is the state at the snapshot: every record confirmed before it, none after' {
        $target = New-TestTarget -Engine $To -Root "$TestDrive/$From-to-$To"
        $tp = $target.Parameters
        try {
            $restored = Restore-ProvServer -Path $backupFile -Passphrase $backupPass @tp
            $restored.Packages | Should -Be 1
            $restored.Devices | Should -Be $backup.Devices
            $restored.SourceEngine | Should -Be $backup.Engine
            $restored.TargetEngine | Should -Be $(if ($To -eq 'MariaDB') { 'mysql' } else { 'sqlite' })
            ($restored | Format-List | Out-String) | Should -Match 'DeviceRecords'

            $start = @{ Port = Get-FreeTcpPort } + $target.Parameters
            $server = Start-ProvServer @start
            try {
                # The restored admin token (in admin.token) works, the package, its aliases and files are served.
                (Get-ProvPackage -Server $server).ConfigId | Should -Be 69
                $restoredConfig = Get-ProvConfig -ConfigAlias kite_170 -Server $server
                $restoredConfig.Node.Firmware.Sha256 | Should -Be $config.Node.Firmware.Sha256
                (Get-ProvUser -Server $server).Name | Should -Contain 'operator'
                (Get-ProvStationToken -Server $server).Name | Should -Contain 'line 1'
                (Get-ProvAuditLog -Server $server -Action 'package.import').Target | Should -Contain 'config 69'

                $restoredRecords = Get-TestRecords $server
                $restoredExport = Get-TestExport $server "$TestDrive/$From-to-$To.xml"
                # Nothing that was not in the source, and every record as it was (same key check value, same node).
                foreach ($id in $restoredRecords.Keys) {
                    $sourceRecords.ContainsKey($id) | Should -BeTrue -Because "record $id of the restore must come from the source"
                    $restoredRecords[$id].Kcv | Should -Be $sourceRecords[$id].Kcv
                }
                # One point in time: every record confirmed in the restore was confirmed no later than any source record
                # the restore lacks or still holds pending.
                $confirmedIn = @($restoredRecords.Values | Where-Object ConfirmedAt | ForEach-Object ConfirmedAt)
                $after = @($sourceRecords.Values | Where-Object { $_.ConfirmedAt -and -not ($restoredRecords[$_.RequestId].ConfirmedAt) } | ForEach-Object ConfirmedAt)
                $after.Count | Should -BeGreaterThan 0 -Because 'the stations and the test provisioned more after the backup'
                ($confirmedIn | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual ($after | Measure-Object -Minimum).Minimum
                # The devices recorded before the load are all there with their keys; those added after the backup are not.
                foreach ($node in 0x100..0x10F) { $restoredExport['{0:X8}' -f $node] | Should -Be $sourceExport['{0:X8}' -f $node] }
                foreach ($node in 0x300..0x304) { $restoredExport.ContainsKey('{0:X8}' -f $node) | Should -BeFalse }
                $restoredExport.Count | Should -BeLessThan $sourceExport.Count
            }
            finally { $server | Stop-ProvServer }
        }
        finally { if ($target.Database) { Invoke-TestMariaDb "DROP DATABASE IF EXISTS ``$($target.Database)``" } }
    }

    It 'refuses to restore into a server that is not empty, and -Force replaces it without mixing the two' {
        $target = New-TestTarget -Engine $To -Root "$TestDrive/$From-busy-$To"
        $tp = $target.Parameters
        try {
            $start = @{ Port = Get-FreeTcpPort } + $target.Parameters
            $busy = Start-ProvServer @start
            $null = New-ProvStationToken -Name 'only in the target' -Server $busy
            $busy | Stop-ProvServer
            $err = $null
            Restore-ProvServer -Path $backupFile -Passphrase $backupPass @tp -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Match '^RestoreRefused'
            "$($err[0])" | Should -Match 'not empty.*-Force'
            Restore-ProvServer -Path $backupFile -Passphrase $backupPass @tp -WhatIf | Should -BeNullOrEmpty
            $restored = Restore-ProvServer -Path $backupFile -Passphrase $backupPass @tp -Force
            $restored.Devices | Should -Be $backup.Devices
            $server = Start-ProvServer @start
            try {
                (Get-ProvStationToken -Server $server).Name | Should -Not -Contain 'only in the target'
                (Get-ProvStationToken -Server $server).Name | Should -Contain 'line 1'
            }
            finally { $server | Stop-ProvServer }
        }
        finally { if ($target.Database) { Invoke-TestMariaDb "DROP DATABASE IF EXISTS ``$($target.Database)``" } }
    }

    It 'restores nothing with <Case>' -ForEach @(
        @{ Case = 'a wrong passphrase'; Id = 'WrongPassphrase'; Damage = $null; Pass = 'not the passphrase' }
        @{ Case = 'a flipped byte in the middle'; Id = 'BackupDamaged'; Damage = 'flip'; Pass = $null }
        @{ Case = 'a truncated file'; Id = 'BackupDamaged'; Damage = 'truncate'; Pass = $null }
    ) {
        $file = Join-Path $TestDrive "$From-$Damage.provbak"
        $bytes = [IO.File]::ReadAllBytes($backupFile)
        if ($Damage -eq 'flip') { $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 0x40 }
        if ($Damage -eq 'truncate') { $bytes = $bytes[0..($bytes.Length - 1000)] }
        [IO.File]::WriteAllBytes($file, $bytes)
        $pass = if ($Pass) { ConvertTo-TestSecret $Pass } else { $backupPass }
        $target = New-TestTarget -Engine $To -Root "$TestDrive/$From-$Id-$Damage-$To"
        $tp = $target.Parameters
        try {
            $err = $null
            Restore-ProvServer -Path $file -Passphrase $pass @tp -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Match "^$Id"
            "$($err[0])" | Should -Match 'nothing was restored|Nothing was restored'
            # The target is as empty as before: a server started there has no package and no device.
            $start = @{ Port = Get-FreeTcpPort } + $target.Parameters
            $server = Start-ProvServer @start
            try {
                @(Get-ProvPackage -Server $server) | Should -BeNullOrEmpty
                @(Get-ProvDevice -Server $server) | Should -BeNullOrEmpty
            }
            finally { $server | Stop-ProvServer }
        }
        finally { if ($target.Database) { Invoke-TestMariaDb "DROP DATABASE IF EXISTS ``$($target.Database)``" } }
    }
}
