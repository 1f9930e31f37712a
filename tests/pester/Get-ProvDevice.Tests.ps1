# Get-ProvDevice as an admin uses it after a line stopped: devices with their current record and history, and the
# unresolved ones (a pending record the node may hold), against a real server on each engine.
BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
}

Describe 'Get-ProvDevice on <Engine>' -ForEach $engines {
    BeforeAll {
        $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine"
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $script:station = New-ProvStationToken -Name 'line 3'
        $record = @{ Server = $server; Token = $station.Token; Config = (Get-ProvConfig 69) }
        $script:keys = @{}
        foreach ($n in 1..4) { $k = [byte[]]::new(16); [Security.Cryptography.RandomNumberGenerator]::Fill($k); $keys[$n] = $k }
        # 0x81: provisioned, then re-provisioned by a station that stopped before confirming; 0x82: confirmed; 0x83: new, never confirmed.
        $null = Add-TestDeviceRecord @record -NodeId 0x81 -Batch 10 -RootKey $keys[1]
        $null = Add-TestDeviceRecord @record -NodeId 0x81 -Batch 11 -RootKey $keys[2] -Pending
        $null = Add-TestDeviceRecord @record -NodeId 0x82 -Batch 10 -RootKey $keys[3]
        $null = Add-TestDeviceRecord @record -NodeId 0x83 -Batch 12 -RootKey $keys[4] -Pending
    }
    AfterAll { Stop-TestServer $server }

    It 'shows a device''s current record and its history by key check value and state, without key material' {
        $d = Get-ProvDevice -NodeId 0x81
        $d.NodeId | Should -Be 0x81
        $d.Status | Should -Be 'unresolved'
        $d.Kcv | Should -Be (Get-TestKeyCheckValue $keys[1])
        $d.Current.Batch | Should -Be 10
        $d.Pending.Kcv | Should -Be @(Get-TestKeyCheckValue $keys[2])
        $d.History.Status | Should -Be @('pending', 'confirmed')
        $d.History.Kcv | Should -Be @((Get-TestKeyCheckValue $keys[2]), (Get-TestKeyCheckValue $keys[1]))
        $d.History[0].Station | Should -Be 'pester'
        ($d | ConvertTo-Json -Depth 5) | Should -Not -Match 'encrypted|rootKey'
    }

    It 'lists every device in node order, and with -Unresolved only those with a pending record' {
        (Get-ProvDevice).NodeId | Should -Be @(0x81, 0x82, 0x83)
        (Get-ProvDevice -Unresolved).NodeId | Should -Be @(0x81, 0x83)
        (Get-ProvDevice -Unresolved | Where-Object NodeId -EQ 0x83).Current | Should -BeNullOrEmpty
        (Get-ProvDevice -NodeId 0x81, 0x82 -Unresolved).NodeId | Should -Be @(0x81)
    }

    It 'takes node IDs from the pipeline and names an unknown one without stopping' {
        $found = '0x82', 131, '0x99' | Get-ProvDevice -ErrorVariable errors -ErrorAction SilentlyContinue
        $found.NodeId | Should -Be @(0x82, 0x83)
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Match '^NodeNotFound,'
        ($errors[0] | Out-String) | Should -Match '0x00000099 has never been recorded'
    }

    It 'reads well at 80 columns' {
        $text = Get-ProvDevice | Out-String -Width 80
        $text | Should -Match 'NodeId\s+Status\s+KCV\s+Pending KCV\s+ConfigId\s+Batch\s+Records'
        $text | Should -Match "0x00000081 unresolved $(Get-TestKeyCheckValue $keys[1]) $(Get-TestKeyCheckValue $keys[2])\s+69\s+10\s+2"
        $text | Should -Match '0x00000083 unresolved\s+[0-9A-F]{6}\s+69\s+12\s+1'
        ((Get-ProvDevice -NodeId 0x81).History | Out-String -Width 80) | Should -Match 'pending\s+[0-9A-F]{6}\s+69\s+11'
    }

    It 'is refused to a station token' {
        $c = Connect-ProvServer $server.Uri -Token $station.Token -PassThru
        try { Get-ErrorText { Get-ProvDevice -Server $c } | Should -Match 'needs an admin or exporter token' }
        finally { Connect-ProvServer $server.Uri -Token $server.AdminToken }
    }
}
