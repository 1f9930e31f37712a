# Invoke-NodeProvision's log and waits as a support engineer and a line engineer use them: -LogPath files per device,
# the Verbose and Debug streams, and -FirstContactTimeout/-ResponseTimeout/-Resends with their defaults from the
# wrapper and baud rate. A real server, simulated nodes over TCP.
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $token = New-ProvStationToken -Name 'log line'
    $null = Connect-ProvServer -Uri $server.Uri -Token $token.Token
    $script:nodes = [System.Collections.Generic.List[object]]::new()
    function script:Start-TestNode([uint32] $NodeId, [hashtable] $With = @{}) {
        $sim = Start-ProvNodeSimulator -Listen 'tcp://127.0.0.1:0' -NodeId $NodeId -NodeType UNODE -FirmwareVersion '1.0.0' @With
        $nodes.Add($sim)
        $sim
    }
}
AfterAll {
    $nodes | Stop-ProvNodeSimulator -ErrorAction Ignore
    Stop-TestServer $server
}

Describe 'Invoke-NodeProvision -LogPath' {
    It 'writes one timestamped file per device into a folder: port, node ID, timeouts, steps with timings, resends, code' {
        $good = Start-TestNode 0xA001 @{ CorruptEveryNthByte = 300 }
        $bad = Start-TestNode 0xA002 @{ FailKeyVerification = $true }
        $results = $good.Endpoint, $bad.Endpoint | Invoke-NodeProvision -ConfigId 69 -Batch 10 -LogPath "$TestDrive/logs/" -Resends 6 -ErrorAction SilentlyContinue
        $results.ExitCode | Sort-Object | Should -Be @(0, 38)
        $files = @(Get-ChildItem "$TestDrive/logs" -Filter *.log)
        $files.Count | Should -Be 2
        $goodLog = Get-Content ($files | Where-Object { (Get-Content $_ -Raw) -match '0x0000A001' }).FullName
        $goodLog | ForEach-Object { $_ | Should -Match "^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |CRIT ) $([regex]::Escape($good.Endpoint))  " }
        $text = $goodLog -join "`n"
        $text | Should -Match 'batch 10, 115200 baud, wrapper none; first contact 2 s, response 2 s, 6 resends'
        $text | Should -Match 'Node 0x0000A001: type UNODE'
        $text | Should -Match 'Firmware took \d+\.\d{3} s'
        $text | Should -Match 'WARN .* with \d+ messages sent again'
        $text | Should -Match 'INFO .* Result 0 \(Success\)'
        $badLog = Get-Content ($files | Where-Object { (Get-Content $_ -Raw) -match '0x0000A002' }).FullName -Raw
        $badLog | Should -Match 'CRIT .* Result 38 \(VerifyFailed\), node 0x0000A002'
    }

    It 'appends every device to one file when -LogPath names a file, each line naming its port' {
        $a = Start-TestNode 0xA003
        $b = Start-TestNode 0xA004
        $null = $a.Endpoint, $b.Endpoint | Invoke-NodeProvision -ConfigId 69 -Batch 10 -LogPath "$TestDrive/station.log"
        $lines = Get-Content "$TestDrive/station.log"
        @($lines | Where-Object { $_ -match 'Result 0' }).Count | Should -Be 2
        @($lines | Where-Object { $_ -match [regex]::Escape($a.Endpoint) }).Count | Should -BeGreaterThan 3
        @($lines | Where-Object { $_ -match [regex]::Escape($b.Endpoint) }).Count | Should -BeGreaterThan 3
    }

    It 'shows the log on the Verbose stream and every step with its time on the Debug stream' {
        $sim = Start-TestNode 0xA005
        $r = Invoke-NodeProvision -Port $sim.Endpoint -ConfigId 69 -Batch 10 -Verbose -Debug 4>&1 5>&1
        $verbose = @($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $debug = @($r | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Message
        $verbose | Should -Contain ($verbose | Where-Object { $_ -match "^$([regex]::Escape($sim.Endpoint)): Result 0 \(Success\), node 0x0000A005" })
        ($debug -join "`n") | Should -Match 'Firmware took \d+\.\d{3} s'
        ($debug -join "`n") | Should -Match 'Node 0x0000A005: type UNODE'
        @($r | Where-Object { $_ -is [Provisioning.Core.Station.NodeProvisionResult] }).ExitCode | Should -Be 0
    }
}

Describe 'Invoke-NodeProvision timeouts' {
    It 'gives up on a silent device within -FirstContactTimeout (code 4), and says so' {
        $sim = Start-TestNode 0xA010 @{ Silent = $true }
        $r = Invoke-NodeProvision -Port $sim.Endpoint -ConfigId 69 -Batch 10 -FirstContactTimeout 0.6 -ErrorAction SilentlyContinue
        $r.ExitCode | Should -Be 4
        $r.Message | Should -Match 'within 0\.6 s'
    }

    It 'takes a TimeSpan as well as seconds' {
        $sim = Start-TestNode 0xA011 @{ Silent = $true }
        $r = Invoke-NodeProvision -Port $sim.Endpoint -ConfigId 69 -Batch 10 -FirstContactTimeout ([TimeSpan]::FromMilliseconds(700)) -ErrorAction SilentlyContinue
        $r.Message | Should -Match 'within 0\.7 s'
    }

    It 'derives the waits from the wrapper and the baud rate: <Wrapper> at <Baud> baud' -ForEach @(
        @{ Wrapper = 'orw'; Baud = 115200; Text = 'first contact 2 s, response 2 s, 3 resends' }
        @{ Wrapper = 'orw'; Baud = 1200; Text = 'first contact 16 s, response 16 s, 3 resends' }
        @{ Wrapper = 'reliable'; Baud = 115200; Text = 'first contact 3 s, response 4 s, 2 resends' }
        @{ Wrapper = 'opt_psem'; Baud = 9600; Text = 'first contact 8 s, response 6 s, 2 resends' }
    ) {
        $port = "tcp://127.0.0.1:$(Get-FreeTcpPort)"
        # The preference rather than -Debug: with -Debug PowerShell asks before it writes the device's error.
        $DebugPreference = 'Continue'
        $r = Invoke-NodeProvision -Port $port -ConfigId 69 -Batch 10 -Wrapper $Wrapper -BaudRate $Baud -ErrorAction SilentlyContinue 5>&1
        $debug = @($r | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Message -join "`n"
        $debug | Should -Match ([regex]::Escape($Text))
    }

    It 'refuses a wait of 0 or beyond 10 minutes with code 3, and -Resends beyond 100 before doing anything' {
        $r = Invoke-NodeProvision -Port 'tcp://127.0.0.1:1' -ConfigId 69 -Batch 10 -ResponseTimeout 0 -ErrorAction SilentlyContinue
        $r.ExitCode | Should -Be 3
        $r.Message | Should -Match '-ResponseTimeout 0 s is out of range'
        $r = Invoke-NodeProvision -Port 'tcp://127.0.0.1:1' -ConfigId 69 -Batch 10 -FirstContactTimeout 601 -ErrorAction SilentlyContinue
        $r.ExitCode | Should -Be 3
        { Invoke-NodeProvision -Port 'tcp://127.0.0.1:1' -ConfigId 69 -Batch 10 -Resends 101 } | Should -Throw '*101*'
    }
}
