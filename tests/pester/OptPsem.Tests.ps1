# The opt_psem wrapper as a station operator drives it: Invoke-NodeProvision -Wrapper opt_psem against a simulated meter
# (Start-ProvNodeSimulator -Wrapper opt_psem) over TCP and over a socat serial pair, with a real server, and each way a
# meter can refuse ending with its guide Table 4 code and a message saying what to check.
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $script:config = Get-ProvConfig 69
    $token = New-ProvStationToken -Name 'optical'
    $null = Connect-ProvServer -Uri $server.Uri -Token $token.Token
    $script:password = 'kv2c-Line-7'
    $script:secure = ConvertTo-SecureString $password -AsPlainText -Force
    $script:meters = [System.Collections.Generic.List[object]]::new()

    function script:Start-Meter([hashtable] $With = @{}) {
        $meter = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper opt_psem -BaudRate 9600 -NodeType UNODE -FirmwareVersion 1.0.0 @With
        $meters.Add($meter)
        $meter
    }
    # Runs the station with -Verbose and -Debug and returns its results, errors and every other stream as text.
    function script:Invoke-Optical([string] $Port, [hashtable] $With = @{}) {
        $errors = $null
        $streams = Invoke-NodeProvision -Port $Port -BaudRate 9600 -Wrapper opt_psem -ConfigId 69 -Batch 4200 @With `
            -ErrorVariable errors -ErrorAction SilentlyContinue -Verbose -Debug *>&1 4>&1 5>&1
        [pscustomobject]@{
            Result = @($streams | Where-Object { $_ -is [Provisioning.Core.Station.NodeProvisionResult] })[0]
            Errors = @($errors)
            Text   = ($streams | Out-String -Width 400) + ($errors | ForEach-Object { $_ | Format-List * -Force | Out-String -Width 400 })
        }
    }
}
AfterAll {
    Stop-TestServer $server
}

Describe 'Invoke-NodeProvision -Wrapper opt_psem' {
    AfterEach {
        foreach ($m in $meters) { $m | Stop-ProvNodeSimulator }
        $meters.Clear()
    }

    It 'provisions the node behind a meter''s optical port, with its C12.18 password, and the password shows nowhere' {
        $state = "$TestDrive/meter-ok.json"
        $meter = Start-Meter @{ OpticalPassword = $secure; StatePath = $state }
        $run = Invoke-Optical $meter.Endpoint @{ OpticalPassword = $secure }
        $run.Result.ExitCode | Should -Be 0 -Because $run.Result.Message
        $meter.State.FirmwareSha256 | Should -Be $config.Node.Firmware.Sha256
        $meter.State.Locks | Should -Be 'HostPort, FlashJtag'
        $meter.HostMessagesReceived | Should -Be 0
        $run.Text | Should -Not -Match ([regex]::Escape($password))
        $meter | Stop-ProvNodeSimulator
        Get-Content $state -Raw | Should -Not -Match ([regex]::Escape($password))
    }

    It 'provisions over a socat serial pair' -Skip:(-not (Get-Command socat -ErrorAction Ignore)) {
        $pair = New-ProvVirtualSerialPair
        try {
            $meter = Start-ProvNodeSimulator -PortName $pair.PortB -Wrapper opt_psem -BaudRate 9600 -NodeType UNODE -FirmwareVersion 1.0.0
            $meters.Add($meter)
            $run = Invoke-Optical $pair.PortA
            $run.Result.ExitCode | Should -Be 0 -Because $run.Result.Message
            $meter.State.FirmwareSha256 | Should -Be $config.Node.Firmware.Sha256
        }
        finally {
            foreach ($m in $meters) { $m | Stop-ProvNodeSimulator }
            $meters.Clear()
            $pair | Remove-ProvVirtualSerialPair
        }
    }

    It 'gives 3 for a wrong password, says to check -OpticalPassword, and writes nothing to the node' {
        $meter = Start-Meter @{ OpticalPassword = $secure }
        $run = Invoke-Optical $meter.Endpoint @{ OpticalPassword = (ConvertTo-SecureString 'not-the-one' -AsPlainText -Force) }
        $run.Result.ExitCode | Should -Be 3 -Because $run.Result.Message
        $run.Result.Message | Should -Match 'refused the optical port password'
        $run.Result.Message | Should -Match '-OpticalPassword'
        $run.Errors.Count | Should -Be 1
        $run.Text | Should -Not -Match 'not-the-one'
        $run.Text | Should -Not -Match ([regex]::Escape($password))
        $meter.State.FirmwareWrites | Should -Be 0
    }

    It 'gives 3 when the meter wants a password and none is given' {
        $meter = Start-Meter @{ OpticalPassword = $secure }
        $run = Invoke-Optical $meter.Endpoint
        $run.Result.ExitCode | Should -Be 3 -Because $run.Result.Message
        $run.Result.Message | Should -Match '-OpticalPassword'
        $meter.State.FirmwareWrites | Should -Be 0
    }

    It 'gives 68 naming the optical probe when the meter answers NAK to every packet' {
        $meter = Start-Meter @{ OpticalNakEveryPacket = $true }
        $run = Invoke-Optical $meter.Endpoint
        $run.Result.ExitCode | Should -Be 68 -Because $run.Result.Message
        $run.Result.Message | Should -Match 'NAK'
        $run.Result.Message | Should -Match 'optical probe'
    }

    It 'gives 68 when the meter refuses Negotiate, and goes on at 64-byte packets when it lacks the service' {
        $refusing = Start-Meter @{ OpticalRefuseNegotiate = 'Err' }
        $run = Invoke-Optical $refusing.Endpoint
        $run.Result.ExitCode | Should -Be 68 -Because $run.Result.Message
        $run.Result.Message | Should -Match 'Negotiate'

        $without = Start-Meter @{ OpticalRefuseNegotiate = 'Sns' }
        $run = Invoke-Optical $without.Endpoint
        $run.Result.ExitCode | Should -Be 0 -Because $run.Result.Message
        $without.State.FirmwareSha256 | Should -Be $config.Node.Firmware.Sha256
    }

    It 'gives 4 when nothing answers on the port' {
        $silent = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -Wrapper none -Silent
        $meters.Add($silent)
        $run = Invoke-Optical $silent.Endpoint
        $run.Result.ExitCode | Should -Be 4 -Because $run.Result.Message
        $run.Result.Message | Should -Match 'optical probe'
    }

    It 'refuses a password longer than C12.18 allows with code 3' {
        $meter = Start-Meter
        $run = Invoke-Optical $meter.Endpoint @{ OpticalPassword = (ConvertTo-SecureString ('x' * 21) -AsPlainText -Force) }
        $run.Result.ExitCode | Should -Be 3 -Because $run.Result.Message
        $run.Result.Message | Should -Match 'at most 20'
    }
}
