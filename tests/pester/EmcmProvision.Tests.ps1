# Invoke-EmcmProvision (single-stage eMCM provisioning, guide D.2.1) as a station operator drives it: a real server,
# packages with an eMCM app bundle imported through the cmdlets, and meters simulated by Start-ProvEmcmSimulator (a node
# behind an eMCM on one line) over TCP and over socat serial pairs.
BeforeAll {
    . "$PSScriptRoot/EmcmStationTestHelpers.ps1"
    . "$PSScriptRoot/NodeSimulatorHelpers.ps1"
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server"
    $script:pkg = New-EmcmTestPackage -Root "$TestDrive/pkg"
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $script:token = New-ProvStationToken -Name 'emcm line'
    $script:station = Connect-ProvServer -Uri $server.Uri -Token $token.Token -PassThru
    # Nothing listens here: a flow that opened the port would fail with 4, so 75/76/3 show that it never did.
    $script:unusedPort = "tcp://127.0.0.1:$(Get-FreeTcpPort)"
    $script:meters = [System.Collections.Generic.List[object]]::new()
    $script:nextNode = 0x500

    # A meter on a TCP port: a node behind an eMCM, both at old firmware, with an eMCM ID ending in the node ID.
    function script:Start-TestMeter([hashtable] $With = @{}) {
        $script:nextNode++
        $arguments = @{ Listen = 'tcp://127.0.0.1:0'; NodeId = $nextNode; NodeType = 'UNODE'; Wrapper = 'orw'
                        EmcmId = ('00AB12CD{0:X8}' -f $nextNode); EmcmFirmwareVersion = '5.0.0.0' }
        foreach ($k in $With.Keys) { $arguments[$k] = $With[$k] }
        $meter = Start-ProvEmcmSimulator @arguments
        $meters.Add($meter)
        $meter
    }

    function script:Invoke-Provision([hashtable] $With) {
        $arguments = @{ Batch = '1000'; ConfigId = '69' }
        foreach ($k in $With.Keys) { $arguments[$k] = $With[$k] }
        Invoke-TestEmcmStation -Command Invoke-EmcmProvision -With $arguments
    }
}
AfterAll {
    foreach ($m in $meters) { $m | Stop-ProvNodeSimulator -ErrorAction Ignore }
    Stop-TestServer $server
}

