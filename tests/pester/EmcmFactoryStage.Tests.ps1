# Invoke-EmcmFactoryStage (multi-stage eMCM provisioning, guide D.2.2: PRETEST, CHECKCONFIG, POSTTEST) as a meter line
# drives it: a real server, a package with an eMCM app bundle whose factory configurations name the factory network, a
# gateway simulator on its control port with simulated nodes joining it over the radio, and meters simulated by
# Start-ProvEmcmSimulator. A stage killed midway runs in a child PowerShell process that is killed for real.
BeforeAll {
    . "$PSScriptRoot/EmcmStationTestHelpers.ps1"
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server"
    $script:pkg = New-EmcmTestPackage -Root "$TestDrive/pkg" -NetworkId 'factory'
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $script:token = New-ProvStationToken -Name 'emcm factory line'
    $script:station = Connect-ProvServer -Uri $server.Uri -Token $token.Token -PassThru
    $script:unusedPort = "tcp://127.0.0.1:$(Get-FreeTcpPort)"
    $script:started = [System.Collections.Generic.List[object]]::new()
    $script:nextNode = 0x700

    function script:Start-TestGateway([hashtable] $With = @{}) {
        $arguments = @{ ControlPort = 0; NetworkId = 'factory'; JoinDelay = 0.3 }
        foreach ($k in $With.Keys) { $arguments[$k] = $With[$k] }
        $gw = Start-ProvGatewaySimulator @arguments
        $started.Add($gw)
        $gw
    }
    $script:gateway = Start-TestGateway

    # A meter in range of -Gateway: a node behind an eMCM on one TCP port, both at old firmware.
    function script:Start-TestMeter([hashtable] $With = @{}, $Gateway = $script:gateway) {
        $script:nextNode++
        $arguments = @{ Listen = 'tcp://127.0.0.1:0'; NodeId = $nextNode; NodeType = 'UNODE'; Wrapper = 'orw'
                        EmcmId = ('00CD34EF{0:X8}' -f $nextNode); EmcmFirmwareVersion = '5.0.0.0'; Gateway = $Gateway.RadioEndpoint }
        foreach ($k in $With.Keys) { $arguments[$k] = $With[$k] }
        $meter = Start-ProvEmcmSimulator @arguments
        $started.Add($meter)
        $meter
    }

    function script:Invoke-Stage([string] $Stage, [hashtable] $With, $Gateway = $script:gateway) {
        $arguments = @{ Stage = $Stage; Batch = '2000'; ConfigId = '69'; Gateway = '127.0.0.1'; ControlPort = $Gateway.ControlPort; Timeout = 30 }
        foreach ($k in $With.Keys) { $arguments[$k] = $With[$k] }
        Invoke-TestEmcmStation -Command Invoke-EmcmFactoryStage -With $arguments
    }

    function script:Assert-Passed($Run) {
        $Run.Errors | Should -BeNullOrEmpty
        [int]$Run.Results[0].ExitCode | Should -Be 0 -Because $Run.Results[0].Message
    }

    # The meter's keys as the KMS and the head end read them from the export are the ones the simulators hold.
    function script:Assert-ExportHoldsKeys($Meter, [uint32] $Batch, [string] $Name, [switch] $IncludePending) {
        $export = @(Read-TestEmcmExport -Server $server -Package $pkg -ConfigId 69 -Batch $Batch -Path "$TestDrive/$Name.xml" -IncludePending:$IncludePending |
            Where-Object NodeId -eq $Meter.State.NodeId)
        $export.Count | Should -Be 1
        $export[0].RootKeyHex | Should -Be ([Convert]::ToHexString($Meter.ReadKey('Root')))
        $export[0].Apps['emcm'].Id | Should -Be $Meter.EmcmState.EmcmId
        $export[0].Apps['emcm'].KeyHex | Should -Be ([Convert]::ToHexString($Meter.ReadEmcmKey()))
    }
}
AfterAll {
    foreach ($o in $started) {
        if ($o -is [Provisioning.Core.Gateway.Simulator.GatewaySimulator]) { $o | Stop-ProvGatewaySimulator -ErrorAction Ignore }
        else { $o | Stop-ProvNodeSimulator -ErrorAction Ignore }
    }
    Stop-TestServer $server
}

