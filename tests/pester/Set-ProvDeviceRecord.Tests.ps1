# Set-ProvDeviceRecord and Confirm-ProvDeviceRecord as a host tool uses them (guide C.5 setDutParams): host records with and
# without a node ID on a real server of each engine, what the station's own records keep, Get-ProvDevice -HostRecord, the
# export the head end reads with Read-ProvKeyFile -AppName, and a backup restored elsewhere.
BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    function script:ToHex([byte[]] $Bytes) { [Convert]::ToHexString($Bytes).ToLowerInvariant() }
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $script:hesPrivate = Join-Path (Split-Path ($pkg.Input.App | Where-Object Name -eq 'emcm').PublicKeyFile) 'kms_key.pem'
    $script:backupPass = ConvertTo-TestSecret 'backup passphrase, long enough'
}

Describe 'Set-ProvDeviceRecord on <Engine>' -ForEach $engines {
    BeforeAll {
        $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine"
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $script:config = Get-ProvConfig 69
        $script:stationToken = (New-ProvStationToken -Name 'host tool').Token
        $script:station = Connect-ProvServer -Uri $server.Uri -Token $stationToken -PassThru
        $script:keys = @{}
        function script:New-HostKey([string] $Id) {
            $k = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(16)
            $keys[$Id] = $k
            Protect-ProvAppKey -Key $k -AppName emcm -Config $config
        }
    }
    AfterAll { Stop-TestServer $server }

    It 'records and confirms a host record without a node ID in one call' {
        $r = Set-ProvDeviceRecord -ConfigId 69 -Batch 0x3E8 -App @{ Name = 'emcm'; Id = '00A1B2C3D4E5F601'; Key = (New-HostKey '00A1B2C3D4E5F601'); Extra = [byte[]](1, 2) } -Server $station
        $r | Should -BeOfType ([Provisioning.PowerShell.ProvHostRecord])
        $r.Status | Should -Be 'confirmed'
        $r.NodeId | Should -BeNullOrEmpty
        $r.Batch | Should -Be 1000
        $r.Station | Should -Be 'host tool'
        $r.Apps[0].Extra | Should -Be '0102'
        ($r | Out-String -Width 200) | Should -Match '-\s+69\s+1000 confirmed emcm 00A1B2C3D4E5F601'
    }

    It 'records pending first and confirms from the pipeline, with the node ID beside a station''s record of the node' {
        $null = Add-TestDeviceRecord -Server $server -Token $stationToken -Config $config -NodeId 0x10 -Batch 1000
        $before = Get-ProvDevice 0x10 -Server $server
        $pending = Set-ProvDeviceRecord -Config $config -Batch 1000 -NodeId 0x10 -App @{ AppName = 'emcm'; AppId = '00A1B2C3D4E5F610'; AppKey = (New-HostKey '00A1B2C3D4E5F610') } -Pending -Server $station
        $pending.Status | Should -Be 'pending'
        $pending.NodeId | Should -Be 0x10
        $confirmed = $pending | Confirm-ProvDeviceRecord -Server $station
        $confirmed.Status | Should -Be 'confirmed'
        $confirmed.RequestId | Should -Be $pending.RequestId
        # The station's record of the node is as it was: a host record never touches the root key's custody.
        (Get-ProvDevice 0x10 -Server $server).History.RequestId | Should -Be $before.History.RequestId
        (Get-ProvDevice 0x10 -Server $server).Current.Status | Should -Be 'confirmed'
        (Get-ProvDevice -HostRecord -NodeId 0x10 -Server $server).RequestId | Should -Be $pending.RequestId
    }

    It 'replaces a device''s earlier host record when a newer one is confirmed' {
        $first = Set-ProvDeviceRecord -ConfigId 69 -Batch 1000 -NodeId 0x11 -App @{ Name = 'emcm'; Id = 'AA11'; Key = (New-HostKey 'old11') } -Server $station
        $second = Set-ProvDeviceRecord -ConfigId 69 -Batch 1000 -NodeId 0x11 -App @{ Name = 'emcm'; Id = 'AA11'; Key = (New-HostKey 'AA11') } -Server $station
        $records = Get-ProvDevice -HostRecord -NodeId 0x11 -Server $server
        $records.RequestId | Should -Be @($second.RequestId, $first.RequestId)
        $records.Status | Should -Be @('confirmed', 'replaced')
    }

    It 'repeats a call with the same request ID without recording twice, and refuses other content under it' {
        $id = [guid]::NewGuid()
        $a = @{ Name = 'emcm'; Id = 'BB01' }
        $one = Set-ProvDeviceRecord -ConfigId 69 -Batch 1 -App $a -Pending -RequestId $id -Timestamp '2026-11-01T10:00:00Z' -Server $station
        $two = Set-ProvDeviceRecord -ConfigId 69 -Batch 1 -App $a -Pending -RequestId $id -Timestamp '2026-11-01T10:00:00Z' -Server $station
        $two.RecordedAt | Should -Be $one.RecordedAt
        Set-ProvDeviceRecord -ConfigId 69 -Batch 2 -App $a -Pending -RequestId $id -Timestamp '2026-11-01T10:00:00Z' -Server $station -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'RequestConflict,*'
        $one | Confirm-ProvDeviceRecord -Server $station | Out-Null
    }

    It 'takes the guide''s timestamp, seconds since the epoch, as well as a time' {
        $r = Set-ProvDeviceRecord -ConfigId 69 -Batch 5 -Timestamp 1764583200 -App @{ Name = 'emcm'; Id = 'DD01' } -Server $station
        $r.Timestamp | Should -Be ([DateTimeOffset]::FromUnixTimeSeconds(1764583200))
        { Set-ProvDeviceRecord -ConfigId 69 -Batch 5 -Timestamp 'soon' -App @{ Name = 'emcm' } -Server $station } | Should -Throw '*seconds since 1970-01-01 UTC*'
    }

    It 'records nothing with -WhatIf' {
        $count = @(Get-ProvDevice -HostRecord -Server $server).Count
        Set-ProvDeviceRecord -ConfigId 69 -Batch 1000 -NodeId 0x12 -App @{ Name = 'emcm'; Id = 'CC01' } -WhatIf -Server $station | Should -BeNullOrEmpty
        @(Get-ProvDevice -HostRecord -Server $server).Count | Should -Be $count
    }

    It 'refuses <Case> with a clear message and records nothing' -ForEach @(
        @{ Case = 'an app the config has no bundle for'; App = @{ Name = 'nosuch'; Id = '01' }; Id = 'BadHostRecord,*'; Message = "*no application 'nosuch'; its applications are: emcm, zigbee*" }
        @{ Case = 'an id that is not hex'; App = @{ Name = 'emcm'; Id = 'XYZ1' }; Id = 'InvalidAppValue,*'; Message = "*id of app 'emcm' is not hex*" }
        @{ Case = 'a plain key (not one RSA block of the app''s public key)'; App = @{ Name = 'emcm'; Key = '00112233445566778899AABBCCDDEEFF' }; Id = 'BadHostRecord,*'; Message = "*key is 16 bytes, but a key encrypted for the app's 2048-bit public key is 256*Protect-ProvAppKey*" }
        @{ Case = 'a SecureString key'; App = @{ Name = 'emcm'; Key = (ConvertTo-SecureString '00' -AsPlainText -Force) }; Id = 'PlainAppKey,*'; Message = '*encrypt it with Protect-ProvAppKey*' }
        @{ Case = 'an entry without a name'; App = @{ Id = '01' }; Id = 'InvalidApp,*'; Message = '*needs a Name*' }
    ) {
        $count = @(Get-ProvDevice -HostRecord -Server $server).Count
        Set-ProvDeviceRecord -ConfigId 69 -Batch 1000 -App $App -Server $station -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike $Id
        $err[0].Exception.Message | Should -BeLike $Message
        # The message never repeats a value that could be a key.
        $err[0].Exception.Message | Should -Not -Match '00112233445566778899AABBCCDDEEFF'
        @(Get-ProvDevice -HostRecord -Server $server).Count | Should -Be $count
    }

    It 'refuses a config the server does not have, and a bad batch' {
        Set-ProvDeviceRecord -ConfigId 4242 -Batch 1 -App @{ Name = 'emcm' } -Server $station -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConfigNotFound,*'
        Set-ProvDeviceRecord -ConfigId 69 -Batch 08 -App @{ Name = 'emcm' } -Server $station -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidBatch,*'
    }

    It 'exports each device''s current host record after the devices, and the head end decrypts every key' {
        $file = (Export-ProvKey -ConfigId 69 -Path "$TestDrive/$Engine-keys.xml" -Server $server).Path
        if (Get-Command xmllint -ErrorAction Ignore) {
            & xmllint --noout --schema "$RepoRoot/docs/schemas/device-keys.xsd" $file 2>&1 | Out-Null
            $LASTEXITCODE | Should -Be 0
        }
        $text = Get-Content $file -Raw
        $text | Should -Match 'hostRecordCount="5"'
        $read = @(Read-ProvKeyFile $file -AppName emcm -PrivateKeyPath $hesPrivate)
        $read.Count | Should -Be 5
        ($read | Where-Object AppId -eq '00A1B2C3D4E5F601').NodeId | Should -BeNullOrEmpty
        ($read | Where-Object AppId -eq '00A1B2C3D4E5F610').NodeId | Should -Be 0x10
        foreach ($k in $read | Where-Object { $_.Key }) {
            $k.Source | Should -Be 'host'
            ConvertFrom-SecureString $k.Key -AsPlainText | Should -Be (ToHex $keys[$k.AppId]) -Because "app id $($k.AppId)"
        }
        # The KMS read of the same file sees the node's root key and passes the host records over.
        @(Read-ProvKeyFile $file -KmsPrivateKeyFile $pkg.Network.Kms.PrivateKeyPath).NodeId | Should -Be @(0x10)
        # No plaintext app key in the export.
        foreach ($k in $keys.Values) { $text | Should -Not -Match (ToHex $k) }
    }

    It 'carries host records through a backup restored into a new server' {
        $backup = "$TestDrive/$Engine.provbackup"
        $null = Backup-ProvServer -Path $backup -Passphrase $backupPass -Server $server
        $bytes = [Text.Encoding]::Latin1.GetString([IO.File]::ReadAllBytes($backup))
        foreach ($k in $keys.Values) { $bytes.Contains([Text.Encoding]::Latin1.GetString($k)) | Should -BeFalse }
        $data = "$TestDrive/$Engine-restored"
        $null = Restore-ProvServer -Path $backup -Passphrase $backupPass -DataPath $data
        $restored = Start-ProvServer -Port (Get-FreeTcpPort) -DataPath $data
        try {
            $hosts = @(Get-ProvDevice -HostRecord -Server $restored)
            $hosts.Count | Should -Be @(Get-ProvDevice -HostRecord -Server $server).Count
            $file = (Export-ProvKey -ConfigId 69 -Path "$TestDrive/$Engine-restored.xml" -Server $restored).Path
            @(Read-ProvKeyFile $file -AppName emcm -PrivateKeyPath $hesPrivate).Count | Should -Be 5
        }
        finally { $restored | Stop-ProvServer }
    }
}
