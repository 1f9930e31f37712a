BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll { . "$PSScriptRoot/ServerTestHelpers.ps1" }

Describe 'Stop-ProvServer on <Engine>' -ForEach $engines {
    It 'stops the server from the pipeline: the process exits cleanly and the session forgets it' {
        $server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine-pipe"
        $process = Get-Process -Id $server.ProcessId
        $warnings = $null
        $server | Stop-ProvServer -WarningVariable warnings
        $process.WaitForExit(30000) | Should -BeTrue
        $warnings | Should -BeNullOrEmpty
        Get-ErrorText { Get-ProvPackage } | Should -Match 'No provisioning server is connected'
        Stop-TestServer $server
    }

    It '-WhatIf leaves the server running' {
        $server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine-whatif"
        try {
            $server | Stop-ProvServer -WhatIf
            (Invoke-RestMethod "$($server.Uri)api/v1/health").processId | Should -Be $server.ProcessId
            { Get-ProvPackage -ErrorAction Stop } | Should -Not -Throw
        }
        finally { Stop-TestServer $server }
    }

    It 'stops a server by -ProcessId or by -Uri' {
        $a = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine-a"
        $b = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine-b"
        try {
            $pa = Get-Process -Id $a.ProcessId
            $pb = Get-Process -Id $b.ProcessId
            Stop-ProvServer -ProcessId $a.ProcessId
            $pa.WaitForExit(30000) | Should -BeTrue
            Stop-ProvServer -Uri $b.Uri.AbsoluteUri  # the older name of -Server
            $pb.WaitForExit(30000) | Should -BeTrue
        }
        finally { Stop-TestServer $a; Stop-TestServer $b }
    }

    It 'does not stop a server when the token is refused' {
        $server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine-refused"
        try {
            $station = New-ProvStationToken -Name 'not-an-admin'
            $connection = Connect-ProvServer $server.Uri -Token $station.Token -PassThru
            $text = Get-ErrorText { Stop-ProvServer -Server $connection }
            $text | Should -Match 'admin token'
            (Invoke-RestMethod "$($server.Uri)api/v1/health").processId | Should -Be $server.ProcessId
        }
        finally { Connect-ProvServer $server.Uri -Token $server.AdminToken; Stop-TestServer $server }
    }
}

Describe 'Stop-ProvServer' {
    It 'says the session is not connected when it holds no token for the address, and stops nothing' {
        $server = Start-TestServer -Engine SQLite -Root "$TestDrive/unconnected"
        try {
            # A new shell, which holds no token for the server.
            $text = Invoke-TestShell "Import-Module '$RepoRoot/Provisioning.psd1'; Stop-ProvServer -Server '$($server.Uri)'; Stop-ProvServer -Uri '$($server.Uri)'"
            ([regex]::Matches($text, "This session is not connected to $([regex]::Escape($server.Uri.AbsoluteUri.TrimEnd('/')))")).Count | Should -Be 2
            $text | Should -Match 'Connect-ProvServer -Uri'
            $text | Should -Not -Match 'refused the token'
            (Invoke-RestMethod "$($server.Uri)api/v1/health").processId | Should -Be $server.ProcessId
        }
        finally { Stop-TestServer $server }
    }

    It 'says so when no server with that process ID was started here' {
        Get-ErrorText { Stop-ProvServer -ProcessId $PID } | Should -Match "process ID $PID"
    }
}