Describe 'Invoke-EmcmFactoryStage: PRETEST, CHECKCONFIG, POSTTEST on one meter' {
    BeforeAll { $script:m = Start-TestMeter }

    It 'PreTest writes firmware and factory configs, clears the node on the gateway and puts the eMCM in quiet mode' {
        $run = Invoke-Stage PreTest @{ Port = $m.Endpoint; PartialMcmId = $m.EmcmState.EmcmId.Substring(8) }
        Assert-Passed $run
        $r = $run.Results[0]
        $r.Operation | Should -Be 'PreTest'
        $r.NodeFirmwareUpdated | Should -BeTrue
        $r.EmcmFirmwareUpdated | Should -BeTrue
        $r.Message | Should -Match 'node cleared on the gateway'
        "$($m.EmcmState.Stage)" | Should -Be 'PreTest'
        "$($m.EmcmState.ActiveConfig)" | Should -Be 'Factory'
        $m.EmcmState.Quiet | Should -BeTrue
        "$($m.State.ActiveConfig)" | Should -Be 'FactoryConfig'
        # The node, restarted on its factory configuration, joins the factory network.
        Wait-TestCondition { "$($gateway.GetNodeStatus($m.State.NodeId).State)" -eq 'Joined' } -Because 'the node to join the gateway'
        $m.ReadEmcmKey() | Should -BeNullOrEmpty
    }

    It 'CheckConfig finds the PRETEST and changes nothing' {
        $before = $m.EmcmState
        $run = Invoke-Stage CheckConfig @{ Port = $m.Endpoint }
        Assert-Passed $run
        $run.Results[0].Message | Should -Match 'PRETEST of this config found'
        $m.EmcmState.FirmwareVersion | Should -Be $before.FirmwareVersion
        "$($m.EmcmState.Stage)" | Should -Be 'PreTest'
    }

    It 'PostTest checks the join, writes field configs and keys, takes the eMCM out of quiet mode and locks both' {
        $run = Invoke-Stage PostTest @{ Port = $m.Endpoint; Batch = '2100' }
        Assert-Passed $run
        $r = $run.Results[0]
        $r.Message | Should -Match "joined the factory network 'factory'"
        $r.Message | Should -Match 'node and eMCM keys written and verified'
        "$($m.EmcmState.Stage)" | Should -Be 'PostTest'
        "$($m.EmcmState.ActiveConfig)" | Should -Be 'Field'
        $m.EmcmState.Quiet | Should -BeFalse
        $m.EmcmState.Locked | Should -BeTrue
        "$($m.State.ActiveConfig)" | Should -Be 'FieldConfig'
        Assert-ExportHoldsKeys $m 2100 'posttest'
    }

    It 'each stage is safe to repeat: PreTest and PostTest again pass, writing no firmware, and the export follows the new keys' {
        $again = Invoke-Stage PreTest @{ Port = $m.Endpoint }
        Assert-Passed $again
        $again.Results[0].NodeFirmwareUpdated | Should -BeFalse
        $again.Results[0].EmcmFirmwareUpdated | Should -BeFalse
        "$($m.EmcmState.Stage)" | Should -Be 'PreTest'
        $post1 = Invoke-Stage PostTest @{ Port = $m.Endpoint; Batch = '2200' }
        Assert-Passed $post1
        $key1 = [Convert]::ToHexString($m.ReadEmcmKey())
        $post2 = Invoke-Stage PostTest @{ Port = $m.Endpoint; Batch = '2200' }
        Assert-Passed $post2
        [Convert]::ToHexString($m.ReadEmcmKey()) | Should -Not -Be $key1
        Assert-ExportHoldsKeys $m 2200 'repeat'
    }
}

