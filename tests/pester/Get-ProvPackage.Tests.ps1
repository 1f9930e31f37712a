BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $script:newer = New-TestServerPackage -Root "$TestDrive/pkg" -Network $pkg.Network
    $script:other = New-TestServerPackage -Root "$TestDrive/pkg" -ConfigId '0x1000000000000045' -ConfigAlias 'big_one' -Network $pkg.Network
}

Describe 'Get-ProvPackage on <Engine>' -ForEach $engines {
    BeforeAll {
        $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine"
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase -Comment 'first'
        $null = Import-ProvPackage $newer.Path -Passphrase $pkg.Passphrase -Comment 'Import Demo.'
        $null = Import-ProvPackage $other.Path -Passphrase $pkg.Passphrase
    }
    AfterAll { Stop-TestServer $server }

    It 'shows the guide''s overview table: current packages only' {
        $rows = Get-ProvPackage
        $rows.Count | Should -Be 2
        ($rows | Where-Object ConfigId -eq 69).Revision | Should -Be 2
        $table = $rows | Format-Table | Out-String -Width 250
        foreach ($label in 'Config ID', 'Node', 'Version', 'App. Label', 'App. Names', 'Comment', 'Imported Time') {
            $table | Should -Match ([regex]::Escape($label))
        }
        $table | Should -Match '69\s+UNODE\s+1\.2\.3\.4\s+ge_sgm3000_fa\s+emcm\(5\.6\.7\.8\)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+Import Demo\.'
        # Wrapped, never cut: the rest of the label and the app names follow on the next lines.
        $table | Should -Match 'lconv1_zigbee'
        $table | Should -Match 'zigbee\(1\.2\.3'
        # A 64-bit config ID wraps in the default widths; -AutoSize shows it on one line.
        ($rows | Format-Table -AutoSize | Out-String -Width 250) | Should -Match '1152921504606847045'
    }

    It 'reads well at 80 columns: the header on one line, every date whole, nothing wider than the line' {
        $lines = @((Get-ProvPackage | Out-String -Width 80) -split '\r?\n' | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^\s*Config ID\s+Node\s+Version\s+App\. Label\s+App\. Names\s+Imported Time\s+Comment\s*$'
        $lines[1] | Should -Match '^[\s-]+$'
        @($lines | Where-Object { $_ -match ' \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\s|$)' }).Count | Should -Be 2
        foreach ($line in $lines) { $line.Length | Should -BeLessOrEqual 80 }
        # The wrapped text columns keep a readable width (at least 'App. Label').
        $lines[1] -split '\s+' | Where-Object { $_ } | ForEach-Object { $_.Length | Should -BeGreaterOrEqual 4 }
    }

    It '-History adds the replaced revisions' {
        $rows = Get-ProvPackage -History | Where-Object ConfigId -eq 69
        $rows.Revision | Sort-Object | Should -Be @(1, 2)
        ($rows | Where-Object Revision -eq 1).IsCurrent | Should -BeFalse
        ($rows | Where-Object Revision -eq 1).ReplacedAt | Should -Not -BeNullOrEmpty
        (Get-ProvPackage -History | Format-Table -View History | Out-String -Width 250) | Should -Match 'history'
    }

    It '-History shows each row''s Revision and whether it is Current, so equal-looking revisions differ' {
        $rows = Get-ProvPackage -ConfigId 69 -History
        $rows.Current | Should -Be @($true, $false)
        $table = $rows | Out-String -Width 250
        $table | Should -Match 'Revision\s+Current'
        $table | Should -Match '69\s+2\s+yes'
        $table | Should -Match '69\s+1\s+history'
        (Get-ProvPackage -History | Out-String -Width 250) | Should -Match 'Revision'
    }

    It '-ConfigId takes decimal or 0x hex and gives the current revision, or every one with -History' {
        (Get-ProvPackage -ConfigId 0x45).Revision | Should -Be 2
        (Get-ProvPackage -ConfigId 69 -History).Revision | Should -Be @(2, 1)
        (Get-ProvPackage -ConfigId 0x1000000000000045).Aliases | Should -Be 'big_one'
    }

    It 'says which config is unknown, and checks the ID before asking' {
        $text = Get-ErrorText { Get-ProvPackage -ConfigId 4242 }
        $text | Should -Match '4242'
        Get-ErrorText { Get-ProvPackage -ConfigId 0xZZ } | Should -Match "Config ID '0xZZ' is not a number"
    }

    It 'completes config IDs from the server' {
        $completions = TabExpansion2 -inputScript 'Get-ProvPackage -ConfigId 6' -cursorColumn 'Get-ProvPackage -ConfigId 6'.Length
        $completions.CompletionMatches.CompletionText | Should -Contain '69'
    }
}
