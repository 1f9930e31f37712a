# The eMCM simulator as a station meets it: eMCM messages and node messages on one line, through orw, reliable and
# opt_psem, over TCP and over virtual serial pairs (socat); each eMCM fault gives its Table 4 code; a simulator process
# killed outright (SIGKILL) keeps in its state files what it had been given, and an interrupted image resumes.
BeforeDiscovery { $script:noSocat = -not (Get-Command socat -ErrorAction Ignore) }
BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    . "$PSScriptRoot/EmcmTestHelpers.ps1"
    $script:RepoRoot = Split-Path (Split-Path $PSScriptRoot)
    Add-Type -TypeDefinition @'
public sealed class TestFirstProgress : System.IProgress<long>
{
    public long First = -1;
    public long Last = -1;
    public void Report(long value) { lock (this) { if (First < 0) First = value; Last = value; } }
}
'@
}

Describe 'Start-ProvEmcmSimulator over TCP with <Wrapper>' -ForEach @(
    @{ Wrapper = 'orw'; Baud = 115200 }
    @{ Wrapper = 'reliable'; Baud = 115200 }
    @{ Wrapper = 'opt_psem'; Baud = 9600 }
) {
    AfterEach {
        Close-TestEmcm $station; $station = $null
        if ($sim) { $sim | Stop-ProvNodeSimulator; $sim = $null }
    }

    It 'reports its ID, takes an image and a key, and the node answers on the same line' {
        $sim = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Wrapper $Wrapper -BaudRate $Baud -NodeId 0x2001 -EmcmId 00A1B2C3D4E5F601 -HostType kv2c-emcm
        $station = Connect-TestEmcm $sim.Endpoint -Wrapper $Wrapper -BaudRate $Baud

        $info = Invoke-TestEmcm { $station.Emcm.GetInfoAsync($EmcmNone) }
        $info.EmcmId | Should -Be '00A1B2C3D4E5F601'
        $info.PartialMcmId | Should -Be 'D4E5F601'
        $info.HostType | Should -Be 'kv2c-emcm'
        (Invoke-TestEmcm { $station.Node.GetInfoAsync($EmcmNone) }).NodeId | Should -Be 0x2001

        $image = [byte[]]::new(3000); [Random]::new(4).NextBytes($image)
        $null = Invoke-TestEmcm { $station.Emcm.WriteImageAsync('FieldConfig', $image, 'field-1', $null, $EmcmNone) }
        $sim.EmcmState.FieldConfigSha256 | Should -Be ([Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($image)))
        $sim.EmcmState.ActiveConfig | Should -Be 'Field'

        $key = New-TestEmcmKey
        $null = Invoke-TestEmcm { $station.Emcm.WriteKeyAsync($key, $EmcmNone) }
        $kcv = Invoke-TestEmcm { $station.Emcm.GetKeyCheckValueAsync($EmcmNone) }
        [Convert]::ToHexString($kcv) | Should -Be (Get-TestKeyCheckValue $key)
        [Convert]::ToHexString($sim.ReadEmcmKey()) | Should -Be ([Convert]::ToHexString($key))
        $sim.HostMessagesReceived | Should -BeGreaterThan 0
    }
}

Describe 'Start-ProvEmcmSimulator faults' {
    AfterEach {
        Close-TestEmcm $station; $station = $null
        if ($sim) { $sim | Stop-ProvNodeSimulator; $sim = $null }
    }

    It '<Fault> gives code <Code> over <Wrapper>' -ForEach @(
        @{ Fault = 'NoAnswer'; Code = 68; Wrapper = 'orw'; Call = { $station.Emcm.GetInfoAsync($EmcmNone) } }
        @{ Fault = 'NoAnswer'; Code = 68; Wrapper = 'opt_psem'; Call = { $station.Emcm.GetInfoAsync($EmcmNone) } }
        @{ Fault = 'HostError'; Code = 69; Wrapper = 'reliable'; Call = { $station.Emcm.SetQuietAsync($true, $EmcmNone) } }
        @{ Fault = 'HardwareFails'; Code = 72; Wrapper = 'orw'; Call = { $station.Emcm.WriteKeyAsync((New-TestEmcmKey), $EmcmNone) } }
        @{ Fault = 'MeterNotAnswering'; Code = 164; Wrapper = 'opt_psem'; Call = { $station.Emcm.CheckMeterAsync($EmcmNone) } }
    ) {
        $sim = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Wrapper $Wrapper -Fault $Fault
        $station = Connect-TestEmcm $sim.Endpoint -Wrapper $Wrapper -ResponseSeconds 1 -Resends 1
        Get-TestEmcmCode $Call | Should -Be $Code
        # The node behind the eMCM answers whatever the eMCM does.
        (Invoke-TestEmcm { $station.Node.GetInfoAsync($EmcmNone) }).NodeId | Should -Be 1
    }

    It 'HardwareFails shows in the self-test GetInfo reports, for the station to turn into 72' {
        $sim = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Wrapper orw -Fault HardwareFails
        $station = Connect-TestEmcm $sim.Endpoint
        $info = Invoke-TestEmcm { $station.Emcm.GetInfoAsync($EmcmNone) }
        $info.SelfTestPassed | Should -BeFalse
        $failure = $station.Emcm.SelfTestFailure($info)
        [int]$failure.Code | Should -Be 72
        $failure.Message | Should -Match 'flash ECC error'
    }

    It 'KeyVerificationFails reports a check value that is not the key''s (the station''s 70), while the eMCM holds the key' {
        $sim = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Wrapper orw -Fault KeyVerificationFails
        $station = Connect-TestEmcm $sim.Endpoint
        $key = New-TestEmcmKey
        $null = Invoke-TestEmcm { $station.Emcm.WriteKeyAsync($key, $EmcmNone) }
        [Convert]::ToHexString((Invoke-TestEmcm { $station.Emcm.GetKeyCheckValueAsync($EmcmNone) })) | Should -Not -Be (Get-TestKeyCheckValue $key)
        $sim.EmcmState.KeyCheckValue | Should -Be (Get-TestKeyCheckValue $key)
    }

    It 'takes several faults at once' {
        $sim = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Wrapper orw -Fault HostError, MeterNotAnswering
        $sim.Options.Faults | Should -Be 'HostError, MeterNotAnswering'
    }

    It 'over the none wrapper a station refuses eMCM commands as 3' {
        $sim = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Wrapper none
        $station = Connect-TestEmcm $sim.Endpoint -Wrapper none
        Get-TestEmcmCode { $station.Emcm.GetInfoAsync($EmcmNone) } | Should -Be 3
    }
}