Describe 'Invoke-EmcmFactoryStage stage order' {
    It '<Stage> on a meter that never passed PRETEST says so (70) and writes nothing' -ForEach @(@{ Stage = 'CheckConfig' }, @{ Stage = 'PostTest' }) {
        $m = Start-TestMeter
        $run = Invoke-Stage $Stage @{ Port = $m.Endpoint }
        [int]$run.Results[0].ExitCode | Should -Be 70
        $run.Results[0].Message | Should -Match 'PRETEST has not run'
        $run.Results[0].Message | Should -Match '-Stage PreTest'
        $m.EmcmState.FirmwareVersion | Should -Be '5.0.0.0'
        $m.ReadEmcmKey() | Should -BeNullOrEmpty
    }

    It 'gives 3 naming both IDs when the eMCM ID does not end in -PartialMcmId' {
        $m = Start-TestMeter
        $run = Invoke-Stage PreTest @{ Port = $m.Endpoint; PartialMcmId = '0BADF00D' }
        [int]$run.Results[0].ExitCode | Should -Be 3
        $run.Results[0].Message | Should -Match ([regex]::Escape($m.EmcmState.EmcmId))
        $run.Results[0].Message | Should -Match '0BADF00D'
        $m.EmcmState.FirmwareVersion | Should -Be '5.0.0.0'
    }

    It 'gives 75 before the port is touched for a config without the eMCM bundle, in every stage' {
        $p = New-EmcmTestPackage -Root "$TestDrive/noapp" -ConfigId 7511 -ConfigAlias 'no_emcm_stage' -Network $pkg.Network -Without App
        $null = Import-ProvPackage $p.Path -Passphrase $p.Passphrase -Server $server
        foreach ($stage in 'PreTest', 'CheckConfig', 'PostTest') {
            $run = Invoke-Stage $stage @{ Port = $unusedPort; ConfigId = '7511' }
            [int]$run.Results[0].ExitCode | Should -Be 75 -Because "$stage $($run.Results[0].Message)"
            $run.Results[0].Operation | Should -Be $stage
        }
    }
}

Describe 'Invoke-EmcmFactoryStage gateway codes' {
    It 'gives 132 before the port is touched when nothing answers on the control port' {
        $run = Invoke-TestEmcmStation -Command Invoke-EmcmFactoryStage -With @{ Stage = 'PreTest'; Port = $unusedPort; Batch = '1'; ConfigId = '69'; Gateway = '127.0.0.1'; ControlPort = (Get-FreeTcpPort) }
        [int]$run.Results[0].ExitCode | Should -Be 132
        $run.Results[0].Message | Should -Match '^Gateway unreachable: '
        $run.Results[0].Message | Should -Match 'Check that the gateway is running and reachable'
        $run.Errors[0].FullyQualifiedErrorId | Should -Match '^GatewayUnreachable,'
    }

    It 'gives 141 before the port is touched when the gateway CA certificate file is missing' {
        $run = Invoke-Stage PreTest @{ Port = $unusedPort; GatewayTls = $true; GatewayCaCertificate = "$TestDrive/missing-ca.pem" }
        [int]$run.Results[0].ExitCode | Should -Be 141
        $run.Results[0].Message | Should -Match 'missing-ca\.pem'
    }

    It 'gives 133 when the gateway answers errors, with the firmware untouched' {
        $bad = Start-TestGateway @{ Fault = 'ErrorAnswers' }
        $m = Start-TestMeter -Gateway $bad
        $run = Invoke-Stage PreTest @{ Port = $m.Endpoint } -Gateway $bad
        [int]$run.Results[0].ExitCode | Should -Be 133
        $run.Results[0].Message | Should -Match '^Gateway returned unexpected error: '
        $m.EmcmState.FirmwareVersion | Should -Be '5.0.0.0'
    }

    It 'gives 134 only once -Timeout has passed when the node never joins, and records no key' {
        $never = Start-TestGateway @{ Fault = 'NeverJoin' }
        $m = Start-TestMeter -Gateway $never
        Assert-Passed (Invoke-Stage PreTest @{ Port = $m.Endpoint } -Gateway $never)
        $run = Invoke-Stage PostTest @{ Port = $m.Endpoint; Timeout = 3 } -Gateway $never
        [int]$run.Results[0].ExitCode | Should -Be 134
        $run.Results[0].Message | Should -Match '^Device under test did not join gateway correctly: '
        $run.Results[0].Message | Should -Match 'access point is online'
        $run.Results[0].Duration.TotalSeconds | Should -BeGreaterOrEqual 3
        $run.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 3
        $m.ReadEmcmKey() | Should -BeNullOrEmpty
        "$($m.EmcmState.ActiveConfig)" | Should -Be 'Factory'
    }

    It 'gives 164 when the eMCM cannot reach its meter, before any key is made' {
        $m = Start-TestMeter @{ Fault = 'MeterNotAnswering' }
        Assert-Passed (Invoke-Stage PreTest @{ Port = $m.Endpoint })
        $run = Invoke-Stage PostTest @{ Port = $m.Endpoint; Batch = '2300' }
        [int]$run.Results[0].ExitCode | Should -Be 164
        $run.Results[0].Message | Should -Match 'eMCM module is seated in the meter correctly'
        $m.ReadEmcmKey() | Should -BeNullOrEmpty
        $m.ReadKey('Root') | Should -BeNullOrEmpty
        @(Read-TestEmcmExport -Server $server -Package $pkg -ConfigId 69 -Batch 2300 -Path "$TestDrive/164.xml" -IncludePending).Count | Should -Be 0
    }

    It 'gives <Code> for the eMCM fault <Fault> in CheckConfig' -ForEach @(
        @{ Fault = 'NoAnswer'; Code = 68 }
        @{ Fault = 'HardwareFails'; Code = 72 }
    ) {
        $m = Start-TestMeter @{ Fault = $Fault }
        $run = Invoke-Stage CheckConfig @{ Port = $m.Endpoint }
        [int]$run.Results[0].ExitCode | Should -Be $Code -Because $run.Results[0].Message
    }
}

