# Invoke-NodeProvision as a station operator drives it: a real server started with Start-ProvServer, packages
# imported through the cmdlets, and (for the node steps) real node simulators over TCP and over socat serial pairs.
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $script:config = Get-ProvConfig 69
    $script:token = New-ProvStationToken -Name 'line1'
    $script:station = Connect-ProvServer -Uri $server.Uri -Token $token.Token -PassThru
    # Nothing listens here; the flow fetches the configuration first, so server faults never reach it.
    $script:unusedPort = "tcp://127.0.0.1:$(Get-FreeTcpPort)"

    # Runs the cmdlet and returns its results and the errors it wrote.
    function script:Invoke-Station {
        param([Parameter(ValueFromPipeline)] $InputObject, [hashtable] $With = @{})
        begin { $items = [System.Collections.Generic.List[object]]::new() }
        process { if ($null -ne $InputObject) { $items.Add($InputObject) } }
        end {
            $errors = $null
            $results = if ($items.Count) { $items | Invoke-NodeProvision @With -ErrorVariable errors -ErrorAction SilentlyContinue }
                       else { Invoke-NodeProvision @With -ErrorVariable errors -ErrorAction SilentlyContinue }
            [pscustomobject]@{ Results = @($results); Errors = @($errors) }
        }
    }
}
AfterAll {
    Stop-TestServer $server
}

