# The factory gateway as a line uses it: Start-ProvGatewaySimulator, node simulators started with -Gateway and provisioned by
# Invoke-NodeProvision -FactoryConfig (over TCP and over a socat serial pair), and the station's GatewayClient on the control
# port: join, clear, field config, never-join, TLS with and without the certificate files, 1.x, and the codes 132-141.
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    . "$PSScriptRoot/NodeSimulatorHelpers.ps1"
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server"
    $network = New-TestNetwork -Root "$TestDrive/net"
    $in = New-TestPackageInput -Root "$TestDrive/in" -Network $network
    # A factory configuration naming the factory network, as a line's packaging makes it; the field one names none.
    Set-Content -Path "$TestDrive/in/cfg/factory.cfg" -Value "# factory test configuration`nchannel=3`nnetwork_id=factory" -NoNewline
    $in.NodeFactoryConfig = "$TestDrive/in/cfg/factory.cfg"
    $in.ConfigId = '4200'; $in.ConfigAlias = @('ota_line')
    $package = New-ProvPackage @in -Path "$TestDrive/ota.tar.gz"
    $null = Import-ProvPackage $package.Path -Passphrase (ConvertTo-TestSecret $network.Passphrase)
    $script:token = New-ProvStationToken -Name 'ota station'
    $null = Connect-ProvServer -Uri $server.Uri -Token $token.Token
    $script:started = [System.Collections.Generic.List[object]]::new()

    function script:Start-TestGateway([hashtable] $With = @{}) {
        $gw = Start-ProvGatewaySimulator -ControlPort 0 -JoinDelay 0.3 @With -ErrorAction Stop
        $started.Add($gw); $gw
    }
    function script:Start-RadioNode([uint32] $NodeId, $Gateway, [string] $PortName) {
        $sim = if ($PortName) { Start-ProvNodeSimulator -PortName $PortName -NodeId $NodeId -NodeType UNODE -Gateway $Gateway }
               else { Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId $NodeId -NodeType UNODE -Gateway $Gateway }
        $started.Add($sim); $sim
    }
    # The station's side, through the module's own assembly.
    function script:Connect-TestGateway($Gateway, [hashtable] $With = @{}) {
        $o = @{ Host = '127.0.0.1'; ControlPort = $Gateway.ControlPort; ResponseTimeout = [TimeSpan]::FromSeconds(3); PollInterval = [TimeSpan]::FromMilliseconds(200) }
        foreach ($k in $With.Keys) { $o[$k] = $With[$k] }
        [Provisioning.Core.Gateway.GatewayClient]::ConnectAsync([Provisioning.Core.Gateway.GatewayOptions]$o, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
    }
    function script:Wait-TestJoin($Client, [uint32] $NodeId, [double] $Seconds = 20) {
        $Client.WaitForJoinAsync($NodeId, [TimeSpan]::FromSeconds($Seconds), [Threading.CancellationToken]::None).GetAwaiter().GetResult()
    }
    function script:Close-TestGateway($Client) { if ($Client) { $null = $Client.DisposeAsync().AsTask().GetAwaiter().GetResult() } }
    # The Table 4 code of a GatewayException the script throws (0 when it throws none).
    function script:Get-GatewayCode([scriptblock] $Script) {
        try { $null = & $Script; 0 }
        catch {
            $e = $_.Exception
            while ($e -and $e -isnot [Provisioning.Core.Gateway.GatewayException]) { $e = $e.InnerException }
            if (-not $e) { throw }
            $script:lastGatewayError = $e.Message
            [int]$e.Code
        }
    }
    function script:Wait-Until([scriptblock] $Condition, [double] $Seconds = 20, [string] $What) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $Seconds s waiting for $What" }
            Start-Sleep -Milliseconds 50
        }
    }
    function script:Invoke-OpenSsl {
        $output = & openssl @args 2>&1
        if ($LASTEXITCODE -ne 0) { throw "openssl $($args[0]) failed: $output" }
    }
}
AfterAll {
    foreach ($o in $started) {
        if ($o -is [Provisioning.Core.Node.Simulator.NodeSimulator]) { $o | Stop-ProvNodeSimulator }
        else { $o | Stop-ProvGatewaySimulator }
    }
    Stop-TestServer $server
}