Describe 'Start-ProvEmcmSimulator parameters' {
    It 'refuses an eMCM ID that is not 16 hex digits' {
        { Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -EmcmId 12345 } | Should -Throw -ExpectedMessage '*EmcmId*'
    }

    It 'refuses an unknown fault and names the known ones' {
        { Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Fault Gremlins } | Should -Throw -ExpectedMessage '*NoAnswer*MeterNotAnswering*'
    }

    It 'does nothing with -WhatIf' {
        Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -StatePath "$TestDrive/whatif.json" -WhatIf | Should -BeNullOrEmpty
        Test-Path "$TestDrive/whatif.emcm.json" | Should -BeFalse
    }

    It 'shows a table with the eMCM ID, endpoint, wrapper, active slot, stage and key' {
        $sim = Start-ProvEmcmSimulator -Listen tcp://127.0.0.1:0 -Wrapper orw -EmcmId 00000000CAFE0001
        try {
            $text = $sim | Format-Table | Out-String -Width 80
            $text | Should -Match 'EmcmId\s+Endpoint\s+Wrapper\s+Active\s+Stage\s+Key\s+Running'
            $text | Should -Match '00000000CAFE0001\s+tcp://127\.0\.0\.1:\d+\s+orw\s+None\s+None\s+none\s+True'
        }
        finally { $sim | Stop-ProvNodeSimulator }
        $sim.IsRunning | Should -BeFalse
    }
}

Describe 'Start-ProvEmcmSimulator on a virtual serial pair' -Skip:$noSocat {
    It 'serves a fixture over orw, then the same board in its meter over opt_psem at 9600 baud, keeping its state' {
        $pair = New-ProvVirtualSerialPair -Path $TestDrive
        $state = Join-Path $TestDrive 'board.json'
        $key = New-TestEmcmKey
        try {
            $fixture = Start-ProvEmcmSimulator -PortName $pair.PortB -Wrapper orw -Pace -StatePath $state -NodeId 0x77
            $station = Connect-TestEmcm $pair.PortA -Wrapper orw
            $factory = [Text.Encoding]::ASCII.GetBytes("network_id=factory`n" + ('x' * 2000))
            $null = Invoke-TestEmcm { $station.Emcm.WriteImageAsync('FactoryConfig', $factory, 'factory-1', $null, $EmcmNone) }
            $null = Invoke-TestEmcm { $station.Emcm.WriteKeyAsync($key, $EmcmNone) }
            $null = Invoke-TestEmcm { $station.Emcm.SetStageAsync('PreTest', $EmcmNone) }
            Close-TestEmcm $station; $station = $null
            $fixture | Stop-ProvNodeSimulator

            $meter = Start-ProvEmcmSimulator -PortName $pair.PortB -Wrapper opt_psem -BaudRate 9600 -Pace -StatePath $state -NodeId 0x77
            $station = Connect-TestEmcm $pair.PortA -Wrapper opt_psem -BaudRate 9600
            $info = Invoke-TestEmcm { $station.Emcm.GetInfoAsync($EmcmNone) }
            $info.Stage | Should -Be 'PreTest'
            $info.ActiveConfig | Should -Be 'Factory'
            [Convert]::ToHexString($info.KeyCheckValue) | Should -Be (Get-TestKeyCheckValue $key)
            (Invoke-TestEmcm { $station.Emcm.CheckMeterAsync($EmcmNone) }).MeterId | Should -Be 'MTR119'
            (Invoke-TestEmcm { $station.Node.GetInfoAsync($EmcmNone) }).NodeId | Should -Be 0x77
        }
        finally {
            Close-TestEmcm $station
            if ($meter) { $meter | Stop-ProvNodeSimulator }
            if ($fixture) { $fixture | Stop-ProvNodeSimulator }
            $pair | Remove-ProvVirtualSerialPair
        }
    }
}

