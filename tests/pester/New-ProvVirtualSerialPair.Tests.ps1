BeforeDiscovery { $script:noSocat = -not (Get-Command socat -ErrorAction Ignore) }
BeforeAll { . "$PSScriptRoot/TestHelpers.ps1" }

Describe 'New-ProvVirtualSerialPair' -Skip:$noSocat {
    It 'makes two ports in the folder given, joined like a null-modem cable' {
        $pair = New-ProvVirtualSerialPair -Path $TestDrive
        try {
            $pair.PortA | Should -BeLike "$TestDrive*"
            Test-Path $pair.PortA | Should -BeTrue
            Test-Path $pair.PortB | Should -BeTrue
            $a = [System.IO.Ports.SerialPort]::new($pair.PortA, 115200); $a.Open()
            $b = [System.IO.Ports.SerialPort]::new($pair.PortB, 115200); $b.Open()
            $b.ReadTimeout = 5000
            $a.Write('hello')
            $got = ''
            while ($got.Length -lt 5) { $got += [char]$b.ReadChar() }
            $got | Should -Be 'hello'
            $a.Dispose(); $b.Dispose()
        }
        finally { $pair | Remove-ProvVirtualSerialPair }
        Test-Path $pair.PortA | Should -BeFalse
        $pair.IsAlive | Should -BeFalse
        Get-Process -Id $pair.ProcessId -ErrorAction Ignore | Should -BeNullOrEmpty
    }

    It 'creates nothing with -WhatIf' {
        New-ProvVirtualSerialPair -Path $TestDrive -WhatIf | Should -BeNullOrEmpty
        @(Get-ChildItem $TestDrive -Filter 'prov-tty-*').Count | Should -Be 0
    }

    It 'shows both ports in a table' {
        $pair = New-ProvVirtualSerialPair -Path $TestDrive
        try { ($pair | Format-Table | Out-String -Width 500) | Should -Match ([regex]::Escape($pair.PortB)) }
        finally { $pair | Remove-ProvVirtualSerialPair }
    }
}