Describe 'Invoke-EmcmProvision with bad input' {
    It 'gives 75 before the port is touched when the config has no eMCM app bundle' {
        $p = New-EmcmTestPackage -Root "$TestDrive/noapp" -ConfigId 7501 -ConfigAlias 'no_emcm' -Network $pkg.Network -Without App
        $null = Import-ProvPackage $p.Path -Passphrase $p.Passphrase -Server $server
        $r = Invoke-Provision @{ Port = $unusedPort; ConfigId = '7501' }
        [int]$r.Results[0].ExitCode | Should -Be 75
        $r.Results[0].Operation | Should -Be 'Provision'
        $r.Results[0].Message | Should -Match "^Host \(e\.g\., eMCM\) firmware from prov\. server unavailable"
        $r.Results[0].Message | Should -Match "no app bundle 'emcm'"
        # Table 5's corrective action 3/5/10.
        $r.Results[0].Message | Should -Match 'config ID or alias is right and the current package \(with the host''s app bundle\) is imported'
        $r.Results[0].ConfigId | Should -Be 7501
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'HostFirmwareUnavailable,Provisioning.PowerShell.InvokeEmcmProvisionCommand'
    }

    It 'gives 76 before the port is touched when the bundle lacks <Part>' -ForEach @(
        @{ Part = 'FieldConfig'; Text = 'has no field configuration' }
        @{ Part = 'PublicKey'; Text = 'has no public key' }
    ) {
        $id = 7600 + $Part.Length
        $p = New-EmcmTestPackage -Root "$TestDrive/no$Part" -ConfigId $id -ConfigAlias "no_$Part" -Network $pkg.Network -Without $Part
        $null = Import-ProvPackage $p.Path -Passphrase $p.Passphrase -Server $server
        $r = Invoke-Provision @{ Port = $unusedPort; ConfigId = "$id" }
        [int]$r.Results[0].ExitCode | Should -Be 76
        $r.Results[0].Message | Should -Match '^Host \(e\.g\., eMCM\) configuration from prov\. server unavailable or invalid: '
        $r.Results[0].Message | Should -Match $Text
        $r.Results[0].Message | Should -Match 'is imported on the server'
    }

    It 'gives 75 when the bundle has no firmware' {
        $p = New-EmcmTestPackage -Root "$TestDrive/nofw" -ConfigId 7502 -ConfigAlias 'no_emcm_fw' -Network $pkg.Network -Without Firmware
        $null = Import-ProvPackage $p.Path -Passphrase $p.Passphrase -Server $server
        $r = Invoke-Provision @{ Port = $unusedPort; ConfigId = '7502' }
        [int]$r.Results[0].ExitCode | Should -Be 75
        $r.Results[0].Message | Should -Match 'has no firmware'
    }

    It 'gives 3 for a partial MCM ID that is not 8 hex digits: <Id>' -ForEach @(@{ Id = '1234567' }, @{ Id = '12345678A' }, @{ Id = 'XYZ45678' }) {
        $r = Invoke-Provision @{ Port = $unusedPort; PartialMcmId = $Id }
        [int]$r.Results[0].ExitCode | Should -Be 3
        $r.Results[0].Message | Should -Match "partial MCM ID '$Id' is not 8 hex digits"
    }

    It 'gives 3 for the none wrapper, which cannot carry eMCM messages' {
        $r = Invoke-Provision @{ Port = $unusedPort; Wrapper = 'none' }
        [int]$r.Results[0].ExitCode | Should -Be 3
        $r.Results[0].Message | Should -Match "wrapper 'none' carries node messages only"
        $r.Results[0].Message | Should -Match '-Wrapper orw, reliable or opt_psem'
    }

    It 'gives 3 for each row of a CSV with bad arguments, and one result per row' {
        $rows = @(
            [pscustomobject]@{ Port = 'tcp://127.0.0.1:1'; Batch = '1'; ConfigId = '69'; PartialMcmId = 'nothex!!' }
            [pscustomobject]@{ Port = 'tcp://127.0.0.1:2'; Batch = '0x1_'; ConfigId = '69'; PartialMcmId = '0000ABCD' }
        )
        $r = $rows | Invoke-TestEmcmStation -Command Invoke-EmcmProvision
        $r.Results.Count | Should -Be 2
        $r.Results.ExitCode | ForEach-Object { [int]$_ | Should -Be 3 }
        $r.Errors.Count | Should -Be 2
    }

    It 'does nothing with -WhatIf' {
        $r = Invoke-Provision @{ Port = $unusedPort; WhatIf = $true }
        $r.Results.Count | Should -Be 0
        $r.Errors.Count | Should -Be 0
    }
}

