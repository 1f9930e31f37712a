# Both eMCM meter lines of the guide's D.3, end to end as a factory runs them, on socat serial pairs and on TCP:
# kv2c (PRETEST of four boards in a fixture over orw; assembly; CHECKCONFIG and POSTTEST through each meter's optical
# port, opt_psem at 9600, with the gateway in range) and i210+ (PRETEST and POSTTEST on one serial port). Then the
# export, read by the KMS (node root keys) and by the head end (eMCM keys), compared with what every simulated meter
# holds, and a scan for both kinds of key everywhere the station and the server write. Last, examples/EmcmLine.ps1
# runs as a user would run it.
BeforeDiscovery {
    $script:lines = @(@{ Line = 'Tcp'; Batch = 3100 })
    if ($IsLinux -and (Get-Command socat -ErrorAction Ignore)) { $script:lines += @{ Line = 'Serial'; Batch = 3200 } }
}
BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:work = New-Item -ItemType Directory "$TestDrive/emcm-line"
    $script:started = [DateTime]::UtcNow
    $script:tempBefore = @(Get-ChildItem ([IO.Path]::GetTempPath()) -File -Recurse -ErrorAction Ignore | ForEach-Object FullName)
    $network = New-TestNetwork -Root "$work/net"
    $script:kms = $network.Kms
    $script:hes = New-ProvKmsKeyPair -Path "$work/hes" -KeySize 2048
    New-Item -ItemType Directory "$work/files" | Out-Null
    $null = New-TestFile "$work/files/node.bin" 16KB
    $null = New-TestFile "$work/files/emcm.bin" 8KB
    Set-Content "$work/files/node-factory.cfg" "network_id=factory`nreport_interval=60"
    Set-Content "$work/files/node-field.cfg" "network_id=utility_west`nreport_interval=900"
    Set-Content "$work/files/emcm-factory.cfg" "network_id=factory`nquiet_during_calibration=1"
    Set-Content "$work/files/emcm-field.cfg" "network_id=utility_west`nmeter_read_interval=900"
    $package = New-ProvPackage -Path "$work/meter_82.tar.gz" -ConfigId 82 -ConfigAlias 82JX570141 -AppLabel kv2c -NodeType UNODE -NodeVersion 1.2.3.4 `
        -NodeFirmware "$work/files/node.bin" -NodeFieldConfig "$work/files/node-field.cfg" -NodeFactoryConfig "$work/files/node-factory.cfg" `
        -KmsPublicKeyFile $network.Kms.PublicKeyPath -GatewayKeyFile $network.GatewayKeyFile.Path `
        -App @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = "$work/files/emcm.bin"; FactoryConfig = "$work/files/emcm-factory.cfg"
                FieldConfig = "$work/files/emcm-field.cfg"; PublicKeyFile = $hes.PublicKeyPath }
    $script:server = Start-TestServer -Engine SQLite -Root "$work/server"
    $null = Import-ProvPackage $package.Path -Passphrase (ConvertTo-TestSecret $network.Passphrase)
    $script:station = Connect-ProvServer -Uri $server.Uri -Token (New-ProvStationToken -Name 'emcm line').Token -PassThru
    $script:gateway = Start-ProvGatewaySimulator -ControlPort 0 -NetworkId factory -JoinDelay 1
    $script:simulators = [System.Collections.Generic.List[object]]::new()
    $script:pairs = [System.Collections.Generic.List[object]]::new()

    # A meter on its own line: a virtual serial pair or a TCP port.
    function script:Start-TestMeter([string] $Line, [hashtable] $Meter, [string] $Wrapper, [int] $BaudRate, [switch] $InRange) {
        $extra = @{ Wrapper = $Wrapper; BaudRate = $BaudRate; Pace = $true }
        if ($InRange) { $extra.Gateway = $gateway.RadioEndpoint }
        if ($Line -eq 'Serial') {
            $pair = New-ProvVirtualSerialPair -Path "$work/ports"
            $pairs.Add($pair)
            $sim = Start-ProvEmcmSimulator -PortName $pair.PortB @Meter @extra
            $port = $pair.PortA
        }
        else {
            $pair = $null
            $sim = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 @Meter @extra
            $port = $sim.Endpoint
        }
        $simulators.Add($sim)
        [pscustomobject]@{ Port = $port; BaudRate = $BaudRate; Wrapper = $Wrapper; PartialMcmId = $Meter.EmcmId.Substring(8); Simulator = $sim; Pair = $pair }
    }
    # One stage on a set of meters, with everything it says (verbose and debug included) kept for the key scan.
    function script:Invoke-TestStage([string] $Stage, [object[]] $Meters, [string] $Batch, [string] $Name) {
        $all = @($Meters | Invoke-EmcmFactoryStage -Stage $Stage -ConfigAlias 82JX570141 -Batch $Batch -Server $station -ControlPort $gateway.ControlPort `
            -Timeout 60 -ThrottleLimit 4 -LogPath "$work/station-logs/" -Verbose -Debug -ErrorAction SilentlyContinue *>&1)
        $script:said.Add((($all | Where-Object { $_ -isnot [Provisioning.Core.Emcm.EmcmProvisionResult] } | ForEach-Object { $_ | Format-List * -Force | Out-String }) -join "`n"))
        $results = @($all | Where-Object { $_ -is [Provisioning.Core.Emcm.EmcmProvisionResult] })
        $script:said.Add(($results | Format-List * | Out-String))
        $results
    }
    $script:said = [System.Collections.Generic.List[string]]::new()
    # What the station would have said about a failure.
    function script:Show-Failure($Results) { ($Results | Where-Object ExitCode -ne 0 | ForEach-Object { "$($_.EmcmId): $($_.ExitCode) $($_.Message)" }) -join "`n" }
}
AfterAll {
    $simulators | Stop-ProvNodeSimulator -ErrorAction Ignore
    $pairs | Remove-ProvVirtualSerialPair -ErrorAction Ignore
    if ($gateway) { $gateway | Stop-ProvGatewaySimulator -ErrorAction Ignore }
    Stop-TestServer $server
}