Describe 'Start-ProvGatewaySimulator' {
    It 'returns the control port and the radio endpoint, and shows them in a table' {
        $gw = Start-TestGateway
        $gw.ControlPort | Should -BeGreaterThan 0
        $gw.RadioEndpoint | Should -Match '^127\.0\.0\.1:\d+$'
        $gw.NetworkId | Should -Be 'factory'
        $gw.Version | Should -Be '2.4'
        $gw.IsRunning | Should -BeTrue
        ($gw | Format-Table | Out-String) | Should -Match "$($gw.ControlPort)\s+$([regex]::Escape($gw.RadioEndpoint))\s+factory"
        $gw | Stop-ProvGatewaySimulator
        $gw.IsRunning | Should -BeFalse
        Get-GatewayCode { Connect-TestGateway $gw } | Should -Be 132
    }

    It 'starts nothing with -WhatIf' {
        $port = Get-FreeTcpPort
        Start-ProvGatewaySimulator -ControlPort $port -WhatIf | Should -BeNullOrEmpty
        $probe = [Net.Sockets.TcpClient]::new()
        try { { $probe.Connect('127.0.0.1', $port) } | Should -Throw } finally { $probe.Dispose() }
    }

    It 'refuses a network ID that no configuration line could name, and a control port in use' {
        Start-ProvGatewaySimulator -ControlPort 0 -NetworkId 'two words' -ErrorVariable bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $bad[0].FullyQualifiedErrorId | Should -Match '^InvalidGatewaySimulatorOptions'
        "$($bad[0])" | Should -Match "'two words' is not a network ID"
        $gw = Start-TestGateway
        Start-ProvGatewaySimulator -ControlPort $gw.ControlPort -ErrorVariable taken -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $taken[0].FullyQualifiedErrorId | Should -Match '^GatewaySimulatorPortUnavailable'
        "$($taken[0])" | Should -Match 'Choose another port'
    }

    It 'takes -Tls only with a certificate file' {
        (Get-Command Start-ProvGatewaySimulator).Parameters.CertificatePath.ParameterSets.Tls.IsMandatory | Should -BeTrue
        Start-ProvGatewaySimulator -ControlPort 0 -Tls -CertificatePath "$TestDrive/none.crt" -ErrorVariable missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$($missing[0])" | Should -Match 'none\.crt'
    }
}

