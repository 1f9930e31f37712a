BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
}

Describe 'Get-ProvConfig on <Engine>' -ForEach $engines {
    BeforeAll {
        $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine"
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    }
    AfterAll { Stop-TestServer $server }

    It 'gives what a station needs, by ID in decimal or hex, and by alias' {
        $byId = Get-ProvConfig -ConfigId 69
        $byHex = Get-ProvConfig 0x45
        $byAlias = Get-ProvConfig -ConfigAlias kite_170
        foreach ($c in $byId, $byHex, $byAlias) {
            $c.ConfigId | Should -Be 69
            $c.NodeType | Should -Be 'UNODE'
            $c.NodeVersion | Should -Be '1.2.3.4'
        }
        $byId.Apps.Name | Should -Be @('emcm', 'zigbee')
        $byId.Apps[0].PublicKey | Should -Not -BeNullOrEmpty
        $byId.KmsKeyFingerprint | Should -Be $pkg.Network.Kms.Fingerprint
        $byId.KmsPublicKey | Should -Match 'BEGIN PUBLIC KEY'
    }

    It 'lists the node firmware with the hashes of the file that was packaged' {
        $fw = (Get-ProvConfig 69).Node.Firmware
        $fw.Size | Should -Be (Get-Item $pkg.Input.NodeFirmware).Length
        $fw.Sha256 | Should -Be (Get-FileHash $pkg.Input.NodeFirmware -Algorithm SHA256).Hash.ToLowerInvariant()
        $fw.Md5 | Should -Be (Get-FileHash $pkg.Input.NodeFirmware -Algorithm MD5).Hash.ToLowerInvariant()
        $fw.Url | Should -Match $fw.Sha256
    }

    It 'shows a readable list without keys' {
        $shown = Get-ProvConfig 69 | Out-String -Width 200
        foreach ($label in 'Prov. Config ID', 'Config Aliases', 'App. Label', 'Node Firmware', 'App. Names', 'KMS Fingerprint') { $shown | Should -Match ([regex]::Escape($label)) }
        $shown | Should -Match 'emcm\(5\.6\.7\.8\);zigbee\(1\.2\.3\.4\)'
        $all = (Get-ProvConfig 69 | Format-List * | Out-String) + (Get-ProvConfig 69 | ConvertTo-Json -Depth 6)
        $all | Should -Not -Match $pkg.Network.GatewayKeyHex
        $all | Should -Not -Match $pkg.Network.CdldKeyHex
    }

    It 'gives the hardware types the node firmware supports, and an empty list (any) for a package that names none' {
        $typed = New-TestServerPackage -Root "$TestDrive/$Engine-hw" -ConfigId 71 -ConfigAlias hw_71 -Network $pkg.Network -HardwareType rev-a, rev-b
        $null = Import-ProvPackage $typed.Path -Passphrase $typed.Passphrase
        (Get-ProvConfig 71).HardwareTypes | Should -Be @('rev-a', 'rev-b')
        (Get-ProvConfig -ConfigAlias hw_71 | Out-String -Width 200) | Should -Match 'Hardware Types\s*:\s*rev-a, rev-b'
        @((Get-ProvConfig 69).HardwareTypes).Count | Should -Be 0
        (Get-ProvConfig 69 | Out-String -Width 200) | Should -Match 'Hardware Types\s*:\s*any'
    }

    It 'works with a station token' {
        $station = New-ProvStationToken -Name 'config-reader'
        (Get-ProvConfig -ConfigAlias meter_69 -Server (Connect-ProvServer $server.Uri -Token $station.Token -PassThru)).ConfigId | Should -Be 69
        Connect-ProvServer $server.Uri -Token $server.AdminToken
    }

    It 'says which config or alias is unknown' {
        Get-ErrorText { Get-ProvConfig 70 } | Should -Match '70'
        $e = $null
        Get-ProvConfig -ConfigAlias no_such_alias -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Match '^AliasNotFound'
        ($e | Out-String) | Should -Match 'no_such_alias'
    }

    It 'refuses a malformed config ID before asking the server' {
        Get-ErrorText { Get-ProvConfig 18446744073709551616 } | Should -Match 'out of range'
    }

    It 'completes config aliases from the server' {
        $line = 'Get-ProvConfig -ConfigAlias ki'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('kite_170')
    }
}
