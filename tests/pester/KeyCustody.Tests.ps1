# Key custody when a station dies: a station (Invoke-NodeProvision in its own PowerShell process) is killed with a real
# kill -9 at every step boundary between recording a new root key (pending) and confirming it, on a node provisioned
# once before and on a new node. After each kill the key the node really holds must be the one a default or an
# -IncludePending export gives for it, the export must say the node is unresolved, and the node's next contact with a
# station must settle it.
BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
    # The simulator holds (does not process, answers nothing) at the first request of this type; the station is killed there.
    $script:cases = foreach ($hold in 'KeyWrite', 'KeyCheck', 'Lock', 'Reset') {
        foreach ($kind in 'provisioned', 'new') { @{ HoldAt = $hold; Kind = $kind } }
    }
}
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $script:kmsKey = $pkg.Network.Kms.PrivateKeyPath
    # The station process: what an operator's script does on a line PC. The token comes in the environment, not the command line.
    $script:stationScript = Join-Path $TestDrive 'station.ps1'
    Set-Content $stationScript @'
param([string] $Repo, [string] $Uri, [string] $Port, [string] $Batch, [string] $LogPath)
Import-Module "$Repo/Provisioning.psd1"
$station = Connect-ProvServer -Uri $Uri -Token (ConvertTo-SecureString $env:PROV_CUSTODY_TOKEN -AsPlainText -Force) -PassThru
Invoke-NodeProvision -Port $Port -ConfigId 69 -Batch $Batch -Server $station -LogPath $LogPath | Format-List | Out-String -Width 200
'@
    $exe = [Environment]::ProcessPath
    $script:pwshPrefix = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    $script:pwshExe = $exe

    function script:Start-Station([string] $Uri, [securestring] $Token, [string] $Port, [string] $Batch, [string] $Log) {
        $env:PROV_CUSTODY_TOKEN = ConvertFrom-SecureString $Token -AsPlainText
        # No debugger pipes: a process killed with SIGKILL would leave them behind in the temporary folder.
        $env:DOTNET_EnableDiagnostics = '0'
        try {
            Start-Process -FilePath $pwshExe -PassThru -RedirectStandardOutput "$Log.out" -RedirectStandardError "$Log.err" -ArgumentList (
                @($pwshPrefix) + @('-NoProfile', '-NonInteractive', '-File', $stationScript, '-Repo', $RepoRoot, '-Uri', $Uri, '-Port', $Port, '-Batch', $Batch, '-LogPath', "$Log.device.log"))
        }
        finally { Remove-Item Env:PROV_CUSTODY_TOKEN, Env:DOTNET_EnableDiagnostics }
    }

    # Waits until the simulator holds, then kills the station process outright (SIGKILL: no finally blocks, no clean-up).
    function script:Stop-StationAtHold($Process, $Simulator, [string] $Log) {
        # Whichever comes first: the node holding, or the station ending on its own (which fails the test).
        $first = [System.Threading.Tasks.Task]::WaitAny([System.Threading.Tasks.Task[]]@($Simulator.WhenHeld, $Process.WaitForExitAsync()), 90000)
        if ($first -lt 0) { throw "The node did not hold within 90 s: $(Get-Content "$Log.out", "$Log.err" -Raw -ErrorAction Ignore)" }
        if (-not $Simulator.Held) {
            throw "The station exited ($($Process.ExitCode)) before the node held: $(Get-Content "$Log.out", "$Log.err" -Raw -ErrorAction Ignore)"
        }
        Stop-Process -Id $Process.Id -Force
        if (-not $Process.WaitForExit(30000)) { throw "The station process $($Process.Id) did not die." }
    }

    # The key an export gives for one node: default (confirmed only) or -IncludePending; decrypted with the KMS key as the KMS does.
    function script:Get-ExportedKey([uint32] $NodeId, [switch] $IncludePending) {
        $path = Join-Path $TestDrive "export-$([guid]::NewGuid().ToString('N')).xml"
        $warnings = $null
        $receipt = Export-ProvKey -ConfigId 69 -NodeId ('0x{0:X}' -f $NodeId) -IncludePending:$IncludePending -Path $path `
            -WarningVariable warnings -WarningAction SilentlyContinue
        $device = @(Read-ProvKeyFile -Path $path -KmsPrivateKeyPath $kmsKey -AsPlainBytes)
        [pscustomobject]@{
            Receipt = $receipt; Warning = ($warnings | Out-String)
            Key = if ($device.Count) { [Convert]::ToHexString($device[0].RootKeyBytes) }
            Status = if ($device.Count) { $device[0].Status }
        }
    }

    function script:Get-HeldKey($Simulator) {
        $key = $Simulator.ReadKey('Root')
        if ($key) { [Convert]::ToHexString($key); [Array]::Clear($key) }
    }
}

Describe 'Key custody on <Engine> when the station is killed' -ForEach $engines {
    BeforeAll {
        $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine"
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $script:token = New-ProvStationToken -Name 'custody line'
        $script:station = Connect-ProvServer -Uri $server.Uri -Token $token.Token -PassThru
        Connect-ProvServer -Uri $server.Uri -Token $server.AdminToken
        $script:nextNode = 0x7000
        $script:simOptions = @{ Listen = 'tcp://127.0.0.1:0'; NodeType = $pkg.Input.NodeType; FirmwareVersion = $pkg.Input.NodeVersion }
    }
    AfterAll { Stop-TestServer $server }

    It 'before <HoldAt> on a <Kind> node, the key the node holds stays exportable and its next contact settles it' -ForEach $cases {
        $script:nextNode++
        $node = $nextNode
        $state = Join-Path $TestDrive "node-$Engine-$node.json"
        $log = Join-Path $TestDrive "station-$Engine-$node"
        $earlier = $null
        if ($Kind -eq 'provisioned') {
            $sim = Start-ProvNodeSimulator @simOptions -NodeId $node -StatePath $state
            try { (Invoke-NodeProvision -Port $sim.Endpoint -ConfigId 69 -Batch 1 -Server $station).Code | Should -Be 0 }
            finally { $sim | Stop-ProvNodeSimulator }
            $earlier = Get-HeldKey $sim
            $earlier | Should -Not -BeNullOrEmpty
        }

        # The node keeps its flash (state file) and now stops at the step boundary; the station is killed there.
        $sim = Start-ProvNodeSimulator @simOptions -NodeId $node -StatePath $state -HoldAt $HoldAt
        try {
            $process = Start-Station -Uri $server.Uri -Token $token.Token -Port $sim.Endpoint -Batch 2 -Log $log
            Stop-StationAtHold $process $sim $log

            $held = Get-HeldKey $sim
            # The killed station's log says how far the device got, and holds no key.
            $deviceLog = Get-Content "$log.device.log" -Raw
            $deviceLog | Should -Match ('Node 0x{0:X8}: type' -f $node)
            $lastStep = @{ KeyWrite = 'WritingKeys: '; KeyCheck = 'VerifyingKeys: '; Lock = 'Locking: '; Reset = 'Resetting: ' }[$HoldAt]
            (($deviceLog.Trim() -split '\r?\n')[-1]) | Should -Match $lastStep
            if ($held) { $deviceLog.ToUpperInvariant() | Should -Not -Match $held }
            $default = Get-ExportedKey $node
            $pending = Get-ExportedKey $node -IncludePending
            switch ($HoldAt) {
                'KeyWrite' { $held | Should -Be $earlier }     # no key written yet: the earlier key, or none on a new node
                'Reset' { $held | Should -Not -Be $earlier }   # confirmed before the reset
                default { $held | Should -Not -BeNullOrEmpty; $held | Should -Not -Be $earlier }
            }
            # The rule: the key the node holds is the one a default or an -IncludePending export gives for it.
            if ($held) { $held | Should -BeIn @($default.Key, $pending.Key) -Because 'a device must never hold a key the server cannot export' }
            else { $default.Key | Should -BeNullOrEmpty }
            # A default export holds the earlier confirmed key until the new one is confirmed.
            if ($HoldAt -ne 'Reset') { $default.Key | Should -Be $earlier }

            if ($HoldAt -eq 'Reset') {
                # The record was confirmed before the reset: nothing is unresolved.
                $default.Key | Should -Be $held
                $default.Receipt.Unresolved | Should -Be 0
                $default.Warning | Should -BeNullOrEmpty
                Get-ProvDevice -Unresolved | Where-Object NodeId -EQ $node | Should -BeNullOrEmpty
            }
            else {
                $pending.Status | Should -Be 'pending'
                $default.Receipt.Unresolved | Should -Be 1
                $pending.Receipt.Unresolved | Should -Be 1
                $default.Warning | Should -Match '1 node\(s\) in this export have an unresolved pending key'
                $default.Warning | Should -Match 'Get-ProvDevice -Unresolved'
                $listed = @(Get-ProvDevice -Unresolved | Where-Object NodeId -EQ $node)
                $listed.Count | Should -Be 1
                $listed[0].Status | Should -Be 'unresolved'
                $listed[0].Pending[0].Kcv | Should -Match '^[0-9A-F]{6}$'
            }

            # The next contact (here a station run that writes no keys) reports the node's root key check value; the
            # server settles the record, so a default export now holds exactly the key the node holds.
            $sim.Release()
            (Invoke-NodeProvision -Port $sim.Endpoint -ConfigId 69 -Batch 3 -SkipKeys -Server $station).Code | Should -Be 0
            $after = Get-ExportedKey $node
            $after.Key | Should -Be $held
            $after.Receipt.Unresolved | Should -Be 0
            @($after.Warning | Where-Object { "$_" -match 'unresolved' }) | Should -BeNullOrEmpty
            # A new node stopped before its first key holds none, so there is nothing to export, and the export says so.
            if (-not $held) { "$($after.Warning)" | Should -Match 'No device matched' }
            else { $after.Warning | Should -BeNullOrEmpty }
            Get-ProvDevice -Unresolved | Where-Object NodeId -EQ $node | Should -BeNullOrEmpty
            $device = Get-ProvDevice -NodeId $node
            $device.Unresolved | Should -BeFalse
            # The killed run's record (the newest: a -SkipKeys run records nothing): confirmed when the node holds its key.
            $device.History[0].Status | Should -Be $(if ($HoldAt -eq 'KeyWrite') { 'abandoned' } else { 'confirmed' })

            # And provisioning it again replaces the key as usual.
            (Invoke-NodeProvision -Port $sim.Endpoint -ConfigId 69 -Batch 4 -Server $station).Code | Should -Be 0
            (Get-ExportedKey $node).Key | Should -Be (Get-HeldKey $sim)
        }
        finally {
            if ($process -and -not $process.HasExited) { Stop-Process -Id $process.Id -Force -ErrorAction Ignore }
            $sim | Stop-ProvNodeSimulator -ErrorAction Ignore
        }
    }
}
