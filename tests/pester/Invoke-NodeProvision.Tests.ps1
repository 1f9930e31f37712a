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
        $r.Errors[0].TargetObject.Result | Should -Be 'InvalidArguments'
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
        $text | Should -Match 'Port\s+NodeId\s+ExitCode\s+Duration\s+Message'
        $text | Should -Match '101'
    }

    It 'names the result one way: ExitCode the number (as the guide''s client returns it), Result its name, Code the old name of ExitCode' {
        $r = (Invoke-Station -With @{ Port = $unusedPort; Batch = '1'; ConfigId = '12345' }).Results[0]
        $r.ExitCode | Should -BeOfType [int]
        $r.ExitCode | Should -Be 101
        "$($r.Result)" | Should -Be 'ServerError'
        $r.Code | Should -Be $r.ExitCode
        @($r | Where-Object ExitCode -ne 0).Count | Should -Be 1
    }

    It 'reads well at 80 columns: a failure''s message wrapped in a wide last column, the header on one line' {
        $r = (Invoke-Station -With @{ Port = $unusedPort; Batch = '1'; ConfigId = '12345' }).Results[0]
        $lines = @(($r | Out-String -Width 80) -split '\r?\n' | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^Port\s+NodeId\s+ExitCode\s+Duration\s+Message\s*$'
        $column = $lines[0].IndexOf('Message')
        80 - $column | Should -BeGreaterOrEqual 25 -Because 'the message keeps a readable width'
        $shown = ($lines | Select-Object -Skip 2 | ForEach-Object { if ($_.Length -gt $column) { $_.Substring($column) } }) -join ''
        $shown -replace '\s' | Should -Be ($r.Message -replace '\s') -Because 'the whole message is shown, only wrapped'
        $lines.Count | Should -BeLessOrEqual ([Math]::Ceiling($r.Message.Length / (80 - $column)) + 3)
        foreach ($line in $lines) { $line.Length | Should -BeLessOrEqual 80 }
    }
}