Describe 'An eMCM simulator process killed outright' {
    BeforeAll {
        $exe = [Environment]::ProcessPath
        $script:pwshPrefix = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
        $script:pwshExe = $exe
        # The simulator in a process of its own, as a rehearsal rig runs it; it says where it listens, then serves until killed.
        $script:simScript = Join-Path $TestDrive 'emcm-sim.ps1'
        @'
param([string] $Repo, [int] $Port, [string] $State, [string] $Ready)
Import-Module (Join-Path $Repo 'Provisioning.psd1')
$sim = Start-ProvEmcmSimulator -Listen "tcp://127.0.0.1:$Port" -Wrapper orw -Pace -StatePath $State -NodeId 0x55
Set-Content -Path $Ready -Value $sim.Endpoint
while ($true) { Start-Sleep -Seconds 60 }
'@ | Set-Content $simScript
        function script:Start-SimProcess([int] $Port, [string] $State) {
            $ready = Join-Path $TestDrive "ready-$([guid]::NewGuid().ToString('N'))"
            $env:DOTNET_EnableDiagnostics = '0'
            try {
                $p = Start-Process -FilePath $pwshExe -PassThru -RedirectStandardOutput "$ready.out" -RedirectStandardError "$ready.err" -ArgumentList (
                    @($pwshPrefix) + @('-NoProfile', '-NonInteractive', '-File', $simScript, '-Repo', $RepoRoot, '-Port', $Port, '-State', $State, '-Ready', $ready))
            }
            finally { Remove-Item Env:DOTNET_EnableDiagnostics }
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Test-Path $ready)) {
                if ($p.HasExited) { throw "The simulator process ended: $(Get-Content "$ready.out", "$ready.err" -Raw -ErrorAction Ignore)" }
                if ([DateTime]::UtcNow -gt $deadline) { throw 'The simulator process did not start within 60 s.' }
                $null = $p.WaitForExit(50)
            }
            $p
        }
        # What the eMCM's state file says now (it is written atomically after every change).
        function script:Get-EmcmFlash([string] $State) { Get-Content ([IO.Path]::ChangeExtension($State, '.emcm.json')) -Raw | ConvertFrom-Json }
    }

    It 'keeps what it was given, and the next station resumes an image where it stopped' {
        $state = Join-Path $TestDrive 'killed.json'
        $port = Get-FreeTcpPort
        $process = Start-SimProcess $port $state
        $station = $null
        try {
            $station = Connect-TestEmcm "tcp://127.0.0.1:$port" -ResponseSeconds 0.5 -Resends 1
            $key = New-TestEmcmKey
            $null = Invoke-TestEmcm { $station.Emcm.WriteKeyAsync($key, $EmcmNone) }
            $null = Invoke-TestEmcm { $station.Emcm.SetStageAsync('PreTest', $EmcmNone) }

            # A firmware transfer at a real 115200 baud; the process is killed once the eMCM holds part of it.
            $image = [byte[]]::new(60000); [Random]::new(12).NextBytes($image)
            $writing = $station.Emcm.WriteImageAsync('Firmware', $image, '7.1.0', $null, $EmcmNone)
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not ((Get-EmcmFlash $state).partial.received -gt 2000)) {
                if ($writing.IsCompleted) { throw "The transfer ended before the kill: $($writing.Exception)" }
                if ([DateTime]::UtcNow -gt $deadline) { throw 'The eMCM held no part of the image within 60 s.' }
                $null = $writing.Wait(20)
            }
            Stop-Process -Id $process.Id -Force
            $null = $process.WaitForExit(30000)
            { $writing.GetAwaiter().GetResult() } | Should -Throw
            Close-TestEmcm $station; $station = $null
            $held = (Get-EmcmFlash $state).partial.received
            $held | Should -BeGreaterThan 2000

            $process = Start-SimProcess $port $state
            $station = Connect-TestEmcm "tcp://127.0.0.1:$port"
            $info = Invoke-TestEmcm { $station.Emcm.GetInfoAsync($EmcmNone) }
            $info.Stage | Should -Be 'PreTest'
            [Convert]::ToHexString($info.KeyCheckValue) | Should -Be (Get-TestKeyCheckValue $key)
            $progress = [TestFirstProgress]::new()
            $null = Invoke-TestEmcm { $station.Emcm.WriteImageAsync('Firmware', $image, '7.1.0', $progress, $EmcmNone) }
            $progress.First | Should -BeGreaterOrEqual $held
            $progress.Last | Should -Be 60000
            (Get-EmcmFlash $state).firmwareVersion | Should -Be '7.1.0'
            (Get-EmcmFlash $state).firmwareSha256 | Should -Be ([Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($image)))
        }
        finally {
            Close-TestEmcm $station
            if ($process -and -not $process.HasExited) { Stop-Process -Id $process.Id -Force -ErrorAction Ignore }
        }
    }
}
