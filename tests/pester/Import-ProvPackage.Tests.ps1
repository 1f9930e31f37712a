BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
}

Describe 'Import-ProvPackage on <Engine>' -ForEach $engines {
    BeforeAll { $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine" }
    AfterAll { Stop-TestServer $server }

    It '-WhatIf shows the uploaded package information and imports nothing' {
        $shown = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase -WhatIf 6>&1 | Out-String
        $shown | Should -Match 'Uploaded Package Information'
        $shown | Should -Match 'Prov\. Config ID: 69'
        $shown | Should -Match 'App\. Label: ge_sgm3000_falconv1_zigbeev2'
        $shown | Should -Match 'Node Type: UNODE'
        $shown | Should -Match 'Node Version: 1\.2\.3\.4'
        $shown | Should -Match 'App\. Name: emcm\s+App\. Version: 5\.6\.7\.8\s+App\. Name: zigbee\s+App\. Version: 1\.2\.3\.4'
        Get-ProvPackage | Should -BeNullOrEmpty
    }

    It '-WhatIf with a wrong passphrase says so and imports nothing' {
        $errors = $null
        Import-ProvPackage $pkg.Path -Passphrase (ConvertTo-TestSecret 'wrong') -WhatIf -ErrorVariable errors -ErrorAction SilentlyContinue 6>$null
        ($errors | Out-String) | Should -Match '(?i)passphrase'
        Get-ProvPackage | Should -BeNullOrEmpty
    }

    It 'imports a package and returns its overview row' {
        $r = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase -Comment 'Import Demo.'
        $r.ConfigId | Should -Be 69
        $r.Revision | Should -Be 1
        $r.IsCurrent | Should -BeTrue
        $r.ReplacedRevision | Should -BeNullOrEmpty
        $r.Comment | Should -Be 'Import Demo.'
        $r.Path | Should -Be $pkg.Path
        $r.Aliases | Sort-Object | Should -Be @('kite_170', 'meter_69')
        ($r | Out-String -Width 250) | Should -Match 'emcm\(5\.6\.7\.8\);zigbee\(1\.2\.3\.4\)'
        (Get-ProvPackage).ConfigId | Should -Be 69
    }

    It 'a newer package for the same config replaces it and says which revision it replaced' {
        $newer = New-TestServerPackage -Root "$TestDrive/$Engine-newer" -Network $pkg.Network
        $verbose = $null
        $r = Import-ProvPackage $newer.Path -Passphrase $pkg.Passphrase -Verbose 4>&1 | Tee-Object -Variable verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $r.Revision | Should -Be 2
        $r.ReplacedRevision | Should -Be 1
        ($verbose | Out-String) | Should -Match 'replaces revision 1'
        @(Get-ProvPackage -ConfigId 69 -History).Revision | Should -Be @(2, 1)
    }

    It 'refuses a wrong passphrase per package and still imports the next one from the pipeline' {
        $other = New-TestServerPackage -Root "$TestDrive/$Engine-70" -ConfigId 70 -ConfigAlias 'line_70' -Network $pkg.Network
        $copy = Copy-Item $other.Path "$TestDrive/$Engine-70-copy.tar.gz" -PassThru
        $errors = $null
        # Both go with the same passphrase; break one package instead: a flipped byte in the middle of its firmware.
        $dir = Expand-TestPackage $copy.FullName "$TestDrive/$Engine-broken"
        $fw = Join-Path $dir 'node/firmware/node.bin'
        $bytes = [System.IO.File]::ReadAllBytes($fw); $bytes[100] = $bytes[100] -bxor 1; [System.IO.File]::WriteAllBytes($fw, $bytes)
        $broken = Compress-TestPackage $dir "$TestDrive/$Engine-broken.tar.gz"
        $results = $broken, $other.Path | Import-ProvPackage -Passphrase $pkg.Passphrase -ErrorVariable errors -ErrorAction SilentlyContinue
        @($results).Count | Should -Be 1
        $results.ConfigId | Should -Be 70
        $errors.Count | Should -Be 1
        $text = $errors | Out-String
        $text | Should -Match ([regex]::Escape($broken))
        $text | Should -Match 'node/firmware/node\.bin'
        $errors[0].FullyQualifiedErrorId | Should -Match '^PackageInvalid'
    }

    It 'says the passphrase is wrong and imports nothing' {
        $errors = $null
        Import-ProvPackage $pkg.Path -Passphrase (ConvertTo-TestSecret 'wrong passphrase') -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Match '^WrongPassphrase'
        ($errors | Out-String) | Should -Match ([regex]::Escape($pkg.Path))
        @(Get-ProvPackage -ConfigId 69 -History).Count | Should -Be 2
    }

    It 'reports an alias that belongs to another config as a conflict' {
        $clash = New-TestServerPackage -Root "$TestDrive/$Engine-clash" -ConfigId 71 -ConfigAlias 'kite_170' -Network $pkg.Network
        $errors = $null
        Import-ProvPackage $clash.Path -Passphrase $pkg.Passphrase -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Match '^AliasConflict'
        $errors[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        ($errors | Out-String) | Should -Match 'kite_170'
        Get-ProvPackage -ConfigId 71 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'says once that a package with a wrong passphrase was not imported' {
        $text = Get-ErrorText { Import-ProvPackage $pkg.Path -Passphrase (ConvertTo-TestSecret 'wrong passphrase') }
        ([regex]::Matches($text, 'was not imported')).Count | Should -Be 1
        $text | Should -Match "^$([regex]::Escape($pkg.Path)) was not imported: The passphrase is wrong"
    }

    It 'expands wildcards in -Path, says when a pattern matches nothing, and takes -LiteralPath as typed' {
        $folder = New-Item -ItemType Directory "$TestDrive/$Engine-wild"
        $a = New-TestServerPackage -Root "$TestDrive/$Engine-wa" -ConfigId 81 -ConfigAlias @() -Network $pkg.Network
        $b = New-TestServerPackage -Root "$TestDrive/$Engine-wb" -ConfigId 82 -ConfigAlias @() -Network $pkg.Network
        Copy-Item $a.Path "$folder/meter_81.tar.gz"
        Copy-Item $b.Path "$folder/meter_82.tar.gz"
        (Import-ProvPackage "$folder/meter_*.tar.gz" -Passphrase $pkg.Passphrase).ConfigId | Sort-Object | Should -Be @(81, 82)

        $errors = $null
        Import-ProvPackage "$folder/nothing_*.tar.gz" -Passphrase $pkg.Passphrase -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Match '^PackageNotFound'
        "$($errors[0])" | Should -Match "No file matches '.*nothing_\*\.tar\.gz'"

        # Brackets are a wildcard class to -Path, so a name holding them needs -LiteralPath.
        $c = New-TestServerPackage -Root "$TestDrive/$Engine-wc" -ConfigId 83 -ConfigAlias @() -Network $pkg.Network
        Copy-Item $c.Path "$folder/meter[rev-b].tar.gz"
        (Import-ProvPackage -LiteralPath "$folder/meter[rev-b].tar.gz" -Passphrase $pkg.Passphrase).ConfigId | Should -Be 83
        (Get-Item -LiteralPath "$folder/meter[rev-b].tar.gz" | Import-ProvPackage -Passphrase $pkg.Passphrase).Revision | Should -Be 2
    }

    It 'names a package that does not exist' {
        Get-ErrorText { Import-ProvPackage "$TestDrive/absent.tar.gz" -Passphrase $pkg.Passphrase } | Should -Match 'absent\.tar\.gz.*does not exist'
    }

    It 'refuses an empty passphrase before uploading' {
        Get-ErrorText { Import-ProvPackage $pkg.Path -Passphrase ([securestring]::new()) } | Should -Match 'passphrase is empty'
    }

    It 'never shows the gateway keys or the passphrase' {
        $r = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $text = ($r | Format-List * | Out-String) + ($r | ConvertTo-Json -Depth 5)
        $text | Should -Not -Match $pkg.Network.GatewayKeyHex
        $text | Should -Not -Match $pkg.Network.CdldKeyHex
        $text | Should -Not -Match ([regex]::Escape($pkg.Network.Passphrase))
    }
}