Describe 'Invoke-NodeProvision against simulated nodes' {
    BeforeAll {
        $script:nodes = [System.Collections.Generic.List[object]]::new()
        $script:pairs = [System.Collections.Generic.List[object]]::new()
        $script:fw = $config.Node.Firmware
        $script:kcv = [Provisioning.Core.Crypto.GatewayKeys]::CheckValue([Convert]::FromHexString($pkg.Network.GatewayKeyHex))
        $script:cdldKcv = [Provisioning.Core.Crypto.GatewayKeys]::CheckValue([Convert]::FromHexString($pkg.Network.CdldKeyHex))
        $script:kms = [System.Security.Cryptography.RSA]::Create()
        $kms.ImportFromPem((Get-Content $pkg.Network.Kms.PrivateKeyPath -Raw))
        $script:hasSocat = [bool](Get-Command socat -ErrorAction Ignore)

        # A simulated node of the package's node type, on TCP unless -PortName (one end of a serial pair) is given.
        function script:Start-TestNode {
            param([uint32] $NodeId, [string] $FirmwareVersion = '1.0.0', [hashtable] $Faults = @{}, [hashtable] $Options = @{}, [string] $PortName)
            $o = @{ NodeId = $NodeId; NodeType = 'UNODE'; FirmwareVersion = $FirmwareVersion }
            foreach ($k in $Options.Keys) { $o[$k] = $Options[$k] }
            if ($PortName) { $o.PortName = $PortName } else { $o.Listen = 'tcp://127.0.0.1:0' }
            $o.Faults = [Provisioning.Core.Node.Simulator.NodeFaults]$Faults
            $sim = [Provisioning.Core.Node.Simulator.NodeSimulator]::StartAsync([Provisioning.Core.Node.Simulator.NodeSimulatorOptions]$o,
                [Threading.CancellationToken]::None).GetAwaiter().GetResult()
            $nodes.Add($sim)
            $sim
        }
        function script:New-TestSerialPair {
            $pair = [Provisioning.Core.Transport.VirtualSerialPair]::CreateAsync($TestDrive, [timespan]::FromSeconds(10), [Threading.CancellationToken]::None).GetAwaiter().GetResult()
            $pairs.Add($pair)
            $pair
        }
        # The devices of an export, by node ID, with the root key each carries decrypted by the KMS private key.
        function script:Get-ExportedKey {
            param([string] $Batch, [switch] $IncludePending)
            $path = Join-Path $TestDrive "export-$([guid]::NewGuid().ToString('N')).xml"
            $null = Export-ProvKey -ConfigId 69 -Batch $Batch -Path $path -IncludePending:$IncludePending -Server $server
            $xml = [xml](Get-Content $path -Raw)
            foreach ($d in @($xml.deviceKeys.device)) {
                if (-not $d) { continue }
                $encrypted = [Convert]::FromBase64String($d.rootKey.'#text')
                [pscustomobject]@{
                    NodeId = [Convert]::ToUInt32($d.nodeId, 16); Status = $d.status; Encrypted = $encrypted; Path = $path
                    Key = $kms.Decrypt($encrypted, [System.Security.Cryptography.RSAEncryptionPadding]::OaepSHA256)
                }
            }
        }
        function script:Get-SimKey($Sim) { $Sim.ReadKey([Provisioning.Core.Node.NodeKeySlot]::Root) }
    }
    AfterEach {
        foreach ($n in $nodes) { $null = $n.StopAsync().GetAwaiter().GetResult() }
        $nodes.Clear()
        foreach ($p in $pairs) { $p.Dispose() }
        $pairs.Clear()
    }
    AfterAll { $kms.Dispose() }

    It 'provisions a node over TCP: firmware, field config, keys the server recorded, locked and restarted' {
        $sim = Start-TestNode -NodeId 0x1001
        $r = Invoke-NodeProvision -Port $sim.Endpoint -Batch 1000 -ConfigId 69
        $r.Result | Should -Be 'Success'
        $r.ExitCode | Should -Be 0
        $r.Code | Should -Be 0
        $r.NodeId | Should -Be 0x1001
        $r.ConfigId | Should -Be 69
        $r.Batch | Should -Be 1000
        $r.FirmwareUpdated | Should -BeTrue
        $r.Duration | Should -BeGreaterThan ([timespan]::Zero)
        $r.Message | Should -Match '^Successful operation: node 0x00001001 provisioned with config 69'
        $s = $sim.State
        $s.FirmwareVersion | Should -Be '1.2.3.4'
        $s.FirmwareSha256 | Should -Be $fw.Sha256
        $s.FieldConfigSha256 | Should -Be $config.Node.FieldConfig.Sha256
        $s.KeyCheckValues['Gateway'] | Should -Be $kcv
        $s.KeyCheckValues['Cdld'] | Should -Be $cdldKcv
        $s.Locks | Should -Be 'HostPort, FlashJtag'
        $s.Resets | Should -Be 1
        ($r | Format-Table | Out-String -Width 300) | Should -Match '0x00001001'
    }

    It 're-provisions with a new key that replaces the old; the export holds each node once with the key the node holds' {
        $a = Start-TestNode -NodeId 0x2001
        $b = Start-TestNode -NodeId 0x2002
        (Invoke-NodeProvision -Port $a.Endpoint -Batch 2000 -ConfigAlias kite_170).Code | Should -Be 0
        $first = Get-SimKey $a
        $again = Invoke-NodeProvision -Port $a.Endpoint -Batch 2000 -ConfigId 0x45
        $again.Code | Should -Be 0
        $again.FirmwareUpdated | Should -BeFalse
        $again.Message | Should -Match 'firmware already current; field config already current'
        (Invoke-NodeProvision -Port $b.Endpoint -Batch 2000 -ConfigId 69).Code | Should -Be 0
        $second = Get-SimKey $a
        [Convert]::ToHexString($second) | Should -Not -Be ([Convert]::ToHexString($first))
        $a.State.FirmwareWrites | Should -Be 1

        $exported = @(Get-ExportedKey -Batch 2000)
        $exported.NodeId | Should -Be @(0x2001, 0x2002)
        $exported.Status | Should -Be @('confirmed', 'confirmed')
        [Convert]::ToHexString($exported[0].Key) | Should -Be ([Convert]::ToHexString($second))
        [Convert]::ToHexString($exported[1].Key) | Should -Be ([Convert]::ToHexString((Get-SimKey $b)))

        # The KMS side reads the same file with Read-ProvKeyFile.
        $ingested = @(Read-ProvKeyFile -Path $exported[0].Path -KmsPrivateKeyFile $pkg.Network.Kms.PrivateKeyPath -AsPlainBytes)
        $ingested.NodeId | Should -Be @(0x2001, 0x2002)
        [Convert]::ToHexString($ingested[0].RootKeyBytes) | Should -Be ([Convert]::ToHexString($second))

        if (Get-Command openssl -ErrorAction Ignore) {
            [System.IO.File]::WriteAllBytes("$TestDrive/root.enc", $exported[0].Encrypted)
            & openssl pkeyutl -decrypt -inkey $pkg.Network.Kms.PrivateKeyPath -in "$TestDrive/root.enc" -out "$TestDrive/root.bin" `
                -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
            $LASTEXITCODE | Should -Be 0
            [Convert]::ToHexString([System.IO.File]::ReadAllBytes("$TestDrive/root.bin")) | Should -Be ([Convert]::ToHexString($second))
        }
    }

    It 'provisions over a socat serial pair, with the orw wrapper' -Skip:(-not (Get-Command socat -ErrorAction Ignore)) {
        $pair = New-TestSerialPair
        $sim = Start-TestNode -NodeId 0x3001 -PortName $pair.PortB -Options @{ Wrapper = 'orw' }
        $r = Invoke-NodeProvision -Device $pair.PortA -BaudRate 115200 -Batch 3000 -ConfigId 69 -Wrapper orw
        $r.Code | Should -Be 0 -Because $r.Message
        $r.Port | Should -Be $pair.PortA
        $sim.State.FirmwareSha256 | Should -Be $fw.Sha256
        [Convert]::ToHexString((Get-ExportedKey -Batch 3000).Key) | Should -Be ([Convert]::ToHexString((Get-SimKey $sim)))
    }

    Context 'over virtual serial pairs' -Skip:(-not (Get-Command socat -ErrorAction Ignore)) {
        It 're-provisions three ports in parallel with orw; the export holds each node once with the key it holds' {
            $pairs3 = 1..3 | ForEach-Object { New-TestSerialPair }
            $sims = for ($i = 0; $i -lt 3; $i++) { Start-TestNode -NodeId (0x3101 + $i) -PortName $pairs3[$i].PortB -Options @{ Wrapper = 'orw' } }
            $stations = $pairs3 | ForEach-Object { [pscustomobject]@{ Device = $_.PortA; Batch = '3100'; ConfigAlias = 'kite_170'; Wrapper = 'orw' } }

            $first = @($stations | Invoke-NodeProvision -ThrottleLimit 3)
            $first.Code | Should -Be @(0, 0, 0) -Because ($first.Message -join "`n")
            $firstKeys = @($sims | ForEach-Object { [Convert]::ToHexString((Get-SimKey $_)) })
            $again = @($stations | Invoke-NodeProvision -ThrottleLimit 3)
            $again.Code | Should -Be @(0, 0, 0) -Because ($again.Message -join "`n")
            $again.FirmwareUpdated | Should -Be @($false, $false, $false)
            $keys = @($sims | ForEach-Object { [Convert]::ToHexString((Get-SimKey $_)) })
            for ($i = 0; $i -lt 3; $i++) { $keys[$i] | Should -Not -Be $firstKeys[$i] }

            $exported = @(Get-ExportedKey -Batch 3100)
            $exported.NodeId | Should -Be @(0x3101, 0x3102, 0x3103)
            for ($i = 0; $i -lt 3; $i++) { [Convert]::ToHexString($exported[$i].Key) | Should -Be $keys[$i] }
            if (Get-Command openssl -ErrorAction Ignore) {
                [System.IO.File]::WriteAllBytes("$TestDrive/serial-root.enc", $exported[2].Encrypted)
                & openssl pkeyutl -decrypt -inkey $pkg.Network.Kms.PrivateKeyPath -in "$TestDrive/serial-root.enc" -out "$TestDrive/serial-root.bin" `
                    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
                $LASTEXITCODE | Should -Be 0
                [Convert]::ToHexString([System.IO.File]::ReadAllBytes("$TestDrive/serial-root.bin")) | Should -Be $keys[2]
            }
        }

        It 'still provisions when the line damages the node''s answers: damaged frames are dropped and the station sends again' {
            $pair = New-TestSerialPair
            $sim = Start-TestNode -NodeId 0x3401 -PortName $pair.PortB -Options @{ Wrapper = 'orw' } -Faults @{ CorruptEveryNthByte = 211 }
            $r = (Invoke-Station -With @{ Port = $pair.PortA; Batch = '3400'; ConfigId = '69'; Wrapper = 'orw' }).Results[0]
            $r.Code | Should -Be 0 -Because $r.Message
            $sim.BytesSent | Should -BeGreaterThan 400 -Because 'enough answers went out for several to be damaged'
            $sim.State.FirmwareSha256 | Should -Be (Get-FileHash $pkg.Input.NodeFirmware -Algorithm SHA256).Hash
            [Convert]::ToHexString((Get-ExportedKey -Batch 3400).Key) | Should -Be ([Convert]::ToHexString((Get-SimKey $sim)))
        }

        It 'gives 4 naming the baud rate and wrapper when the node answers in a form the station does not expect' {
            $pair = New-TestSerialPair
            $null = Start-TestNode -NodeId 0x3501 -PortName $pair.PortB -Options @{ Wrapper = 'none' }
            $r = (Invoke-Station -With @{ Port = $pair.PortA; Batch = '3500'; ConfigId = '69'; Wrapper = 'orw' }).Results[0]
            $r.Code | Should -Be 4
            $r.Message | Should -Match 'sent \d+ bytes but no intact answer'
            $r.Message | Should -Match 'baud rate and the transport wrapper'
        }

        It 'gives 4 when nothing is on the far end of the serial pair' {
            $pair = New-TestSerialPair
            $r = Invoke-Station -With @{ Port = $pair.PortA; Batch = '3200'; ConfigId = '69' }
            $r.Results[0].Code | Should -Be 4
            $r.Results[0].Message | Should -Match ([regex]::Escape($pair.PortA))
        }

        It 'stops (Ctrl+C) at any moment of a firmware transfer, 12 times: promptly, with no error but the stop, and the port free again' {
            $runspace = [runspacefactory]::CreateRunspace(); $runspace.Open()
            $ps = [powershell]::Create($runspace)
            $null = $ps.AddScript({ param($m) Import-Module $m }).AddArgument((Join-Path $RepoRoot 'Provisioning.psd1')).Invoke()
            $ps.Dispose()
            $failures = [System.Collections.Generic.List[string]]::new()
            try {
                foreach ($i in 0..11) {
                    $pair = New-TestSerialPair
                    $sim = Start-TestNode -NodeId (0x3400 + $i) -PortName $pair.PortB -Options @{ Pace = $true; BaudRate = 921600 }
                    $at = 1000 + $i * 5000
                    $ps = [powershell]::Create($runspace)
                    $null = $ps.AddCommand('Invoke-NodeProvision').AddParameter('Port', $pair.PortA).AddParameter('Batch', '3400').
                        AddParameter('ConfigId', '69').AddParameter('Server', $station).AddParameter('BaudRate', 921600)
                    $running = $ps.BeginInvoke()
                    $deadline = [Diagnostics.Stopwatch]::StartNew()
                    while ($sim.BytesReceived -lt $at -and -not $running.IsCompleted -and $deadline.Elapsed.TotalSeconds -lt 20) { [Threading.Thread]::Yield() | Out-Null }
                    $stopping = [Diagnostics.Stopwatch]::StartNew()
                    $ps.Stop()
                    if ($stopping.Elapsed.TotalSeconds -gt 5) { $failures.Add("$i stop took $($stopping.Elapsed.TotalSeconds) s") }
                    try { $null = $ps.EndInvoke($running) } catch [System.Management.Automation.PipelineStoppedException] { } catch { $failures.Add("$i ($at bytes): $($_.Exception.InnerException ?? $_.Exception)") }
                    foreach ($e in $ps.Streams.Error) { if ($e.FullyQualifiedErrorId -notmatch 'Stopped|Cancel') { $failures.Add("$i error: $e") } }
                    $ps.Dispose()
                    # The station's end of the cable is closed: it opens again at once.
                    try { $again = [Provisioning.Core.Transport.SerialNodeTransport]::Open($pair.PortA, 921600); $null = $again.DisposeAsync() }
                    catch { $failures.Add("$i port not free: $_") }
                    $null = $sim.StopAsync().GetAwaiter().GetResult()
                }
            }
            finally { $runspace.Dispose() }
            $failures | Should -BeNullOrEmpty
        }

        It 'gives 36 when the cable is pulled mid-firmware, and the next attempt resumes the firmware where it stopped' {
            $state = "$TestDrive/pulled-node.json"
            $pair = New-TestSerialPair
            $sim = Start-TestNode -NodeId 0x3301 -PortName $pair.PortB -Options @{ StatePath = $state } -Faults @{ DropLinkAfterBytes = 30000 }
            $r = (Invoke-Station -With @{ Port = $pair.PortA; Batch = '3300'; ConfigId = '69' }).Results[0]
            $r.Code | Should -Be 36 -Because $r.Message
            $r.Message | Should -Match 'while writing firmware 1\.2\.3\.4 at \d+ of 65536 bytes'
            @(Get-ExportedKey -Batch 3300 -IncludePending).Count | Should -Be 0
            $null = $sim.StopAsync().GetAwaiter().GetResult()

            # The cable is plugged back in: the same node (same flash) on a fresh line.
            $pair2 = New-TestSerialPair
            $back = Start-TestNode -NodeId 0x3301 -PortName $pair2.PortB -Options @{ StatePath = $state }
            $r2 = (Invoke-Station -With @{ Port = $pair2.PortA; Batch = '3300'; ConfigId = '69' }).Results[0]
            $r2.Code | Should -Be 0 -Because $r2.Message
            $r2.FirmwareUpdated | Should -BeTrue
            $back.BytesReceived | Should -BeLessThan 60000 -Because 'the node kept the part it had received, so only the rest was sent'
            (Get-ExportedKey -Batch 3300).NodeId | Should -Be 0x3301
        }
    }

    It 'shows progress per port: each step, and the firmware percentage as it is written' {
        # Paced at 460800 baud, the 64 KiB firmware takes about 1.4 s on each port, long enough for progress to move.
        $sims = @(Start-TestNode -NodeId 0x1101 -Options @{ Pace = $true; BaudRate = 460800 }
                  Start-TestNode -NodeId 0x1102 -Options @{ Pace = $true; BaudRate = 460800 })
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($module, $ports, $server)
                Import-Module $module
                $ports | Invoke-NodeProvision -Batch 1100 -ConfigId 69 -Server $server -ThrottleLimit 2
            }).AddArgument((Join-Path $RepoRoot 'Provisioning.psd1')).AddArgument(@($sims.Endpoint)).AddArgument($server)
            $results = $ps.Invoke()
            $progress = @($ps.Streams.Progress)
        }
        finally { $ps.Dispose() }
        @($results | Where-Object { $_.Result -eq 'Success' }).Count | Should -Be 2
        foreach ($sim in $sims) {
            $id = @($progress | Where-Object Activity -eq "Provisioning $($sim.Endpoint)")[0].ActivityId
            $mine = @($progress | Where-Object ActivityId -eq $id)
            $mine.Count | Should -BeGreaterThan 2 -Because "each port has its own progress bar ($($sim.Endpoint))"
            $firmware = @($mine | Where-Object { $_.CurrentOperation -match 'Firmware' -and $_.PercentComplete -ge 0 })
            $firmware.Count | Should -BeGreaterThan 1 -Because 'the firmware percentage moves while it is written'
            $firmware[-1].PercentComplete | Should -BeGreaterThan $firmware[0].PercentComplete
            $mine.CurrentOperation | Should -Contain 'WritingKeys' -Because 'the steps are named'
            $mine[-1].RecordType | Should -Be 'Completed'
        }
        # The overall bar above them counts finished devices.
        @($progress | Where-Object Activity -eq 'Provisioning nodes').StatusDescription | Should -Contain '2 of 2 devices done'
    }

    It 'provisions several ports in parallel up to -ThrottleLimit' {
        # Paced lines make each device take real link time, so running them side by side shows in the wall time.
        $sims = 1..4 | ForEach-Object { Start-TestNode -NodeId (0x4000 + $_) -FirmwareVersion '1.2.3.4' -Options @{ Pace = $true; BaudRate = 19200 } }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $results = @($sims.Endpoint | Invoke-NodeProvision -Batch 4000 -ConfigId 69 -ThrottleLimit 4)
        $clock.Stop()
        $results.Count | Should -Be 4
        $results.Code | ForEach-Object { $_ | Should -Be 0 }
        ($results.NodeId | Sort-Object) | Should -Be @(0x4001, 0x4002, 0x4003, 0x4004)
        $serial = ($results.Duration | Measure-Object TotalSeconds -Sum).Sum
        $clock.Elapsed.TotalSeconds | Should -BeLessThan (0.6 * $serial) -Because "4 devices took $serial s one by one"
        @(Get-ExportedKey -Batch 4000).Count | Should -Be 4
    }

    It 'takes its devices from Import-Csv stations.csv' {
        $a = Start-TestNode -NodeId 0x5001
        $b = Start-TestNode -NodeId 0x5002
        "Device,Batch,ConfigAlias,Wrapper`n$($a.Endpoint),5000,meter_69,none`n$($b.Endpoint),0x1388,kite_170," | Set-Content "$TestDrive/stations.csv"
        $results = @(Import-Csv "$TestDrive/stations.csv" | Invoke-NodeProvision -ThrottleLimit 2)
        $results.Count | Should -Be 2
        $results.Code | ForEach-Object { $_ | Should -Be 0 }
        $results.Batch | Should -Be @(5000, 5000)
        @(Get-ExportedKey -Batch 5000).NodeId | Should -Be @(0x5001, 0x5002)
    }

    It 'gives 4 when <Name>' -ForEach @(
        @{ Name = 'nothing listens on the TCP port'; Kind = 'tcp' }
        @{ Name = 'the serial port does not exist'; Kind = 'serial' }
        @{ Name = 'the device on the port never answers'; Kind = 'silent' }
    ) {
        $port = switch ($Kind) {
            'tcp' { "tcp://127.0.0.1:$(Get-FreeTcpPort)" }
            'serial' { '/dev/ttyNOPE0' }
            'silent' { (Start-TestNode -NodeId 0x6001 -Faults @{ Silent = $true }).Endpoint }
        }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $r = Invoke-Station -With @{ Port = $port; Batch = '1'; ConfigId = '69' }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        $r.Results[0].Code | Should -Be 4
        $r.Results[0].Message | Should -Match '^Unable to communicate with device under test: '
        $r.Results[0].Message | Should -Match ([regex]::Escape($port))
        $r.Errors[0].FullyQualifiedErrorId | Should -Match '^NoDevice,'
    }

    It 'says a serial device that is not there does not exist (still 4), rather than that access is denied' {
        $r = Invoke-Station -With @{ Port = '/dev/ttyUSB9'; Batch = '1'; ConfigId = '69' }
        $r.Results[0].Code | Should -Be 4
        $r.Results[0].Message | Should -Match "'/dev/ttyUSB9': it does not exist"
        $r.Results[0].Message | Should -Not -Match 'access is denied'
    }

    It 'gives 36 when the link drops mid-firmware, and records nothing for the node' {
        $sim = Start-TestNode -NodeId 0x7001 -Faults @{ DropLinkAfterBytes = 20000 }
        $r = (Invoke-Station -With @{ Port = $sim.Endpoint; Batch = '7000'; ConfigId = '69' }).Results[0]
        $r.Code | Should -Be 36
        $r.NodeId | Should -Be 0x7001
        $r.Message | Should -Match '^Message to node failed: '
        $r.Message | Should -Match 'while writing firmware 1\.2\.3\.4 at \d+ of 65536 bytes'
        $r.Message | Should -Match 'check the cable'
        Get-SimKey $sim | Should -BeNullOrEmpty
        @(Get-ExportedKey -Batch 7000 -IncludePending).Count | Should -Be 0
    }

    It 'gives 38 when the key check values do not match, and leaves the record pending' {
        $sim = Start-TestNode -NodeId 0x7101 -Faults @{ FailKeyVerification = $true }
        $r = Invoke-Station -With @{ Port = $sim.Endpoint; Batch = '7100'; ConfigId = '69' }
        $r.Results[0].Code | Should -Be 38
        $r.Results[0].Message | Should -Match '^Verification of node provisioning failed: '
        $r.Results[0].Message | Should -Match 'stays pending'
        $r.Errors[0].FullyQualifiedErrorId | Should -Match '^VerifyFailed,'
        $sim.State.Locks | Should -Be 'None'
        @(Get-ExportedKey -Batch 7100).Count | Should -Be 0
        $pending = @(Get-ExportedKey -Batch 7100 -IncludePending)
        $pending.Status | Should -Be 'pending'
        [Convert]::ToHexString($pending[0].Key) | Should -Be ([Convert]::ToHexString((Get-SimKey $sim)))
    }

    It 'gives <Code> when <Name>' -ForEach @(
        @{ Name = 'the node speaks another protocol version'; Code = 39; Options = @{ ProtocolVersion = [byte]2 }; Text = 'speaks node protocol version 2' }
        @{ Name = 'the calibration record is missing'; Code = 41; Options = @{ Calibration = 'Missing' }; Text = 'calibration record as missing' }
        @{ Name = 'the config does not fit the node'; Code = 42; Options = @{ ConfigCapacity = [uint32]100 }; Text = 'holds at most 100' }
        @{ Name = 'the node is of another node type'; Code = 43; Options = @{ NodeType = 'DNODE' }; Text = "is for node type 'UNODE', but node 0x00007201 is a 'DNODE'" }
        @{ Name = 'the node rejects the firmware'; Code = 43; Faults = @{ RejectFirmware = $true }; Text = 'ImageRejected' }
    ) {
        $sim = Start-TestNode -NodeId 0x7201 -Options ($Options ?? @{}) -Faults ($Faults ?? @{})
        $r = (Invoke-Station -With @{ Port = $sim.Endpoint; Batch = '7200'; ConfigId = '69' }).Results[0]
        $r.Code | Should -Be $Code
        $r.Message | Should -Match ([regex]::Escape($Text))
        Get-SimKey $sim | Should -BeNullOrEmpty
    }

    It 'gives 44 for -FactoryConfig when the package has no factory configuration' {
        $in = New-TestPackageInput -Root "$TestDrive/nofactory" -Network $pkg.Network
        $in.Remove('NodeFactoryConfig'); $in.ConfigId = '900001'; $in.ConfigAlias = @('no_factory')
        $p = New-ProvPackage @in -Path "$TestDrive/nofactory.tar.gz"
        $null = Import-ProvPackage $p.Path -Passphrase $pkg.Passphrase -Server $server
        $sim = Start-TestNode -NodeId 0x7301
        $r = (Invoke-Station -With @{ Port = $sim.Endpoint; Batch = '7300'; ConfigAlias = 'no_factory'; FactoryConfig = $true }).Results[0]
        $r.Code | Should -Be 44
        $r.Message | Should -Match 'has no factory configuration'
        $sim.State.FirmwareWrites | Should -Be 0
    }

    It 'gives 37 when the node answers an error it should not (firmware larger than the node can hold)' {
        $in = New-TestPackageInput -Root "$TestDrive/bigfw" -Network $pkg.Network
        $in.NodeFirmware = New-TestFile "$TestDrive/bigfw/huge.bin" (5MB)
        $in.ConfigId = '900002'; $in.ConfigAlias = @('big_firmware')
        $p = New-ProvPackage @in -Path "$TestDrive/bigfw.tar.gz"
        $null = Import-ProvPackage $p.Path -Passphrase $pkg.Passphrase -Server $server
        $sim = Start-TestNode -NodeId 0x7351
        $r = (Invoke-Station -With @{ Port = $sim.Endpoint; Batch = '7350'; ConfigAlias = 'big_firmware' }).Results[0]
        $r.Code | Should -Be 37
        $r.Message | Should -Match '^Node returned unexpected error: '
        $r.Message | Should -Match 'ImageTooLarge'
        $r.Message | Should -Match 'while writing firmware'
    }

    It 'gives 40 when the node''s hardware type is not one the package supports' {
        if (-not (Get-Command New-ProvPackage).Parameters.ContainsKey('HardwareType')) {
            Set-ItResult -Skipped -Because 'New-ProvPackage has no -HardwareType yet (ConfigInfo.HardwareTypes comes from the package manifest)'
            return
        }
        $in = New-TestPackageInput -Root "$TestDrive/hw" -Network $pkg.Network
        $in.ConfigId = '900003'; $in.ConfigAlias = @('rev_c_only'); $in.HardwareType = @('rev-c')
        $p = New-ProvPackage @in -Path "$TestDrive/hw.tar.gz"
        $null = Import-ProvPackage $p.Path -Passphrase $pkg.Passphrase -Server $server
        $sim = Start-TestNode -NodeId 0x7361 -Options @{ HardwareType = 'rev-b' }
        $r = (Invoke-Station -With @{ Port = $sim.Endpoint; Batch = '7360'; ConfigAlias = 'rev_c_only' }).Results[0]
        $r.Code | Should -Be 40
        $r.Message | Should -Match "hardware type 'rev-b'"
    }

    It 'writes the factory configuration with -FactoryConfig, and leaves the node unlocked with -SkipLock, without keys with -SkipKeys' {
        $sim = Start-TestNode -NodeId 0x7401
        $r = Invoke-NodeProvision -Port $sim.Endpoint -Batch 7400 -ConfigId 69 -FactoryConfig -SkipKeys -SkipLock
        $r.Code | Should -Be 0
        $sim.State.FactoryConfigSha256 | Should -Be $config.Node.FactoryConfig.Sha256
        $sim.State.Locks | Should -Be 'None'
        $sim.State.KeyCheckValues.Count | Should -Be 0
        @(Get-ExportedKey -Batch 7400 -IncludePending).Count | Should -Be 0
    }

    It 'rewrites current firmware with -Force' {
        $sim = Start-TestNode -NodeId 0x7501 -FirmwareVersion '1.2.3.4'
        (Invoke-NodeProvision -Port $sim.Endpoint -Batch 7500 -ConfigId 69 -SkipKeys).FirmwareUpdated | Should -BeFalse
        (Invoke-NodeProvision -Port $sim.Endpoint -Batch 7500 -ConfigId 69 -SkipKeys -Force).FirmwareUpdated | Should -BeTrue
        $sim.State.FirmwareWrites | Should -Be 1
    }

    It 'keeps the other ports going when one device fails' {
        $good = Start-TestNode -NodeId 0x7601
        $silent = Start-TestNode -NodeId 0x7602 -Faults @{ Silent = $true }
        $reject = Start-TestNode -NodeId 0x7603 -Faults @{ RejectFirmware = $true }
        $r = $good.Endpoint, $silent.Endpoint, $reject.Endpoint | Invoke-Station -With @{ Batch = '7600'; ConfigId = '69'; ThrottleLimit = 3 }
        $byPort = @{}; foreach ($x in $r.Results) { $byPort[$x.Port] = $x.Code }
        $byPort[$good.Endpoint] | Should -Be 0
        $byPort[$silent.Endpoint] | Should -Be 4
        $byPort[$reject.Endpoint] | Should -Be 43
        $r.Errors.Count | Should -Be 2
        @(Get-ExportedKey -Batch 7600).NodeId | Should -Be @(0x7601)
    }

    It 'stops cleanly on Ctrl+C: the unfinished device is never confirmed' {
        $sim = Start-TestNode -NodeId 0x7701 -Options @{ Pace = $true; BaudRate = 115200 }
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$RepoRoot/Provisioning.psd1'; Invoke-NodeProvision -Port '$($sim.Endpoint)' -Batch 7700 -ConfigId 69 -Server '$($server.Uri)'")
            $handle = $ps.BeginInvoke()
            # Stop once the firmware transfer is well under way (65 KiB take about 6 s at 115200 baud).
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            # ByteCounts is a (Received, Sent) tuple; PowerShell sees its fields as Item1 and Item2.
            while ($sim.ByteCounts.Item1 -lt 20000 -and [DateTime]::UtcNow -lt $deadline -and -not $handle.IsCompleted) { $null = $handle.AsyncWaitHandle.WaitOne(50) }
            $sim.ByteCounts.Item1 | Should -BeGreaterOrEqual 20000
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $ps.Dispose() }
        $sim.State.FirmwareWrites | Should -Be 0
        Get-SimKey $sim | Should -BeNullOrEmpty
        @(Get-ExportedKey -Batch 7700 -IncludePending).Count | Should -Be 0
    }
}

Describe 'Invoke-NodeProvision on real lines: host buffers, noise and slow device servers' {
    BeforeAll {
        $script:fw = $config.Node.Firmware
        $script:lineSims = [System.Collections.Generic.List[object]]::new()
        # A node of the package's node type on a free TCP port, started as a user starts one.
        function script:Start-LineNode([hashtable] $With = @{}) {
            $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeType UNODE @With
            $lineSims.Add($sim)
            $sim
        }
    }
    AfterAll {
        $lineSims | Stop-ProvNodeSimulator -ErrorAction Ignore
    }

    It 'provisions a host that receives into the guide''s 512-byte buffer, every message within it' {
        # Behind orw the simulator is the guide's B.2.2 host: anything longer than 512 bytes is dropped unanswered.
        $sim = Start-LineNode @{ NodeId = 0x9001; Wrapper = 'orw'; MaxMessageSize = 512 }
        $r = (Invoke-Station -With @{ Port = $sim.Endpoint; Batch = '9000'; ConfigId = '69'; Wrapper = 'orw' }).Results[0]
        $r.Code | Should -Be 0 -Because $r.Message
        $sim.State.FirmwareSha256 | Should -Be $fw.Sha256
        $sim.MessagesTooLarge | Should -Be 0
    }

    It 'still gets through to a host whose buffer is smaller than -MaxMessageSize says, by sending smaller chunks' {
        $sim = Start-LineNode @{ NodeId = 0x9002; Wrapper = 'none'; MaxMessageSize = 512 }
        $r = (Invoke-Station -With @{ Port = $sim.Endpoint; Batch = '9000'; ConfigId = '69'; MaxMessageSize = 4200 }).Results[0]
        $r.Code | Should -Be 0 -Because $r.Message
        $sim.State.FirmwareSha256 | Should -Be $fw.Sha256
        $sim.MessagesTooLarge | Should -BeGreaterThan 0 -Because 'the first chunks did not fit'
    }

    It 'gives 36 naming -MaxMessageSize, and no advice to try again, when only small messages are answered' {
        $sim = Start-LineNode @{ NodeId = 0x9003; Wrapper = 'orw'; MaxMessageSize = 80 }
        $r = Invoke-Station -With @{ Port = $sim.Endpoint; Batch = '9000'; ConfigId = '69'; Wrapper = 'orw' }
        $r.Results[0].Code | Should -Be 36
        $r.Results[0].Message | Should -Match 'stopped confirming Firmware data at byte 0'
        $r.Results[0].Message | Should -Match 'host probably takes smaller messages'
        $r.Results[0].Message | Should -Match '-MaxMessageSize'
        $r.Results[0].Message | Should -Not -Match 'provision it again'
        $r.Errors[0].FullyQualifiedErrorId | Should -Match '^NodeMessageFailed,'
    }

    It 'provisions with <Wrapper> over a line flipping one bit in 10000 both ways (seed <Seed>)' -ForEach @(
        @{ Wrapper = 'orw'; Seed = 11 }
        @{ Wrapper = 'none'; Seed = 12 }
    ) {
        $sim = Start-LineNode @{ NodeId = 0x9010 + $Seed; Wrapper = $Wrapper; BitErrorRate = 1e-4; Seed = $Seed }
        $r = (Invoke-Station -With @{ Port = $sim.Endpoint; Batch = '9000'; ConfigId = '69'; Wrapper = $Wrapper }).Results[0]
        $r.Code | Should -Be 0 -Because $r.Message
        $sim.State.FirmwareSha256 | Should -Be $fw.Sha256
        $sim.NoiseSeed | Should -Be $Seed
        # The keys arrived intact too: the node reports the key check values of the keys the server recorded.
        $sim.State.KeyCheckValues.Count | Should -Be 3
    }

    It 'provisions through the guide''s B.2.2 host code, receiving into 512 bytes, in front of the node' -Skip:(-not ((Get-Command gcc -ErrorAction Ignore) -and (Get-Command socat -ErrorAction Ignore))) {
        # src/host/orw/orw_host.c, compiled as a device maker would, relays between the station's line (orw) and the node
        # in the relay program (src/host/relay), here on socat's stdin/stdout.
        $exe = Join-Path $TestDrive 'relay_orw'
        & gcc -std=c99 -Wall -Wextra -Werror -pedantic -O2 -DRELAY_WRAPPER=host_wrapper_orw -o $exe "$RepoRoot/src/host/relay/relay.c" "$RepoRoot/src/host/orw/orw_host.c"
        $LASTEXITCODE | Should -Be 0
        $node = Start-LineNode @{ NodeId = 0x9030 }
        $nodePort = ([uri]$node.Endpoint).Port
        $port = Get-FreeTcpPort
        # socat says when it listens (-d -d); the test waits for that line rather than probing the port.
        $start = [System.Diagnostics.ProcessStartInfo]::new('socat')
        foreach ($a in '-d', '-d', "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork", "EXEC:$exe - 127.0.0.1 $nodePort") { $start.ArgumentList.Add($a) }
        $start.RedirectStandardError = $true
        $socat = [System.Diagnostics.Process]::Start($start)
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            do {
                $line = $socat.StandardError.ReadLineAsync()
                if (-not $line.Wait([int][math]::Max(0, ($deadline - [DateTime]::UtcNow).TotalMilliseconds)) -or $null -eq $line.Result) {
                    throw "socat did not start listening on port $port within 10 s."
                }
            } until ($line.Result -match 'listening on')
            # Keep its log drained so a chatty socat never blocks on a full pipe.
            $null = $socat.StandardError.ReadToEndAsync()
            $r = (Invoke-Station -With @{ Port = "tcp://127.0.0.1:$port"; Batch = '9000'; ConfigId = '69'; Wrapper = 'orw' }).Results[0]
            $r.Code | Should -Be 0 -Because $r.Message
            $node.State.FirmwareSha256 | Should -Be $fw.Sha256
            # A station told the host takes more still gets through: the host loses what does not fit, chunks shrink.
            $r = (Invoke-Station -With @{ Port = "tcp://127.0.0.1:$port"; Batch = '9000'; ConfigId = '69'; Wrapper = 'orw'; MaxMessageSize = 4200; Force = $true; SkipKeys = $true }).Results[0]
            $r.Code | Should -Be 0 -Because $r.Message
            $node.State.FirmwareWrites | Should -Be 2
        }
        finally { Stop-Process -Id $socat.Id -ErrorAction Ignore }
    }

    It 'provisions a 1200 baud device behind tcp:// with -BaudRate 1200' {
        # The firmware is current, so the 512-byte configuration and the keys go over the slow line.
        $sim = Start-LineNode @{ NodeId = 0x9020; FirmwareVersion = '1.2.3.4'; Pace = $true; BaudRate = 1200 }
        $r = (Invoke-Station -With @{ Port = $sim.Endpoint; Batch = '9000'; ConfigId = '69'; BaudRate = 1200 }).Results[0]
        $r.Code | Should -Be 0 -Because $r.Message
        $sim.State.FieldConfigSha256 | Should -Be $config.Node.FieldConfig.Sha256
        # At 1200 baud the line alone takes seconds: this was paced, not a fast link.
        $r.Duration.TotalSeconds | Should -BeGreaterThan ($sim.BytesReceived * 10 / 1200 * 0.9)
    }
}
