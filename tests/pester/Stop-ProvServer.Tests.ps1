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
            Stop-ProvServer -Uri $b.Uri.AbsoluteUri
            $pb.WaitForExit(30000) | Should -BeTrue
        }
        finally { Stop-TestServer $a; Stop-TestServer $b }
    }

    It 'does not stop a server when the token is refused' {
        $server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine-refused"
        try {
            $station = New-ProvStationToken -Name 'not-an-admin'
            $connection = Connect-ProvServer $server.Uri -Token $station.Token -PassThru
            $text = Get-ErrorText { Stop-ProvServer -Uri $connection }
            $text | Should -Match 'admin token'
            (Invoke-RestMethod "$($server.Uri)api/v1/health").processId | Should -Be $server.ProcessId
        }
        finally { Connect-ProvServer $server.Uri -Token $server.AdminToken; Stop-TestServer $server }
    }
}

Describe 'Stop-ProvServer' {
    It 'says so when no server with that process ID was started here' {
        Get-ErrorText { Stop-ProvServer -ProcessId $PID } | Should -Match "process ID $PID"
    }
}