Describe 'A node in range of the gateway' {
    It 'joins after Invoke-NodeProvision -FactoryConfig over TCP, and leaves on its field configuration' {
        $gw = Start-TestGateway
        $sim = Start-RadioNode -NodeId 0x4201 -Gateway $gw
        $sim.RadioState | Should -Be 'Idle'
        $r = Invoke-NodeProvision -Port $sim.Endpoint -ConfigAlias ota_line -Batch 4200 -FactoryConfig -SkipKeys -SkipLock
        $r.ExitCode | Should -Be 0
        $client = Connect-TestGateway $gw
        try {
            $status = Wait-TestJoin $client 0x4201
            $status.State | Should -Be 'Joined'
            $status.NetworkId | Should -Be 'factory'
            Wait-Until { $sim.RadioState -eq 'Joined' } -What 'the node to see its join'
            $sim.State.FactoryNetworkId | Should -Be 'factory'

            $r = Invoke-NodeProvision -Port $sim.Endpoint -ConfigAlias ota_line -Batch 4200 -SkipKeys -SkipLock
            $r.ExitCode | Should -Be 0
            Wait-Until { $sim.RadioState -eq 'Idle' -and $gw.NodesInRange -eq 0 } -What 'the node to leave the factory network'
            $sim.State.ActiveConfig | Should -Be 'FieldConfig'
        }
        finally { Close-TestGateway $client }
    }

    It 'joins over a socat serial pair, is cleared, and joins again with a newer join time' -Skip:(-not (Get-Command socat -ErrorAction Ignore)) {
        $pair = New-ProvVirtualSerialPair -Path "$TestDrive/ports"
        try {
            $gw = Start-TestGateway
            $sim = Start-RadioNode -NodeId 0x4202 -Gateway $gw.RadioEndpoint -PortName $pair.PortB
            $r = Invoke-NodeProvision -Port $pair.PortA -ConfigAlias ota_line -Batch 4200 -FactoryConfig -SkipKeys -SkipLock
            $r.ExitCode | Should -Be 0
            $client = Connect-TestGateway $gw
            try {
                $first = Wait-TestJoin $client 0x4202
                $cleared = [DateTimeOffset]::UtcNow
                $null = $client.ClearNodeAsync(0x4202, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
                $client.GetNodeStatusAsync(0x4202, [Threading.CancellationToken]::None).GetAwaiter().GetResult().State | Should -Be 'Unknown'
                $again = Wait-TestJoin $client 0x4202
                $again.JoinedAt | Should -BeGreaterThan $first.JoinedAt
                $again.JoinedAt.AddMilliseconds(1) | Should -BeGreaterOrEqual $cleared
                $gw.Joins | Should -Be 2
                ($gw.Events -join "`n") | Should -Match 'node 0x00004202 cleared'
            }
            finally { Close-TestGateway $client }
            $sim | Stop-ProvNodeSimulator
        }
        finally { $pair | Remove-ProvVirtualSerialPair }
    }

    It 'never joins a gateway with the NeverJoin fault: 134, and never before the timeout' {
        $gw = Start-TestGateway @{ Fault = 'NeverJoin' }
        $sim = Start-RadioNode -NodeId 0x4203 -Gateway $gw
        (Invoke-NodeProvision -Port $sim.Endpoint -ConfigAlias ota_line -Batch 4200 -FactoryConfig -SkipKeys -SkipLock).ExitCode | Should -Be 0
        Wait-Until { $gw.NodesInRange -eq 1 } -What 'the node in range'
        $client = Connect-TestGateway $gw
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            Get-GatewayCode { Wait-TestJoin $client 0x4203 -Seconds 2 } | Should -Be 134
            $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 2
            $lastGatewayError | Should -Match 'did not join'
            $sim.RadioState | Should -Be 'Joining'
        }
        finally { Close-TestGateway $client }
    }

    It 'is refused by the gateway of another network' {
        $gw = Start-TestGateway @{ NetworkId = 'line-9' }
        $sim = Start-RadioNode -NodeId 0x4204 -Gateway $gw
        (Invoke-NodeProvision -Port $sim.Endpoint -ConfigAlias ota_line -Batch 4200 -FactoryConfig -SkipKeys -SkipLock).ExitCode | Should -Be 0
        Wait-Until { $sim.RadioState -eq 'Rejected' } -What 'the refusal'
        $gw.GetNodeStatus(0x4204).State | Should -Be 'Unknown'
    }
}