Describe 'Invoke-EmcmFactoryStage killed midway' {
    BeforeAll {
        # A stage in a child PowerShell process, as a station PC runs it; killed for real by the test.
        function script:Start-ChildStage([string] $Stage, [string] $Port, [string] $Batch) {
            $script = Join-Path $TestDrive "child-$([guid]::NewGuid().ToString('N')).ps1"
            @"
Import-Module '$RepoRoot/Provisioning.psd1'
`$null = Connect-ProvServer -Uri '$($server.Uri)' -Token (ConvertTo-SecureString `$env:PROV_TEST_STATION_TOKEN -AsPlainText -Force)
Invoke-EmcmFactoryStage -Stage $Stage -Port '$Port' -Batch $Batch -ConfigId 69 -Gateway 127.0.0.1 -ControlPort $($gateway.ControlPort) -Timeout 30
"@ | Set-Content $script
            $exe = [Environment]::ProcessPath
            $arguments = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' }) + @('-NoProfile', '-NonInteractive', '-File', $script)
            $env:PROV_TEST_STATION_TOKEN = ConvertFrom-SecureString $token.Token -AsPlainText
            try { $process = Start-Process -FilePath $exe -ArgumentList $arguments -PassThru -RedirectStandardOutput "$script.out" -RedirectStandardError "$script.err" }
            finally { Remove-Item Env:PROV_TEST_STATION_TOKEN }
            $process | Add-Member -NotePropertyName Output -NotePropertyValue "$script.out" -PassThru
        }

        # What the child printed, for a failure message.
        function script:Get-ChildOutput($Child) { (Get-Content $Child.Output -Raw -ErrorAction Ignore) + (Get-Content "$($Child.Output -replace '\.out$', '.err')" -Raw -ErrorAction Ignore) }
    }

    It 'POSTTEST killed after the eMCM key and before the node keys: the server holds the key the eMCM holds, and POSTTEST again passes' {
        $m = Start-TestMeter @{ HoldAt = 'KeyWrite' }
        Assert-Passed (Invoke-Stage PreTest @{ Port = $m.Endpoint })
        $child = Start-ChildStage PostTest $m.Endpoint 2400
        try { Wait-TestCondition { $m.Node.Held -or $child.HasExited } -TimeoutSeconds 120 -Because 'the POSTTEST to reach the node key write' }
        finally { $child | Stop-Process -Force -ErrorAction Ignore }
        $child.WaitForExit(10000) | Should -BeTrue
        $m.Node.Held | Should -BeTrue -Because (Get-ChildOutput $child)
        $m.Node.Release()
        # Killed with the eMCM key written and verified: the pending record holds exactly that key; the node has no root key.
        $m.ReadKey('Root') | Should -BeNullOrEmpty
        $pending = @(Read-TestEmcmExport -Server $server -Package $pkg -ConfigId 69 -Batch 2400 -Path "$TestDrive/pending.xml" -IncludePending |
            Where-Object NodeId -eq $m.State.NodeId)
        $pending.Count | Should -Be 1
        $pending[0].Apps['emcm'].KeyHex | Should -Be ([Convert]::ToHexString($m.ReadEmcmKey()))
        "$($m.EmcmState.Stage)" | Should -Be 'PreTest'

        $again = Invoke-Stage PostTest @{ Port = $m.Endpoint; Batch = '2400' }
        Assert-Passed $again
        Assert-ExportHoldsKeys $m 2400 'killed-posttest'
    }

    It 'PRETEST killed during the firmware transfer: PRETEST again passes' {
        $m = Start-TestMeter @{ HoldAt = 'ImageChunk' }
        $child = Start-ChildStage PreTest $m.Endpoint 2500
        try { Wait-TestCondition { $m.Node.Held -or $child.HasExited } -TimeoutSeconds 120 -Because 'the PRETEST to reach the firmware transfer' }
        finally { $child | Stop-Process -Force -ErrorAction Ignore }
        $child.WaitForExit(10000) | Should -BeTrue
        $m.Node.Held | Should -BeTrue -Because (Get-ChildOutput $child)
        $m.Node.Release()
        "$($m.EmcmState.Stage)" | Should -Be 'None'
        $again = Invoke-Stage PreTest @{ Port = $m.Endpoint; Batch = '2500' }
        Assert-Passed $again
        "$($m.EmcmState.Stage)" | Should -Be 'PreTest'
        Assert-Passed (Invoke-Stage PostTest @{ Port = $m.Endpoint; Batch = '2500' })
        Assert-ExportHoldsKeys $m 2500 'killed-pretest'
    }
}

