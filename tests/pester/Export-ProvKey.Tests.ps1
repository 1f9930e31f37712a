BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $script:xsd = Join-Path $RepoRoot 'docs/schemas/device-keys.xsd'
    # Local times, so that the date filters mean what an operator typing dates means.
    function script:Local([string] $Text) { [DateTimeOffset][datetime]::Parse($Text, [cultureinfo]::InvariantCulture) }
}

Describe 'Export-ProvKey on <Engine>' -ForEach $engines {
    BeforeAll {
        $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine"
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $script:config = Get-ProvConfig 69
        $script:station = New-ProvStationToken -Name 'line1'
        $record = @{ Server = $server; Token = $station.Token; Config = $config }
        # 16 devices of batch 1000 on May 1st, then one device each in other batches and days.
        foreach ($node in 0x10..0x1F) { $null = Add-TestDeviceRecord @record -NodeId $node -Batch 1000 -Timestamp (Local '2024-05-01 10:00') }
        $null = Add-TestDeviceRecord @record -NodeId 0x40 -Batch 1002 -Timestamp (Local '2024-05-15 12:00')
        $null = Add-TestDeviceRecord @record -NodeId 0x41 -Batch 1003 -Timestamp (Local '2024-06-01 00:30')
        $null = Add-TestDeviceRecord @record -NodeId 0x60 -Batch 1006 -Timestamp (Local '2024-05-31 23:00')
        $null = Add-TestDeviceRecord @record -NodeId 0x50 -Batch 1000 -Timestamp (Local '2024-05-02 09:00') -Pending
        $script:out = "$TestDrive/$Engine-out"
        New-Item -ItemType Directory $out | Out-Null
    }
    AfterAll { Stop-TestServer $server }

    It 'exports every confirmed device and returns a receipt that matches the file' {
        $r = Export-ProvKey -ConfigId 69 -Path "$out/all.xml"
        $r.Count | Should -Be 19
        $r.ConfigId | Should -Be 69
        $r.ExportId | Should -BeGreaterThan 0
        $r.Path | Should -Be "$out/all.xml"
        $r.Size | Should -Be (Get-Item "$out/all.xml").Length
        $r.Sha256 | Should -Be (Get-FileHash "$out/all.xml" -Algorithm SHA256).Hash.ToLowerInvariant()
        "$out/all.xml.partial" | Should -Not -Exist
        ($r | Format-Table | Out-String -Width 250) | Should -Match 'all confirmed'
    }

    It 'warns when no device matches, and still writes a valid empty export' {
        $warnings = $null
        $r = Export-ProvKey -ConfigId 69 -Batch 4242 -Path "$out/empty.xml" -WarningVariable warnings -WarningAction SilentlyContinue
        $r.Count | Should -Be 0
        "$out/empty.xml" | Should -Exist
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'No device matched \(config 69, batch 4242, confirmed only\)'
        "$($warnings[0])" | Should -Match '-IncludePending'
        ([xml](Get-Content "$out/empty.xml" -Raw)) | Should -Not -BeNullOrEmpty
        $none = $null
        $null = Export-ProvKey -ConfigId 69 -Path "$out/some.xml" -WarningVariable none
        # (Node 0x50's unresolved pending key has its own warning; only the no-match one must be absent.)
        @($none | Where-Object { "$_" -match 'No device matched' }) | Should -BeNullOrEmpty
    }

    It 'adds pending devices with -IncludePending' {
        (Export-ProvKey -ConfigId 69 -IncludePending -Path "$out/pending.xml").Count | Should -Be 20
    }

    It 'filters by <Name>' -ForEach @(
        @{ Name = 'one batch'; Filter = @{ Batch = '1000' }; Count = 16 }
        @{ Name = 'batches and ranges'; Filter = @{ Batch = '1000,1002-1005' }; Count = 18 }
        @{ Name = 'node ID ranges in hex'; Filter = @{ NodeId = '0x0010-0x001F,0x40' }; Count = 17 }
        @{ Name = 'node IDs in decimal'; Filter = @{ NodeId = '16,64' }; Count = 2 }
        @{ Name = 'dates, -To meaning the end of that day'; Filter = @{ From = [datetime]'2024-05-01'; To = [datetime]'2024-05-31' }; Count = 18 }
        @{ Name = 'a time of day in -To'; Filter = @{ To = [datetime]'2024-05-31 22:00' }; Count = 17 }
        @{ Name = 'all filters combined'; Filter = @{ Batch = '1000,1002-1005'; NodeId = '0x0010-0x0013,0x40-0x41'; From = [datetime]'2024-05-01'; To = [datetime]'2024-05-31' }; Count = 5 }
    ) {
        $path = "$out/$($Name -replace '\W', '_').xml"
        $r = Export-ProvKey -ConfigId 69 @Filter -Path $path
        $r.Count | Should -Be $Count
        if ($Filter.Batch) { $r.Batch | Should -Be $Filter.Batch }
        if ($Filter.NodeId) { $r.NodeId | Should -Be $Filter.NodeId }
        $r.Sha256 | Should -Be (Get-FileHash $path -Algorithm SHA256).Hash.ToLowerInvariant()
    }

    It 'writes XML valid against the published schema' -Skip:(-not (Get-Command xmllint -ErrorAction Ignore)) {
        if (-not (Test-Path $xsd)) { Set-ItResult -Skipped -Because "$xsd is not there yet"; return }
        $null = Export-ProvKey -ConfigId 69 -IncludePending -Path "$out/schema.xml" -Force
        & xmllint --noout --schema $xsd "$out/schema.xml" 2>&1 | Out-String | Should -Match 'validates'
    }

    It 'takes a config alias, and the Export-ProvKeys alias works' {
        (Export-ProvKeys -ConfigAlias kite_170 -Batch 1002 -Path "$out/alias.xml").Count | Should -Be 1
    }

    It 'refuses to replace a file unless -Force, and -Force replaces it' {
        Set-Content "$out/existing.xml" 'keep me'
        Get-ErrorText { Export-ProvKey -ConfigId 69 -Path "$out/existing.xml" } | Should -Match 'already exists; use -Force'
        Get-Content "$out/existing.xml" | Should -Be 'keep me'
        $r = Export-ProvKey -ConfigId 69 -Batch 1000 -Path "$out/existing.xml" -Force
        $r.Sha256 | Should -Be (Get-FileHash "$out/existing.xml" -Algorithm SHA256).Hash.ToLowerInvariant()
    }

    It '-WhatIf writes nothing and starts no export' {
        $before = @(Invoke-RestMethod "$($server.Uri)api/v1/exports" -Headers @{ Authorization = "Bearer $(ConvertFrom-SecureString $server.AdminToken -AsPlainText)" }).Count
        Export-ProvKey -ConfigId 69 -Path "$out/whatif.xml" -WhatIf
        "$out/whatif.xml" | Should -Not -Exist
        @(Invoke-RestMethod "$($server.Uri)api/v1/exports" -Headers @{ Authorization = "Bearer $(ConvertFrom-SecureString $server.AdminToken -AsPlainText)" }).Count | Should -Be $before
    }

    It 'names the bad part of a filter (<Token>) before asking the server' -ForEach @(
        @{ Filter = @{ Batch = '1000,1005-1002' }; Token = '1005-1002' }
        @{ Filter = @{ NodeId = '0x10,0xZZ' }; Token = '0xZZ' }
        @{ Filter = @{ Batch = '4294967296' }; Token = '4294967296' }
    ) {
        $headers = @{ Authorization = "Bearer $(ConvertFrom-SecureString $server.AdminToken -AsPlainText)" }
        $before = @(Invoke-RestMethod "$($server.Uri)api/v1/exports" -Headers $headers).Count
        $errors = $null
        Export-ProvKey -ConfigId 69 @Filter -Path "$out/bad.xml" -ErrorVariable errors -ErrorAction SilentlyContinue
        ($errors | Out-String) | Should -Match ([regex]::Escape($Token))
        $errors[0].FullyQualifiedErrorId | Should -Match '^BadFilter'
        "$out/bad.xml" | Should -Not -Exist
        @(Invoke-RestMethod "$($server.Uri)api/v1/exports" -Headers $headers).Count | Should -Be $before
    }

    It 'refuses -From after -To' {
        Get-ErrorText { Export-ProvKey -ConfigId 69 -From '2024-06-01' -To '2024-05-01' -Path "$out/reversed.xml" } | Should -Match '-From .* is after -To'
    }

    It 'says which config is unknown and leaves no file' {
        $errors = $null
        Export-ProvKey -ConfigId 4242 -Path "$out/unknown.xml" -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Match '^ConfigNotFound'
        ($errors | Out-String) | Should -Match '4242'
        "$out/unknown.xml" | Should -Not -Exist
        "$out/unknown.xml.partial" | Should -Not -Exist
    }

    It 'is refused to a station token, leaving no file' {
        $c = Connect-ProvServer $server.Uri -Token $station.Token -PassThru
        try {
            Get-ErrorText { Export-ProvKey -ConfigId 69 -Path "$out/station.xml" -Server $c } | Should -Match 'needs an admin or exporter token'
            "$out/station.xml" | Should -Not -Exist
            "$out/station.xml.partial" | Should -Not -Exist
        }
        finally { Connect-ProvServer $server.Uri -Token $server.AdminToken }
    }
}