Describe 'The station on the control port' {
    It 'speaks 1.x to a gateway started with -Csys1x, and gets 140 when the versions differ' {
        $old = Start-TestGateway @{ Csys1x = $true }
        $old.Version | Should -Be '1.9'
        Get-GatewayCode { Connect-TestGateway $old } | Should -Be 140
        $lastGatewayError | Should -Match '1\.9'
        $client = Connect-TestGateway $old @{ Csys1x = $true }
        try { $client.GetNodeStatusAsync(5, [Threading.CancellationToken]::None).GetAwaiter().GetResult().State | Should -Be 'Unknown' }
        finally { Close-TestGateway $client }
        Get-GatewayCode { Connect-TestGateway (Start-TestGateway) @{ Csys1x = $true } } | Should -Be 140
    }

    It 'gets 132 from an unreachable gateway and 133 from error answers' {
        $hung = Start-TestGateway @{ Fault = 'Unreachable' }
        Get-GatewayCode { Connect-TestGateway $hung @{ ResponseTimeout = [TimeSpan]::FromSeconds(1) } } | Should -Be 132
        $failing = Start-TestGateway @{ Fault = 'ErrorAnswers' }
        $client = Connect-TestGateway $failing
        try { Get-GatewayCode { $client.GetNodeStatusAsync(5, [Threading.CancellationToken]::None).GetAwaiter().GetResult() } | Should -Be 133 }
        finally { Close-TestGateway $client }
        $lastGatewayError | Should -Match '500'
    }

    It 'talks TLS with the certificate files, and gets 141 without them' -Skip:(-not (Get-Command openssl -ErrorAction Ignore)) {
        $tls = New-Item -ItemType Directory "$TestDrive/tls"
        Invoke-OpenSsl req -x509 -newkey rsa:2048 -nodes -days 30 -subj '/CN=Factory CA' -keyout "$tls/ca.key" -out "$tls/ca.crt"
        Invoke-OpenSsl req -newkey rsa:2048 -nodes -subj '/CN=gateway' -keyout "$tls/gateway.key" -out "$tls/gateway.csr"
        Set-Content "$tls/san.ext" 'subjectAltName=DNS:localhost,IP:127.0.0.1'
        Invoke-OpenSsl x509 -req -in "$tls/gateway.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -days 30 -extfile "$tls/san.ext" -out "$tls/gateway.crt"
        Invoke-OpenSsl req -newkey rsa:2048 -nodes -subj '/CN=station 1' -keyout "$tls/station.key" -out "$tls/station.csr"
        Invoke-OpenSsl x509 -req -in "$tls/station.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -days 30 -out "$tls/station.crt"
        Invoke-OpenSsl pkcs12 -export -in "$tls/station.crt" -inkey "$tls/station.key" -passout 'pass:' -out "$tls/station.pfx"

        $gw = Start-TestGateway @{ Tls = $true; CertificatePath = "$tls/gateway.crt"; CertificateKeyPath = "$tls/gateway.key"; ClientCaCertificatePath = "$tls/ca.crt" }
        $gw.Tls | Should -BeTrue
        $with = @{ UseTls = $true; CaCertificatePath = "$tls/ca.crt"; CertificatePath = "$tls/station.pfx" }
        $sim = Start-RadioNode -NodeId 0x4205 -Gateway $gw
        (Invoke-NodeProvision -Port $sim.Endpoint -ConfigAlias ota_line -Batch 4200 -FactoryConfig -SkipKeys -SkipLock).ExitCode | Should -Be 0
        $client = Connect-TestGateway $gw $with
        try { (Wait-TestJoin $client 0x4205).State | Should -Be 'Joined' }
        finally { Close-TestGateway $client }

        $served = $gw.ControlConnections
        Get-GatewayCode { Connect-TestGateway $gw @{ UseTls = $true; CaCertificatePath = "$tls/missing-ca.crt" } } | Should -Be 141
        $lastGatewayError | Should -Match 'missing-ca\.crt'
        Get-GatewayCode { Connect-TestGateway $gw @{ UseTls = $true; CaCertificatePath = "$tls/ca.crt"; CertificatePath = "$tls/gone.pfx" } } | Should -Be 141
        $gw.ControlConnections | Should -Be $served -Because 'a station missing its files does not connect at all'
        Get-GatewayCode {
            $c = Connect-TestGateway $gw @{ UseTls = $true; CaCertificatePath = "$tls/ca.crt" }
            try { $c.GetNodeStatusAsync(0x4205, [Threading.CancellationToken]::None).GetAwaiter().GetResult() } finally { Close-TestGateway $c }
        } | Should -Be 141
        $lastGatewayError | Should -Match 'client certificate'
    }
}
