BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll { . "$PSScriptRoot/ServerTestHelpers.ps1" }

Describe 'Station tokens on <Engine>' -ForEach $engines {
    BeforeAll { $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine" }
    AfterAll { Stop-TestServer $server }
    AfterEach { Connect-ProvServer $server.Uri -Token $server.AdminToken }

    It 'New-ProvStationToken returns the secret once, as a SecureString that works' {
        $t = New-ProvStationToken -Name 'line1-port3'
        $t.Name | Should -Be 'line1-port3'
        $t.Role | Should -Be 'station'
        $t.Id | Should -BeGreaterThan 0
        $t.Token | Should -BeOfType [securestring]
        (Connect-ProvServer $server.Uri -Token $t.Token -PassThru).Role | Should -Be 'station'
        ($t | Format-Table | Out-String) | Should -Not -Match ([regex]::Escape((ConvertFrom-SecureString $t.Token -AsPlainText)))
    }

    It 'makes one token per name from the pipeline' {
        $made = 'pipe-a', 'pipe-b' | New-ProvStationToken
        $made.Name | Should -Be @('pipe-a', 'pipe-b')
        ($made.Id | Select-Object -Unique).Count | Should -Be 2
    }

    It 'Get-ProvStationToken lists station tokens by name, never a secret' {
        $t = New-ProvStationToken -Name 'listed-1'
        $listed = Get-ProvStationToken 'listed-*'
        $listed.Id | Should -Contain $t.Id
        $listed | ForEach-Object { $_.Token | Should -BeNullOrEmpty }
        (Get-ProvStationToken).Role | Select-Object -Unique | Should -Be 'station'
    }

    It 'Revoke-ProvStationToken ends a token at once; -WhatIf does not' {
        $t = New-ProvStationToken -Name 'to-revoke'
        Get-ProvStationToken 'to-revoke' | Revoke-ProvStationToken -WhatIf
        (Connect-ProvServer $server.Uri -Token $t.Token -PassThru).Role | Should -Be 'station'
        Connect-ProvServer $server.Uri -Token $server.AdminToken
        Get-ProvStationToken 'to-revoke' | Revoke-ProvStationToken
        Get-ErrorText { Connect-ProvServer $server.Uri -Token $t.Token } | Should -Match 'refused the token'
        Get-ProvStationToken 'to-revoke' | Should -BeNullOrEmpty
        (Get-ProvStationToken 'to-revoke' -IncludeRevoked).Revoked | Should -Not -BeNullOrEmpty
    }

    It 'says which token is unknown' {
        Get-ErrorText { Revoke-ProvStationToken -Id 987654 } | Should -Match '987654'
    }

    It 'a station token cannot make tokens' {
        $t = New-ProvStationToken -Name 'no-admin'
        Get-ErrorText { New-ProvStationToken -Name 'sneaky' -Server (Connect-ProvServer $server.Uri -Token $t.Token -PassThru) } |
            Should -Match 'needs an admin token'
    }
}