Describe 'The eMCM lines on <Line>' -ForEach $lines {
    BeforeAll {
        $kv2c = foreach ($i in 0..3) {
            @{ NodeId = $Batch + $i; NodeType = 'UNODE'; FirmwareVersion = '1.0.0'; EmcmId = ('4B563243{0:X8}' -f ($Batch * 16 + $i))
               EmcmFirmwareVersion = '5.0.0.0'; StatePath = "$work/meters/$Line-kv2c-$i.json" }
        }
        $fixture = @(foreach ($m in $kv2c) { Start-TestMeter $Line $m orw 115200 })
        $script:pretest = Invoke-TestStage PreTest $fixture $Batch
        foreach ($f in $fixture) {
            $f.Simulator | Stop-ProvNodeSimulator; $null = $simulators.Remove($f.Simulator)
            if ($f.Pair) { $f.Pair | Remove-ProvVirtualSerialPair; $null = $pairs.Remove($f.Pair) }
        }
        $script:assembled = @(foreach ($m in $kv2c) { Start-TestMeter $Line $m opt_psem 9600 -InRange })
        $script:checkconfig = Invoke-TestStage CheckConfig $assembled $Batch
        $script:posttest = Invoke-TestStage PostTest $assembled $Batch

        $i210 = Start-TestMeter $Line @{ NodeId = $Batch + 0x50; NodeType = 'UNODE'; FirmwareVersion = '1.0.0'; EmcmId = ('49323130{0:X8}' -f $Batch)
                                         EmcmFirmwareVersion = '5.0.0.0'; StatePath = "$work/meters/$Line-i210.json" } orw 115200 -InRange
        $script:i210 = $i210
        $script:i210Results = @(
            Invoke-TestStage PreTest @($i210) ($Batch + 1)
            Invoke-TestStage PostTest @($i210) ($Batch + 1)
        )
        $script:meters = @($assembled) + $i210
        $null = Export-ProvKey -ConfigId 82 -Batch "$Batch-$($Batch + 1)" -Path "$work/$Line-device_keys.xml" -Server $server
        $script:exportPath = "$work/$Line-device_keys.xml"
    }

    It 'passes PRETEST in the fixture, then CHECKCONFIG and POSTTEST through the optical port, on all four kv2c meters' {
        $pretest.Count | Should -Be 4
        $pretest.ExitCode | Should -Be @(0, 0, 0, 0) -Because (Show-Failure $pretest)
        @($pretest | Where-Object { $_.NodeFirmwareUpdated -and $_.EmcmFirmwareUpdated }).Count | Should -Be 4
        $checkconfig.ExitCode | Should -Be @(0, 0, 0, 0) -Because (Show-Failure $checkconfig)
        $posttest.ExitCode | Should -Be @(0, 0, 0, 0) -Because (Show-Failure $posttest)
        # The firmware went in at the fixture: nothing heavy crosses the optical port.
        @($checkconfig + $posttest | Where-Object { $_.NodeFirmwareUpdated -or $_.EmcmFirmwareUpdated }).Count | Should -Be 0
        foreach ($m in $assembled) {
            $m.Simulator.EmcmState.FirmwareVersion | Should -Be '5.6.7.8'
            $m.Simulator.State.FirmwareVersion | Should -Be '1.2.3.4'
        }
        ($posttest.EmcmId | Sort-Object) | Should -Be ($assembled.Simulator.EmcmState.EmcmId | Sort-Object)
    }

    It 'runs the i210+ station''s PRETEST and POSTTEST on one serial port' {
        $i210Results.Operation | Should -Be @('PreTest', 'PostTest')
        $i210Results.ExitCode | Should -Be @(0, 0) -Because (Show-Failure $i210Results)
        $i210Results[0].EmcmFirmwareUpdated | Should -BeTrue
    }

    It 'exports every meter''s node root key, which the KMS decrypts to the key the node holds' {
        $read = @(Read-ProvKeyFile $exportPath -KmsPrivateKeyFile $kms.PrivateKeyPath -AsPlainBytes)
        $read.Count | Should -Be 5
        foreach ($m in $meters) {
            $device = $read | Where-Object NodeId -eq $m.Simulator.State.NodeId
            $device | Should -Not -BeNullOrEmpty
            $device.Status | Should -Be 'confirmed'
            $held = $m.Simulator.ReadKey('Root')
            [Convert]::ToHexString($device.RootKeyBytes) | Should -Be ([Convert]::ToHexString($held))
            [Array]::Clear($held); [Array]::Clear($device.RootKeyBytes)
        }
    }

    It 'exports every meter''s eMCM key with its eMCM ID, which the head end decrypts to the key the eMCM holds' {
        $read = @(Read-ProvKeyFile $exportPath -AppName emcm -PrivateKeyPath $hes.PrivateKeyPath -AsPlainBytes)
        $read.Count | Should -Be 5
        foreach ($m in $meters) {
            $app = $read | Where-Object NodeId -eq $m.Simulator.State.NodeId
            $app | Should -Not -BeNullOrEmpty
            $app.AppId | Should -Be $m.Simulator.EmcmState.EmcmId
            $held = $m.Simulator.ReadEmcmKey()
            $held.Length | Should -Be 16
            [Convert]::ToHexString($app.KeyBytes) | Should -Be ([Convert]::ToHexString($held))
            [Array]::Clear($held); [Array]::Clear($app.KeyBytes)
        }
    }

    It 'leaves no eMCM key or node root key in the station''s output, its device logs, the server''s files or a temporary file' {
        $secrets = @(foreach ($m in $meters) {
            foreach ($key in $m.Simulator.ReadEmcmKey(), $m.Simulator.ReadKey('Root')) { [Convert]::ToHexString($key); [Array]::Clear($key) }
        })
        $secrets.Count | Should -Be 10
        $find = {
            param([byte[]] $Bytes, [string] $Text)
            $asHex = if ($Bytes) { [Convert]::ToHexString($Bytes) } else { '' }
            foreach ($hex in $secrets) {
                $raw = [Convert]::FromHexString($hex)
                foreach ($form in $hex.ToLowerInvariant(), $hex, [Convert]::ToBase64String($raw)) { if ($Text.Contains($form)) { "'$($form.Substring(0, 6))…'" } }
                # Raw bytes at any offset: the hex of the file holds the key's hex at an even position.
                $at = $asHex.IndexOf($hex)
                while ($at -ge 0 -and $at % 2) { $at = $asHex.IndexOf($hex, $at + 1) }
                if ($at -ge 0) { "raw bytes $($hex.Substring(0, 4))…" }
            }
        }
        & $find $null ($said -join "`n") | Should -BeNullOrEmpty -Because 'the stages'' output, verbose, debug and errors'
        # The meters' state files are their flash (they hold the keys, as the device does); everything else is scanned.
        $files = @(Get-ChildItem "$work/station-logs", "$work/server" -File -Recurse) +
            @(Get-ChildItem ([IO.Path]::GetTempPath()) -File -Recurse -ErrorAction Ignore |
                # Regular files only: the serial pairs' links lead to terminals, whose reads never end.
                Where-Object { -not $_.LinkType -and -not $_.FullName.StartsWith("$work/ports") -and $_.LastWriteTimeUtc -ge $started -and $_.FullName -notin $tempBefore -and -not $_.FullName.StartsWith("$work/meters") -and
                    $_.Length -lt 10MB -and $_.FullName -notmatch '[/\\](bin|obj|\.git)[/\\]' -and -not (Test-DotnetIpcEndpoint $_) })
        @($files | Where-Object { $_.FullName.StartsWith("$work/station-logs") }).Count | Should -BeGreaterThan 0
        foreach ($file in $files) {
            # Other programs' temporary files may be gone (or not ours to read) by now.
            $bytes = try { , [IO.File]::ReadAllBytes($file.FullName) } catch [IO.IOException], [UnauthorizedAccessException] { continue }
            & $find $bytes ([Text.Encoding]::UTF8.GetString($bytes)) | Should -BeNullOrEmpty -Because $file.FullName
        }
    }
}

Describe 'examples/EmcmLine.ps1' {
    It 'runs both lines with meters on <Line> and reports every key matched at the KMS and the head end' -ForEach $lines {
        $output = Invoke-TestShell "& '$(Join-Path $RepoRoot 'examples/EmcmLine.ps1')' -Line $Line"
        $LASTEXITCODE | Should -Be 0 -Because $output
        $output | Should -Match 'kv2c\s+: 4 meters: PRETEST 4 passed, CHECKCONFIG 4 passed, POSTTEST 4 passed'
        $output | Should -Match 'i210\+\s+: 1 meter: PRETEST and POSTTEST 2 of 2 passed'
        $output | Should -Match 'KMS\s+: 5 of 5 node keys match'
        $output | Should -Match 'Head end\s+: 5 of 5 eMCM keys match'
        $output | Should -Match $(if ($Line -eq 'Serial') { 'virtual serial pairs' } else { 'TCP' })
        $output | Should -Match 'eMCM lines complete\.'
    }
}
