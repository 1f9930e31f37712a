BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    . "$PSScriptRoot/NodeSimulatorHelpers.ps1"
}

Describe 'Stop-ProvNodeSimulator' {
    It 'stops every simulator piped to it and frees their ports' {
        $sims = 1..3 | ForEach-Object { Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId $_ }

        $sims | Stop-ProvNodeSimulator

        $sims.IsRunning | Should -Not -Contain $true
        foreach ($sim in $sims) {
            $port = [int]($sim.Endpoint -replace '.*:')
            { [Net.Sockets.TcpClient]::new('127.0.0.1', $port) } | Should -Throw
        }
    }

    It 'keeps the simulator running with -WhatIf' {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0
        try {
            $sim | Stop-ProvNodeSimulator -WhatIf
            $sim.IsRunning | Should -BeTrue
        }
        finally { $sim | Stop-ProvNodeSimulator }
    }

    It 'keeps an interrupted firmware transfer in the state file for the next start' {
        $state = Join-Path $TestDrive 'node.json'
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -StatePath $state -DropLinkAfterBytes 15000
        $client = Connect-TestNode $sim.Endpoint
        $image = New-TestImage 40000
        { Write-TestFirmware $client $image '6.0' } | Should -Throw "*$($sim.Endpoint)*"
        Close-TestNode $client
        $sim | Stop-ProvNodeSimulator

        (Get-Content $state -Raw | ConvertFrom-Json).partial.received | Should -BeGreaterThan 10000
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -StatePath $state
        try {
            $client = Connect-TestNode $sim.Endpoint
            Write-TestFirmware $client $image '6.0'
            $sim.State.FirmwareVersion | Should -Be '6.0'
            $sim.BytesReceived | Should -BeLessThan 35000
        }
        finally { Close-TestNode $client; $sim | Stop-ProvNodeSimulator }
    }
}