Describe 'Invoke-NodeProvision with bad arguments' {
    It 'gives code 3 and an error for <Name>, and still one result per device' -ForEach @(
        @{ Name = 'both -ConfigId and -ConfigAlias'; With = @{ ConfigId = '69'; ConfigAlias = 'kite_170'; Batch = '1000' }; Text = 'either -ConfigId or -ConfigAlias, not both' }
        @{ Name = 'neither -ConfigId nor -ConfigAlias'; With = @{ Batch = '1000' }; Text = 'No configuration given' }
        @{ Name = 'batch 4294967296'; With = @{ ConfigId = '69'; Batch = '4294967296' }; Text = "Batch number '4294967296' is larger than 4294967295" }
        @{ Name = 'an octal batch with the digit 8'; With = @{ ConfigId = '69'; Batch = '05082011' }; Text = 'octal' }
        @{ Name = 'a config ID beyond 64 bits'; With = @{ ConfigId = '18446744073709551616'; Batch = '1' }; Text = 'out of range' }
    ) {
        $r = 'tcp://127.0.0.1:1', 'tcp://127.0.0.1:2' | Invoke-Station -With $With
        $r.Results.Count | Should -Be 2
        $r.Results.Port | Should -Be @('tcp://127.0.0.1:1', 'tcp://127.0.0.1:2')
        $r.Results.ExitCode | ForEach-Object { [int]$_ | Should -Be 3 }
        $r.Results[0].Message | Should -Match ([regex]::Escape($Text))
        $r.Results[0].Message | Should -Match '^Invalid arguments: '
        $r.Errors.Count | Should -Be 2
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'InvalidArguments,Provisioning.PowerShell.InvokeNodeProvisionCommand'
        $r.Errors[0].TargetObject.ExitCode | Should -Be 'InvalidArguments'
    }

    It 'refuses a throttle limit above 64 before doing anything' {
        { Invoke-NodeProvision -Port $unusedPort -Batch 1 -ConfigId 69 -ThrottleLimit 65 } | Should -Throw '*65*'
    }

    It 'does nothing with -WhatIf' {
        $r = Invoke-Station -With @{ Port = $unusedPort; Batch = '1'; ConfigId = '69'; WhatIf = $true }
        $r.Results.Count | Should -Be 0
        $r.Errors.Count | Should -Be 0
    }

    It 'reads Port, Device or PortName, Batch and the config from CSV rows' {
        $csv = "$TestDrive/bad.csv"
        @(
            [pscustomobject]@{ Port = 'tcp://127.0.0.1:1'; Batch = '1'; ConfigId = '69'; ConfigAlias = 'kite_170' }
            [pscustomobject]@{ Port = 'tcp://127.0.0.1:2'; Batch = '0x1_'; ConfigId = '69'; ConfigAlias = '' }
        ) | Export-Csv $csv
        $r = Import-Csv $csv | Invoke-Station
        $r.Results.Count | Should -Be 2
        $r.Results[0].Message | Should -Match 'not both'
        $r.Results[1].Message | Should -Match "Batch number '0x1_'"
        $r.Results[1].ConfigId | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-NodeProvision when the server cannot serve the configuration' {
    It 'gives 101 naming a config ID that is not imported' {
        $r = Invoke-Station -With @{ Port = $unusedPort; Batch = '1'; ConfigId = '12345' }
        [int]$r.Results[0].ExitCode | Should -Be 101
        $r.Results[0].Message | Should -Match '^Provisioning server returned error response: '
        $r.Results[0].Message | Should -Match 'config ID 12345'
        $r.Results[0].Message | Should -Match 'Import-ProvPackage'
        $r.Errors[0].FullyQualifiedErrorId | Should -Match '^ServerError,'
    }

    It 'gives 101 naming an unknown alias' {
        $r = Invoke-Station -With @{ Port = $unusedPort; Batch = '1'; ConfigAlias = 'no_such_alias' }
        [int]$r.Results[0].ExitCode | Should -Be 101
        $r.Results[0].Message | Should -Match "no_such_alias"
    }

    It 'gives 102 when a file in the repository no longer matches its hash' {
        $p = New-TestServerPackage -Root "$TestDrive/pkg102" -ConfigId 7001 -ConfigAlias 'altered_7001' -Network $pkg.Network
        $null = Import-ProvPackage $p.Path -Passphrase $p.Passphrase -Server $server
        $fw = (Get-ProvConfig 7001).Node.Firmware
        $file = Join-Path $server.DataPath "files/$($fw.Sha256.Substring(0, 2))/$($fw.Sha256)"
        $file | Should -Exist
        $bytes = [System.IO.File]::ReadAllBytes($file); $bytes[100] = $bytes[100] -bxor 0xFF
        [System.IO.File]::WriteAllBytes($file, $bytes)

        $r = Invoke-Station -With @{ Port = $unusedPort; Batch = '1'; ConfigId = '7001' }
        [int]$r.Results[0].ExitCode | Should -Be 102
        $r.Results[0].Message | Should -Match '^Response from provisioning server invalid or file signature mismatches: '
        $r.Results[0].Message | Should -Match "its SHA-256 is [0-9a-f]{64}, but the config lists $($fw.Sha256)"
        $r.Results[0].ConfigId | Should -Be 7001
    }

    It 'gives 108 when a file is missing from the repository' {
        $p = New-TestServerPackage -Root "$TestDrive/pkg108" -ConfigId 80001 -ConfigAlias 'removed_80001' -Network $pkg.Network
        $null = Import-ProvPackage $p.Path -Passphrase $p.Passphrase -Server $server
        $fw = (Get-ProvConfig 80001).Node.Firmware
        Remove-Item (Join-Path $server.DataPath "files/$($fw.Sha256.Substring(0, 2))/$($fw.Sha256)")

        $r = Invoke-Station -With @{ Port = $unusedPort; Batch = '1'; ConfigAlias = 'removed_80001' }
        [int]$r.Results[0].ExitCode | Should -Be 108
        $r.Results[0].Message | Should -Match '^Unable to open file from provisioning server: '
        $r.Results[0].Message | Should -Match $fw.Sha256
    }

    It 'gives 100 for every device when the server has stopped' {
        $other = Start-TestServer -Engine SQLite -Root "$TestDrive/stopped"
        $other | Stop-ProvServer
        $null = Connect-ProvServer -Uri $server.Uri -Token $token.Token
        $r = 'tcp://127.0.0.1:1', 'tcp://127.0.0.1:2' | Invoke-Station -With @{ Batch = '1'; ConfigId = '69'; Server = $other.Uri }
        $r.Results.Count | Should -Be 2
        $r.Results.ExitCode | ForEach-Object { [int]$_ | Should -Be 100 }
        $r.Results[0].Message | Should -Match '^Provisioning server unreachable: '
        $r.Results[0].Message | Should -Match ([regex]::Escape($other.Uri.AbsoluteUri.TrimEnd('/')))
        $r.Errors.Count | Should -Be 2
        $r.Errors[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        # The current connection was not touched by -Server.
        (Invoke-Station -With @{ Port = $unusedPort; Batch = '1'; ConfigId = '12345' }).Results[0].Code | Should -Be 101
    }
}

Describe 'Invoke-NodeProvision output' {
    It 'shows a table with the node ID in hex' {
        $r = Invoke-Station -With @{ Port = $unusedPort; Batch = '1'; ConfigId = '12345' }
        $text = $r.Results | Format-Table | Out-String -Width 300
        $text | Should -Match 'Port\s+NodeId\s+ConfigId\s+Batch\s+FirmwareUpdated\s+ExitCode\s+Duration\s+Message'
        $text | Should -Match '101'
    }
}
