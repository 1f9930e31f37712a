# Invoke-NodeProvision -Wrapper reliable as an operator runs it: a real server, simulated nodes behind the simulator's
# host-role session (its line noise and faults hit the wrapper's frames), and the portable C host built with gcc
# between a socat serial pair and a node.
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $script:fw = (Get-ProvConfig 69).Node.Firmware
    $script:token = New-ProvStationToken -Name 'reliable-line'
    $null = Connect-ProvServer -Uri $server.Uri -Token $token.Token -PassThru
    $script:sims = [System.Collections.Generic.List[object]]::new()

    function script:Start-Node([hashtable] $With = @{}) {
        $sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeType UNODE @With
        $sims.Add($sim)
        $sim
    }
    function script:Invoke-Reliable([string] $Port, [hashtable] $With = @{}) {
        $errors = $null
        $result = Invoke-NodeProvision -Port $Port -Batch 9100 -ConfigId 69 -Wrapper reliable @With -ErrorVariable errors -ErrorAction SilentlyContinue
        [pscustomobject]@{ Result = $result; Errors = @($errors) }
    }
}
AfterAll {
    $sims | Stop-ProvNodeSimulator -ErrorAction Ignore
    Stop-TestServer $server
}

Describe 'Invoke-NodeProvision -Wrapper reliable' {
    It 'provisions a host with a 256-byte buffer over a line that flips one bit in 10,000' {
        $sim = Start-Node @{ NodeId = 0xA001; Wrapper = 'reliable'; MaxMessageSize = 256; BitErrorRate = 1e-4; Seed = 5 }
        $r = (Invoke-Reliable $sim.Endpoint).Result
        $r.Code | Should -Be 0 -Because $r.Message
        $sim.State.FirmwareSha256 | Should -Be $fw.Sha256
        $sim.State.KeyCheckValues.Count | Should -Be 3
    }

    It 'gives 36 naming the restart when the host restarts mid-transfer, and the next attempt resumes the firmware' {
        $state = Join-Path $TestDrive 'restart.json'
        $sim = Start-Node @{ NodeId = 0xA002; Wrapper = 'reliable'; RestartHostAfterBytes = 30000; StatePath = $state }
        $first = Invoke-Reliable $sim.Endpoint
        [int]$first.Result.ExitCode | Should -Be 36
        $first.Result.Message | Should -Match 'restarted during the reliable session'
        $first.Result.Message | Should -Match 'writing firmware'
        $first.Result.Message | Should -Match "power supply, watchdog and reset line"
        $first.Errors.Count | Should -Be 1
        $sim.State.FirmwareSha256 | Should -Not -Be $fw.Sha256

        $before = $sim.BytesReceived
        $second = (Invoke-Reliable $sim.Endpoint).Result
        $second.Code | Should -Be 0 -Because $second.Message
        $sim.State.FirmwareSha256 | Should -Be $fw.Sha256
        # The node kept what arrived before the restart: far less than the 64 KiB image went again.
        ($sim.BytesReceived - $before) | Should -BeLessThan 50000
    }

    It 'gives 36 and says to check the cable when a whole window goes unacknowledged' {
        $sim = Start-Node @{ NodeId = 0xA003; Wrapper = 'reliable'; LoseAfterBytes = 20000 }
        $r = Invoke-Reliable $sim.Endpoint
        [int]$r.Result.ExitCode | Should -Be 36
        $r.Result.Message | Should -Match 'acknowledged none of \d+ frames in flight'
        $r.Result.Message | Should -Match 'check the cable, its shielding and ground'
        $r.Result.Message | Should -Match 'at \d+ of 65536 bytes'
        $sim.State.KeyCheckValues.Count | Should -Be 0 -Because 'no key was written'
    }

    It 'gives 4 naming the wrapper when the host does not speak reliable' {
        $sim = Start-Node @{ NodeId = 0xA004; Wrapper = 'none' }
        $r = Invoke-Reliable $sim.Endpoint
        [int]$r.Result.ExitCode | Should -Be 4
        $r.Result.Message | Should -Match 'No host answered the reliable reset'
        $r.Result.Message | Should -Match 'src/host/reliable'
    }

    It 'refuses a host buffer larger than a reliable frame with code 3, before a byte is sent' {
        $sim = Start-Node @{ NodeId = 0xA006; Wrapper = 'reliable' }
        $r = Invoke-Reliable $sim.Endpoint @{ MaxMessageSize = 8000 }
        [int]$r.Result.ExitCode | Should -Be 3
        $r.Result.Message | Should -Match '32 to 4104 bytes, not 8000'
        $sim.BytesReceived | Should -Be 0
    }

    It 'provisions through the portable C host (gcc) on a socat pair, 256-byte buffer, on a noisy cable' -Skip:(-not ((Get-Command gcc -ErrorAction Ignore) -and (Get-Command socat -ErrorAction Ignore))) {
        $exe = Join-Path $TestDrive 'relay_reliable'
        $src = "$(Split-Path (Split-Path $PSScriptRoot))/src/host"
        & gcc -std=c99 -Wall -Wextra -Werror -pedantic -O2 -DRELIABLE_HOST_BUFFER=256 -DRELAY_WRAPPER=host_wrapper_reliable -o $exe "$src/relay/relay.c" "$src/reliable/reliable_host.c"
        $LASTEXITCODE | Should -Be 0
        $node = Start-Node @{ NodeId = 0xA005; Wrapper = 'none' }
        $pair = New-ProvVirtualSerialPair
        $start = [System.Diagnostics.ProcessStartInfo]::new($exe)
        foreach ($a in '-v', '-e', '1e-5', '-s', '3', $pair.PortB, '127.0.0.1', ([uri]$node.Endpoint).Port) { $start.ArgumentList.Add("$a") }
        $start.RedirectStandardError = $true
        $relay = [System.Diagnostics.Process]::Start($start)
        try {
            # The relay says when it has the line and the node; the station starts after that.
            $ready = $relay.StandardError.ReadLineAsync()
            $ready.Wait(10000) | Should -BeTrue
            $ready.Result | Should -Match 'host ready'
            $null = $relay.StandardError.ReadToEndAsync()
            $r = (Invoke-Reliable $pair.PortA).Result
            $r.Code | Should -Be 0 -Because $r.Message
            $node.State.FirmwareSha256 | Should -Be $fw.Sha256
        }
        finally {
            Stop-Process -Id $relay.Id -ErrorAction Ignore
            $pair | Remove-ProvVirtualSerialPair
        }
    }
}