Describe 'Invoke-EmcmProvision on a meter' {
    It 'provisions node and eMCM, and the export holds both keys as the simulators hold them' {
        $m = Start-TestMeter
        $r = Invoke-Provision @{ Port = $m.Endpoint; Batch = '1100'; PartialMcmId = $m.EmcmState.EmcmId.Substring(8) }
        $r.Errors | Should -BeNullOrEmpty
        $res = $r.Results[0]
        [int]$res.ExitCode | Should -Be 0 -Because $res.Message
        $res.NodeId | Should -Be $m.State.NodeId
        $res.EmcmId | Should -Be $m.EmcmState.EmcmId
        $res.NodeFirmwareUpdated | Should -BeTrue
        $res.EmcmFirmwareUpdated | Should -BeTrue
        $res.Message | Should -Match 'eMCM field config written'
        $res.Message | Should -Match 'stage PostTest recorded'

        $m.EmcmState.FirmwareVersion | Should -Be '5.6.7.8'
        "$($m.EmcmState.ActiveConfig)" | Should -Be 'Field'
        "$($m.EmcmState.Stage)" | Should -Be 'PostTest'
        $m.EmcmState.Locked | Should -BeTrue

        $export = @(Read-TestEmcmExport -Server $server -Package $pkg -ConfigId 69 -Batch 1100 -Path "$TestDrive/single.xml")
        $export.Count | Should -Be 1
        $export[0].NodeId | Should -Be $m.State.NodeId
        $export[0].RootKeyHex | Should -Be ([Convert]::ToHexString($m.ReadKey('Root')))
        $export[0].Apps['emcm'].Id | Should -Be $m.EmcmState.EmcmId
        $export[0].Apps['emcm'].KeyHex | Should -Be ([Convert]::ToHexString($m.ReadEmcmKey()))
    }

    It 'is safe to repeat: the second run writes no firmware and the export follows the new keys' {
        $m = Start-TestMeter
        $first = Invoke-Provision @{ Port = $m.Endpoint; Batch = '1200' }
        [int]$first.Results[0].ExitCode | Should -Be 0 -Because $first.Results[0].Message
        $firstKey = [Convert]::ToHexString($m.ReadEmcmKey())
        $second = Invoke-Provision @{ Port = $m.Endpoint; Batch = '1200' }
        [int]$second.Results[0].ExitCode | Should -Be 0 -Because $second.Results[0].Message
        $second.Results[0].NodeFirmwareUpdated | Should -BeFalse
        $second.Results[0].EmcmFirmwareUpdated | Should -BeFalse
        $second.Results[0].Message | Should -Match 'eMCM field config already current'
        [Convert]::ToHexString($m.ReadEmcmKey()) | Should -Not -Be $firstKey
        $export = @(Read-TestEmcmExport -Server $server -Package $pkg -ConfigId 69 -Batch 1200 -Path "$TestDrive/repeat.xml")
        $export[0].RootKeyHex | Should -Be ([Convert]::ToHexString($m.ReadKey('Root')))
        $export[0].Apps['emcm'].KeyHex | Should -Be ([Convert]::ToHexString($m.ReadEmcmKey()))
    }

    It 'with -FactoryConfig -SkipKeys -SkipLock writes factory configs, records nothing and leaves both unlocked' {
        $m = Start-TestMeter
        $r = Invoke-Provision @{ Port = $m.Endpoint; Batch = '1300'; FactoryConfig = $true; SkipKeys = $true; SkipLock = $true }
        [int]$r.Results[0].ExitCode | Should -Be 0 -Because $r.Results[0].Message
        "$($m.EmcmState.ActiveConfig)" | Should -Be 'Factory'
        $m.EmcmState.Locked | Should -BeFalse
        $m.ReadEmcmKey() | Should -BeNullOrEmpty
        $r.Results[0].Message | Should -Match 'keys skipped'
        @(Get-ProvDevice -NodeId $m.State.NodeId -Server $server -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'gives 3 naming both IDs when the eMCM ID does not end in -PartialMcmId, and writes nothing' {
        $m = Start-TestMeter
        $r = Invoke-Provision @{ Port = $m.Endpoint; PartialMcmId = 'DEADBEEF' }
        [int]$r.Results[0].ExitCode | Should -Be 3
        $r.Results[0].Message | Should -Match ([regex]::Escape($m.EmcmState.EmcmId))
        $r.Results[0].Message | Should -Match 'DEADBEEF'
        $r.Results[0].Message | Should -Match 'nothing was written'
        $m.EmcmState.FirmwareVersion | Should -Be '5.0.0.0'
        $m.State.FirmwareVersion | Should -Be '1.0.0'
    }

    It 'gives <Code> when the eMCM simulator has the fault <Fault>' -ForEach @(
        @{ Fault = 'NoAnswer'; Code = 68; Text = 'cable is plugged in, the port is the right one and the device is powered' }
        @{ Fault = 'HostError'; Code = 69; Text = 'Keep the station log' }
        @{ Fault = 'KeyVerificationFails'; Code = 70; Text = 'stays pending on the server' }
        @{ Fault = 'HardwareFails'; Code = 72; Text = 'Keep the station log' }
    ) {
        $m = Start-TestMeter @{ Fault = $Fault }
        $r = Invoke-Provision @{ Port = $m.Endpoint; Batch = '1400' }
        [int]$r.Results[0].ExitCode | Should -Be $Code -Because $r.Results[0].Message
        $r.Results[0].Message | Should -Match ([regex]::Escape($Text))
        $r.Errors[0].TargetObject.ExitCode | Should -Be $Code
    }

    It 'leaves the node without a root key and the record pending when the eMCM key does not verify (70)' {
        $m = Start-TestMeter @{ Fault = 'KeyVerificationFails' }
        $r = Invoke-Provision @{ Port = $m.Endpoint; Batch = '1500' }
        [int]$r.Results[0].ExitCode | Should -Be 70
        $m.ReadKey('Root') | Should -BeNullOrEmpty
        @(Read-TestEmcmExport -Server $server -Package $pkg -ConfigId 69 -Batch 1500 -Path "$TestDrive/70.xml").Count | Should -Be 0
    }
}

Describe 'Invoke-EmcmProvision over a serial pair' -Skip:(-not (Get-Command socat -ErrorAction Ignore)) {
    It 'provisions a meter on a socat pair with the reliable wrapper' {
        $pair = New-ProvVirtualSerialPair -Path "$TestDrive/ports"
        try {
            $m = Start-ProvEmcmSimulator -PortName $pair.PortB -NodeId 0x600 -NodeType UNODE -Wrapper reliable -EmcmId 00AB12CD00000600
            $meters.Add($m)
            $r = Invoke-Provision @{ Port = $pair.PortA; Wrapper = 'reliable'; Batch = '1600' }
            [int]$r.Results[0].ExitCode | Should -Be 0 -Because $r.Results[0].Message
            $export = @(Read-TestEmcmExport -Server $server -Package $pkg -ConfigId 69 -Batch 1600 -Path "$TestDrive/serial.xml")
            $export[0].Apps['emcm'].KeyHex | Should -Be ([Convert]::ToHexString($m.ReadEmcmKey()))
        }
        finally { $pair | Remove-ProvVirtualSerialPair }
    }
}

Describe 'Invoke-EmcmProvision keeps keys out of what it writes' {
    It 'writes no node, eMCM, gateway or CDLD key to the log, the results, the errors or the verbose and debug streams' {
        $good = Start-TestMeter
        $bad = Start-TestMeter @{ Fault = 'KeyVerificationFails' }
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
            param($root, $uri, $token, $ports, $logs)
            Import-Module "$root/Provisioning.psd1"
            $DebugPreference = 'Continue'
            $station = Connect-ProvServer -Uri $uri -Token $token -PassThru
            $ports | Invoke-EmcmProvision -ConfigId 69 -Batch 1700 -Server $station -LogPath $logs -Verbose -ErrorAction Continue | Format-List * | Out-String
            $Error | ForEach-Object { $_ | Format-List * -Force | Out-String; $_.Exception | Format-List * -Force | Out-String }
        }).AddArgument($RepoRoot).AddArgument($server.Uri.AbsoluteUri).AddArgument($token.Token).AddArgument(@($good.Endpoint, $bad.Endpoint)).AddArgument("$TestDrive/emcm-logs/")
        $text = ($ps.Invoke() | Out-String) + ($ps.Streams.Verbose + $ps.Streams.Debug + $ps.Streams.Error | Out-String)
        $ps.Dispose()
        $text += Get-ChildItem "$TestDrive/emcm-logs" -File | Get-Content -Raw | Out-String
        $text | Should -Match 'Result 0 \(Success\)'
        $text | Should -Match 'Result 70 \(HostVerifyFailed\)'

        # Kept as whole arrays (a pipeline would unroll them into bytes).
        $secrets = [System.Collections.Generic.List[byte[]]]::new()
        foreach ($m in $good, $bad) {
            foreach ($key in $m.ReadKey('Root'), $m.ReadEmcmKey(), $m.ReadKey('Gateway'), $m.ReadKey('Cdld')) { if ($key) { $secrets.Add($key) } }
        }
        # The good meter holds all four; the one whose eMCM key did not verify holds only that key.
        $secrets.Count | Should -Be 5
        foreach ($key in $secrets) {
            $hex = [Convert]::ToHexString($key)
            $text | Should -Not -Match $hex
            $text | Should -Not -Match $hex.ToLowerInvariant()
            $text.Contains([Convert]::ToBase64String($key)) | Should -BeFalse
        }
    }
}
