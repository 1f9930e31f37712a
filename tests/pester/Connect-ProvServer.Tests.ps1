BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll { . "$PSScriptRoot/ServerTestHelpers.ps1" }

Describe 'Connect-ProvServer on <Engine>' -ForEach $engines {
    BeforeAll {
        $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine"
        $script:station = New-ProvStationToken -Name 'line1'
    }
    AfterAll { Stop-TestServer $server }
    AfterEach { Connect-ProvServer $server.Uri -Token $server.AdminToken }

    It 'connects with an admin token and says so' {
        $c = Connect-ProvServer -Uri $server.Uri.AbsoluteUri -Token $server.AdminToken -PassThru
        $c.Role | Should -Be 'admin'
        $c.ProcessId | Should -Be $server.ProcessId
        $c.ServerVersion | Should -Not -BeNullOrEmpty
        $c.Database | Should -Not -BeNullOrEmpty
        ($c | Format-List | Out-String) | Should -Not -Match ([regex]::Escape((ConvertFrom-SecureString $server.AdminToken -AsPlainText)))
    }

    It 'takes an address without a scheme' {
        (Connect-ProvServer "127.0.0.1:$($server.Uri.Port)" -Token $server.AdminToken -PassThru).Uri | Should -Be $server.Uri
    }

    It 'connects with a station token, which reads configurations but not the overview' {
        $c = Connect-ProvServer $server.Uri -Token $station.Token -PassThru
        $c.Role | Should -Be 'station'
        $c.TokenName | Should -Be 'line1'
        # Learning the role asks the server who the token is: no refusal is logged for a station that connects.
        Get-Content $server.LogPath | Where-Object { $_ -match ' warn ' } | Should -BeNullOrEmpty
        $text = Get-ErrorText { Get-ProvPackage }
        $text | Should -Match 'needs an admin or exporter token'
        # A station may ask for a config: the server answers (not found here), it does not refuse the token.
        Get-ErrorText { Get-ProvConfig -ConfigId 12345 } | Should -Match '12345'
    }

    It 'connects with an exporter token, which reads the overview but not configurations' {
        $exporter = New-ProvStationToken -Name 'kms job' -Role Exporter -Server (Connect-ProvServer $server.Uri -Token $server.AdminToken -PassThru)
        $c = Connect-ProvServer $server.Uri -Token $exporter.Token -PassThru
        try {
            ($c.Role, $c.TokenName) | Should -Be @('exporter', 'kms job')
            Get-ProvPackage -Server $c | Should -BeNullOrEmpty
            Get-ErrorText { Get-ProvConfig -ConfigId 12345 -Server $c } | Should -Match 'needs an admin or station token'
        }
        finally { Connect-ProvServer $server.Uri -Token $server.AdminToken }
    }

    It 'refuses a wrong token, says how to connect, and keeps the current server' {
        $text = Get-ErrorText { Connect-ProvServer $server.Uri -Token (ConvertTo-TestSecret 'not-a-token') }
        $text | Should -Match 'refused the token'
        $text | Should -Match 'Connect-ProvServer -Uri .* -Token'
        $text | Should -Not -Match 'not-a-token'
        { Get-ProvPackage -ErrorAction Stop } | Should -Not -Throw
    }

    It 'refuses a revoked token' {
        $gone = New-ProvStationToken -Name 'retired'
        $gone | Revoke-ProvStationToken
        Get-ErrorText { Connect-ProvServer $server.Uri -Token $gone.Token } | Should -Match 'refused the token'
    }

    It 'uses the token it already holds for the address when -Token is left out' {
        (Connect-ProvServer $server.Uri -PassThru).Role | Should -Be 'admin'
    }

    It 'lets -Server take a handle, a connection or an address' {
        $connection = Connect-ProvServer $server.Uri -Token $server.AdminToken -PassThru
        { Get-ProvPackage -Server $server -ErrorAction Stop } | Should -Not -Throw
        { Get-ProvPackage -Server $connection -ErrorAction Stop } | Should -Not -Throw
        { Get-ProvPackage -Server $server.Uri.AbsoluteUri -ErrorAction Stop } | Should -Not -Throw
        { Get-ProvPackage -Server $server.Uri -ErrorAction Stop } | Should -Not -Throw
        Get-ErrorText { Get-ProvPackage -Server 42 } | Should -Match '-Server takes'
        Get-ErrorText { Get-ProvPackage -Server 'ftp://x' } | Should -Match 'http or https'
    }
}

Describe 'Connect-ProvServer' {
    It 'says a server that does not answer is not reachable, and what to check' {
        $port = Get-FreeTcpPort
        $text = Get-ErrorText { Connect-ProvServer "http://127.0.0.1:$port" -Token (ConvertTo-TestSecret 'x') }
        $text | Should -Match "http://127.0.0.1:$port is not reachable"
        $text | Should -Match 'Start-ProvServer'
    }

    It 'asks for a token when it has none for the address' {
        Get-ErrorText { Connect-ProvServer "http://127.0.0.1:$(Get-FreeTcpPort)" } | Should -Match '-Token'
    }

    It 'tells a new session with no server how to get one' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$RepoRoot/Provisioning.psd1'; Get-ProvPackage")
            $null = $ps.Invoke()
            $text = ($ps.Streams.Error | Out-String) + ($(if ($ps.InvocationStateInfo.Reason) { $ps.InvocationStateInfo.Reason.Message }))
            $text | Should -Match 'No provisioning server is connected'
            $text | Should -Match 'Start-ProvServer'
            $text | Should -Match 'Connect-ProvServer'
        }
        finally { $ps.Dispose() }
    }
}