Describe 'Invoke-EmcmFactoryStage on several meters and through the optical port' {
    It 'runs three meters in parallel from CSV rows, one result each, and exports every key' {
        $meters = @(1..3 | ForEach-Object { Start-TestMeter })
        $csv = "$TestDrive/line.csv"
        $meters | ForEach-Object { [pscustomobject]@{ Port = $_.Endpoint; Batch = '2600'; ConfigAlias = 'kite_170'; PartialMcmId = $_.EmcmState.EmcmId.Substring(8) } } |
            Export-Csv $csv
        foreach ($stage in 'PreTest', 'CheckConfig', 'PostTest') {
            $run = Import-Csv $csv | Invoke-TestEmcmStation -Command Invoke-EmcmFactoryStage -With @{ Stage = $stage; Gateway = '127.0.0.1'; ControlPort = $gateway.ControlPort; Timeout = 30; ThrottleLimit = 3 }
            $run.Errors | Should -BeNullOrEmpty -Because "$stage"
            $run.Results.Count | Should -Be 3
            @($run.Results | Sort-Object Port).Port | Should -Be @($meters.Endpoint | Sort-Object)
            $run.Results.Operation | ForEach-Object { $_ | Should -Be $stage }
        }
        foreach ($m in $meters) { Assert-ExportHoldsKeys $m 2600 "line-$($m.State.NodeId)" }
    }

    It 'runs PreTest, CheckConfig and PostTest at 9600 baud through opt_psem (a kv2c''s optical port)' {
        $m = Start-TestMeter @{ Wrapper = 'opt_psem'; BaudRate = 9600 }
        foreach ($stage in 'PreTest', 'CheckConfig', 'PostTest') {
            $run = Invoke-Stage $stage @{ Port = $m.Endpoint; BaudRate = 9600; Wrapper = 'opt_psem'; Batch = '2700' }
            Assert-Passed $run
        }
        Assert-ExportHoldsKeys $m 2700 'optical'
    }
}
