# provisioning_client as a factory drives it: a subprocess per device, its options as the guide's client spells them,
# its exit code read as the guide's Table 4 code. A real HTTPS server started with Start-ProvServer -Tls, a station
# token in a file, and real node simulators over TCP and over socat serial pairs.
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    . "$PSScriptRoot/CliTestHelpers.ps1"
    $script:cli = Join-Path $RepoRoot "out/cli/provisioning_client$(if ($IsWindows) { '.exe' })"
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server" -Extra @{ Tls = $true; InformationAction = 'Ignore' }
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $script:config = Get-ProvConfig 69
    $script:tokenFile = "$TestDrive/station.token"
    $token = New-ProvStationToken -Name 'cli line'
    Set-Content -LiteralPath $tokenFile -Value (ConvertFrom-SecureString $token.Token -AsPlainText)
    # The guide's -s ip_addr:port, HTTPS by default, trusting the server's own CA.
    $script:serverArgs = @('-s', "127.0.0.1:$($server.Uri.Port)", '--ca-certificate', $server.CaCertificatePath, '--token-file', $tokenFile)
    $script:nodes = [System.Collections.Generic.List[object]]::new()
    $script:pairs = [System.Collections.Generic.List[object]]::new()

    # Runs the client as a batch file would: arguments as typed, environment variables for the call only.
    function script:Invoke-Client {
        param([string[]] $Arguments, [hashtable] $Environment = @{}, [switch] $NoServerArguments)
        $all = @(if (-not $NoServerArguments) { $serverArgs }) + $Arguments
        Invoke-TestProgram $cli $all -Environment $Environment
    }

    function script:Start-TestNode {
        param([uint32] $NodeId, [hashtable] $With = @{})
        $o = @{ Listen = 'tcp://127.0.0.1:0'; NodeId = $NodeId; NodeType = 'UNODE'; FirmwareVersion = '1.0.0' }
        foreach ($key in $With.Keys) { $o[$key] = $With[$key] }
        if ($o.PortName) { $o.Remove('Listen') }
        $sim = Start-ProvNodeSimulator @o
        $nodes.Add($sim)
        $sim
    }
}
AfterAll {
    $nodes | Stop-ProvNodeSimulator -ErrorAction Ignore
    $pairs | Remove-ProvVirtualSerialPair -ErrorAction Ignore
    Stop-TestServer $server
}

Describe 'provisioning_client options and help' {
    It 'is built by ./build.ps1 Build' {
        $cli | Should -Exist
    }

    It 'shows every option of the guide''s client in -h and --help, and exits 0' -ForEach @(@{ Flag = '-h' }, @{ Flag = '--help' }) {
        $r = Invoke-Client @($Flag) -NoServerArguments
        $r.ExitCode | Should -Be 0
        foreach ($option in '-d, --device', '-s,', '--server', '-B, --batch', '-p, --config-id', '--config-alias', '--disable-ssl', '-b, --baud',
            '-wrapper', '--factory-config', '--skip-keys', '--skip_lock', '--verbosity <0-2>', '--logfile', '--path_trans_from', '--path_trans_to',
            '--token-file', '--certificate ', '--ca-certificate', '--certificate-thumbprint', '--first-contact-timeout', '--response-timeout', '--resends') {
            $r.Output | Should -Match ([regex]::Escape($option)) -Because "the help lists $option"
        }
        $r.Output | Should -Match 'Table 4'
    }

    It 'exits 3 with a message for <Name>' -ForEach @(
        @{ Name = 'an unknown option'; Arguments = @('-d', 'tcp://127.0.0.1:1', '-B', '1', '-p', '69', '--no-such-option'); Text = "Unrecognized command or argument '--no-such-option'" }
        @{ Name = '--verbosity=3'; Arguments = @('-d', 'tcp://127.0.0.1:1', '-B', '1', '-p', '69', '--verbosity=3'); Text = '--verbosity takes 0, 1 or 2' }
        @{ Name = 'a baud rate that is not a number'; Arguments = @('-d', 'tcp://127.0.0.1:1', '-B', '1', '-p', '69', '-b', 'fast'); Text = 'fast' }
        @{ Name = 'no device'; Arguments = @('-B', '1', '-p', '69'); Text = 'No device given' }
        @{ Name = 'no batch'; Arguments = @('-d', 'tcp://127.0.0.1:1', '-p', '69'); Text = 'No batch given' }
        @{ Name = 'an octal batch with the digit 8'; Arguments = @('-d', 'tcp://127.0.0.1:1', '-B', '05082011', '-p', '69'); Text = 'octal' }
        @{ Name = 'both --config-id and --config-alias'; Arguments = @('-d', 'tcp://127.0.0.1:1', '-B', '1', '--config-id=69', '--config-alias=kite_170'); Text = 'not both' }
        @{ Name = 'neither --config-id nor --config-alias'; Arguments = @('-d', 'tcp://127.0.0.1:1', '-B', '1'); Text = 'No configuration given' }
        @{ Name = 'a zero first-contact timeout'; Arguments = @('-d', 'tcp://127.0.0.1:1', '-B', '1', '-p', '69', '--first-contact-timeout', '0'); Text = '--first-contact-timeout 0 s is out of range' }
        @{ Name = '--path_trans_from without --path_trans_to'; Arguments = @('-d', 'tcp://127.0.0.1:1', '-B', '1', '-p', '69', '--path_trans_from=/workspace'); Text = 'go together' }
        @{ Name = 'a CA certificate with --disable-ssl'; Arguments = @('-d', 'tcp://127.0.0.1:1', '-B', '1', '-p', '69', '--disable-ssl'); Text = 'work over HTTPS' }
    ) {
        $r = Invoke-Client $Arguments
        $r.ExitCode | Should -Be 3 -Because $r.Output
        $r.Output | Should -Match '^CRIT  '
        $r.Output | Should -Match 'Invalid arguments: '
        $r.Output | Should -Match ([regex]::Escape($Text))
        $r.Output | Should -Match '--help'
    }

    It 'exits 3 without a server or without credentials, saying how to give them' {
        $r = Invoke-Client @('-d', 'tcp://127.0.0.1:1', '-B', '1', '-p', '69') -NoServerArguments
        $r.ExitCode | Should -Be 3
        $r.Output | Should -Match 'No server given: name the provisioning server with -s'
        $r = Invoke-Client @('-d', 'tcp://127.0.0.1:1', '-B', '1', '-p', '69', '-s', '127.0.0.1') -NoServerArguments -Environment @{ PROV_STATION_TOKEN = $null }
        $r.ExitCode | Should -Be 3
        $r.Output | Should -Match '--token-file'
        $r.Output | Should -Match 'PROV_STATION_TOKEN'
    }
}

Describe 'provisioning_client against simulated nodes' {
    It 'provisions a node over TCP, exits 0, and the server holds its key; the options are spelled as in the guide' {
        $sim = Start-TestNode 0x9001
        $r = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '--config-id=0x45')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match '^INFO  Result 0 \(Success\), node 0x00009001'
        $sim.State.FirmwareVersion | Should -Be $config.NodeVersion
        $sim.State.Locks | Should -Not -Be 'None'
        $device = Get-ProvDevice -NodeId 0x9001 -Server $server
        $device.Status | Should -Be 'confirmed'
        $device.Batch | Should -Be 9000
        $device.Kcv | Should -Be (Get-TestKeyCheckValue $sim.ReadKey('Root'))
    }

    It 'speaks opt_psem at 9600 baud with the meter''s password from PROV_OPTICAL_PASSWORD, and exits 3 naming the password when it is wrong' {
        $secure = ConvertTo-SecureString 'optical-2026' -AsPlainText -Force
        # The node already runs the package's firmware, so only configuration and keys cross the slow optical line.
        $sim = Start-TestNode 0x9005 @{ Wrapper = 'opt_psem'; BaudRate = 9600; OpticalPassword = $secure; FirmwareVersion = $config.NodeVersion }
        $r = Invoke-Client @('-d', $sim.Endpoint, '-b', '9600', '--wrapper=opt_psem', '-B', '9000', '-p', '69') -Environment @{ PROV_OPTICAL_PASSWORD = 'optical-2026' }
        $r.ExitCode | Should -Be 0 -Because $r.Output
        (Get-ProvDevice -NodeId 0x9005 -Server $server).Status | Should -Be 'confirmed'
        $r.Output | Should -Not -Match 'optical-2026'

        $wrong = Start-TestNode 0x9006 @{ Wrapper = 'opt_psem'; BaudRate = 9600; OpticalPassword = $secure; FirmwareVersion = $config.NodeVersion }
        $r = Invoke-Client @('-d', $wrong.Endpoint, '-b', '9600', '--wrapper=opt_psem', '-B', '9000', '-p', '69') -Environment @{ PROV_OPTICAL_PASSWORD = 'not-the-one' }
        $r.ExitCode | Should -Be 3 -Because $r.Output
        $r.Output | Should -Match 'password'
        $r.Output | Should -Not -Match 'not-the-one'
    }

    It 'provisions over a socat serial pair with -wrapper=orw and -b, as the guide writes them' -Skip:(-not (Get-Command socat -ErrorAction Ignore)) {
        $pair = New-ProvVirtualSerialPair
        $pairs.Add($pair)
        $sim = Start-TestNode 0x9002 -With @{ PortName = $pair.PortB; Wrapper = 'orw' }
        $r = Invoke-Client @('-d', $pair.PortA, '-b', '115200', '-wrapper=orw', '-B', '9000', '--config-alias=kite_170')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        (Get-ProvDevice -NodeId 0x9002 -Server $server).Status | Should -Be 'confirmed'
    }

    It 'with --factory-config --skip-keys --skip_lock writes the factory configuration, no key, and leaves the node unlocked' {
        $sim = Start-TestNode 0x9003
        $r = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '-p', '69', '--factory-config', '--skip-keys', '--skip_lock')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $sim.State.FactoryConfigSha256 | Should -Be $config.Node.FactoryConfig.Sha256
        $sim.State.Locks | Should -Be 'None'
        $sim.State.KeyCheckValues.Count | Should -Be 0
    }

    It 'prints critical lines only with --verbosity=0, the result with 1 (the default), every step with its time with 2' {
        $sim = Start-TestNode 0x9004
        $quiet = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '-p', '69', '--verbosity=0')
        $quiet.ExitCode | Should -Be 0
        $quiet.Output.Trim() | Should -BeNullOrEmpty
        $normal = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '-p', '69')
        @($normal.Output.Trim() -split '\r?\n').Count | Should -Be 1
        $debug = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '-p', '69', '--verbosity', '2', '--force')
        $debug.ExitCode | Should -Be 0
        $debug.Output | Should -Match 'DEBUG Provisioning .* wrapper none; first contact 2 s, response 2 s, 3 resends'
        $debug.Output | Should -Match 'DEBUG Node 0x00009004: type UNODE'
        $debug.Output | Should -Match 'DEBUG Firmware took \d+\.\d{3} s'
        $debug.Output | Should -Match 'DEBUG WritingKeys took'
        $debug.Output | Should -Match 'INFO  Result 0'
    }

    It 'writes a timestamped log a support engineer can read with --logfile: port, node ID, steps with timings, timeouts, code' {
        $sim = Start-TestNode 0x9005 -With @{ CorruptEveryNthByte = 300 }
        $log = "$TestDrive/logs/line1.log"
        $r = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '-p', '69', "--logfile=$log", '--verbosity=0', '--response-timeout', '1.5', '--resends', '6')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $lines = Get-Content $log
        $lines | ForEach-Object { $_ | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |CRIT ) tcp://127\.0\.0\.1:\d+  ' }
        $text = $lines -join "`n"
        $text | Should -Match 'response 1\.5 s, 6 resends'
        $text | Should -Match 'Node 0x00009005'
        $text | Should -Match 'Firmware took \d+\.\d{3} s'
        # The line damages the node's answers: the log says how many messages went again.
        $text | Should -Match 'WARN .* took \d+\.\d{3} s with \d+ messages sent again'
        $text | Should -Match 'INFO .* Result 0 \(Success\), node 0x00009005, \d+\.\d{3} s; link: \d+ resends'
        # A second run appends: one log per line, read in order.
        $null = Invoke-Client @('-d', "tcp://127.0.0.1:$(Get-FreeTcpPort)", '-B', '9000', '-p', '69', "--logfile=$log", '--verbosity=0')
        (Get-Content $log)[-1] | Should -Match 'CRIT .* Result 4 \(NoDevice\)'
    }

    It 'exits 4 within the --first-contact-timeout given when <Name>' -ForEach @(
        @{ Name = 'nothing listens on the TCP port'; Kind = 'tcp' }
        @{ Name = 'the serial port does not exist'; Kind = 'serial' }
        @{ Name = 'the device never answers'; Kind = 'silent' }
    ) {
        $port = switch ($Kind) {
            'tcp' { "tcp://127.0.0.1:$(Get-FreeTcpPort)" }
            'serial' { '/dev/ttyNOPE0' }
            'silent' { (Start-TestNode 0x9006 -With @{ Silent = $true }).Endpoint }
        }
        $r = Invoke-Client @('-d', $port, '-B', '9000', '-p', '69', '--first-contact-timeout', '0.8')
        $r.ExitCode | Should -Be 4 -Because $r.Output
        $r.Output | Should -Match 'CRIT  Result 4 \(NoDevice\)'
        $r.Output | Should -Match 'Unable to communicate with device under test'
        $r.Output | Should -Match ([regex]::Escape($port))
        if ($Kind -eq 'silent') { $r.Output | Should -Match 'within 0\.8 s' }
    }

    It 'exits 36 when the link drops mid-firmware' {
        $sim = Start-TestNode 0x9007 -With @{ DropLinkAfterBytes = 20000 }
        $r = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '-p', '69')
        $r.ExitCode | Should -Be 36 -Because $r.Output
        $r.Output | Should -Match 'Message to node failed: .*while writing firmware'
    }

    It 'exits 38 when the key check values do not match' {
        $sim = Start-TestNode 0x9008 -With @{ FailKeyVerification = $true }
        $r = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '-p', '69')
        $r.ExitCode | Should -Be 38 -Because $r.Output
        $r.Output | Should -Match 'Verification of node provisioning failed: .*stays pending'
    }

    It 'exits <Code> when <Name>' -ForEach @(
        @{ Name = 'the node speaks another protocol version'; Code = 39; With = @{ ProtocolVersion = [byte]2 }; Text = 'speaks node protocol version 2' }
        @{ Name = 'the calibration record is missing'; Code = 41; With = @{ Calibration = 'Missing' }; Text = 'calibration record as missing' }
        @{ Name = 'the config does not fit the node'; Code = 42; With = @{ ConfigCapacity = [uint32]100 }; Text = 'holds at most 100' }
        @{ Name = 'the node is of another node type'; Code = 43; With = @{ NodeType = 'DNODE' }; Text = "is a 'DNODE'" }
        @{ Name = 'the node rejects the firmware'; Code = 43; With = @{ RejectFirmware = $true }; Text = 'ImageRejected' }
    ) {
        $sim = Start-TestNode 0x9009 -With $With
        $r = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '-p', '69')
        $r.ExitCode | Should -Be $Code -Because $r.Output
        $r.Output | Should -Match ([regex]::Escape($Text))
    }

    It 'exits 40 when the node''s hardware type is not one the package supports' {
        if (-not (Get-Command New-ProvPackage).Parameters.ContainsKey('HardwareType')) {
            Set-ItResult -Skipped -Because 'New-ProvPackage has no -HardwareType yet (ConfigInfo.HardwareTypes comes from the package manifest)'
            return
        }
        $p = New-TestServerPackage -Root "$TestDrive/hw" -ConfigId 9040 -ConfigAlias 'rev_c_cli' -Network $pkg.Network -HardwareType 'rev-c'
        $null = Import-ProvPackage $p.Path -Passphrase $p.Passphrase
        $sim = Start-TestNode 0x9040 -With @{ HardwareType = 'rev-b' }
        $r = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '--config-alias=rev_c_cli')
        $r.ExitCode | Should -Be 40 -Because $r.Output
    }

    It 'exits 44 with --factory-config when the package has no factory configuration' {
        $in = New-TestPackageInput -Root "$TestDrive/nofactory" -Network $pkg.Network
        $in.Remove('NodeFactoryConfig'); $in.ConfigId = '9044'; $in.ConfigAlias = @('no_factory_cli')
        $p = New-ProvPackage @in -Path "$TestDrive/nofactory.tar.gz"
        $null = Import-ProvPackage $p.Path -Passphrase $pkg.Passphrase
        $sim = Start-TestNode 0x9044
        $r = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '--config-alias=no_factory_cli', '--factory-config')
        $r.ExitCode | Should -Be 44 -Because $r.Output
        $r.Output | Should -Match 'has no factory configuration'
    }

    It 'exits 37 when the node answers an error it should not (firmware larger than it holds)' {
        $in = New-TestPackageInput -Root "$TestDrive/bigfw" -Network $pkg.Network
        $in.NodeFirmware = New-TestFile "$TestDrive/bigfw/huge.bin" (5MB)
        $in.ConfigId = '9037'; $in.ConfigAlias = @('big_firmware_cli')
        $p = New-ProvPackage @in -Path "$TestDrive/bigfw.tar.gz"
        $null = Import-ProvPackage $p.Path -Passphrase $pkg.Passphrase
        $sim = Start-TestNode 0x9037
        $r = Invoke-Client @('-d', $sim.Endpoint, '-B', '9000', '--config-alias=big_firmware_cli')
        $r.ExitCode | Should -Be 37 -Because $r.Output
        $r.Output | Should -Match 'ImageTooLarge'
    }
}

Describe 'provisioning_client when the server cannot serve' {
    It 'exits 101 for a config ID the server does not have' {
        $r = Invoke-Client @('-d', 'tcp://127.0.0.1:1', '-B', '1', '-p', '12345')
        $r.ExitCode | Should -Be 101 -Because $r.Output
        $r.Output | Should -Match 'config ID 12345'
    }

    It 'exits 102 when a repository file no longer matches its hash, and 108 when it is missing' {
        $p = New-TestServerPackage -Root "$TestDrive/pkg102" -ConfigId 9102 -ConfigAlias 'altered_cli' -Network $pkg.Network
        $null = Import-ProvPackage $p.Path -Passphrase $p.Passphrase
        $fw = (Get-ProvConfig 9102).Node.Firmware
        $file = Join-Path $server.DataPath "files/$($fw.Sha256.Substring(0, 2))/$($fw.Sha256)"
        $bytes = [System.IO.File]::ReadAllBytes($file); $bytes[100] = $bytes[100] -bxor 0xFF
        [System.IO.File]::WriteAllBytes($file, $bytes)
        $r = Invoke-Client @('-d', 'tcp://127.0.0.1:1', '-B', '1', '-p', '9102')
        $r.ExitCode | Should -Be 102 -Because $r.Output
        Remove-Item $file
        $r = Invoke-Client @('-d', 'tcp://127.0.0.1:1', '-B', '1', '--config-alias=altered_cli')
        $r.ExitCode | Should -Be 108 -Because $r.Output
        $r.Output | Should -Match $fw.Sha256
    }

    It 'exits 100 when no server answers at the address' {
        $r = Invoke-Client @('-d', 'tcp://127.0.0.1:1', '-B', '1', '-p', '69', '-s', "127.0.0.1:$(Get-FreeTcpPort)", '--token-file', $tokenFile) -NoServerArguments
        $r.ExitCode | Should -Be 100 -Because $r.Output
        $r.Output | Should -Match 'Provisioning server unreachable'
    }

    It 'speaks HTTPS unless --disable-ssl: refuses a server its CA did not sign, trusts one by a pinned fingerprint' {
        $sim = Start-TestNode 0x9101
        $otherCa = "$TestDrive/other-ca.crt"
        $rsa = [System.Security.Cryptography.RSA]::Create(2048)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=Someone else', $rsa, 'SHA256', [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
        $ca = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(30))
        Set-Content $otherCa $ca.ExportCertificatePem()
        $refused = Invoke-Client @('-d', $sim.Endpoint, '-B', '1', '-p', '69', '-s', "127.0.0.1:$($server.Uri.Port)", '--ca-certificate', $otherCa, '--token-file', $tokenFile) -NoServerArguments
        $refused.ExitCode | Should -Be 100 -Because $refused.Output
        $refused.Output | Should -Match 'certificate'
        $pin = ([System.Security.Cryptography.X509Certificates.X509Certificate2]::new($server.CaCertificatePath)).GetCertHashString('SHA256')
        $pinned = Invoke-Client @('-d', $sim.Endpoint, '-B', '1', '-p', '69', '-s', "127.0.0.1:$($server.Uri.Port)", '--certificate-thumbprint', $pin) -NoServerArguments -Environment @{ PROV_STATION_TOKEN = (Get-Content $tokenFile) }
        $pinned.ExitCode | Should -Be 0 -Because $pinned.Output
    }
}

Describe 'provisioning_client with a station certificate' {
    BeforeAll {
        $script:mtls = Start-TestServer -Engine SQLite -Root "$TestDrive/mtls" -Extra @{ Tls = $true; RequireClientCertificate = $true; InformationAction = 'Ignore' }
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase -Server $mtls
        $script:pfxPassword = 'line 2 pfx password'
        $null = New-ProvStationCertificate -Name 'line 2' -Path "$TestDrive/line2.pfx" -Password (ConvertTo-TestSecret $pfxPassword) -Server $mtls
    }
    AfterAll { Stop-TestServer $mtls }

    It 'provisions with --certificate, its password from PROV_CERTIFICATE_PASSWORD; a wrong password is code 3' {
        $sim = Start-TestNode 0x9201
        $common = @('-d', $sim.Endpoint, '-B', '9200', '-p', '69', '-s', "127.0.0.1:$($mtls.Uri.Port)", '--ca-certificate', $mtls.CaCertificatePath, '--certificate', "$TestDrive/line2.pfx")
        $r = Invoke-Client $common -NoServerArguments -Environment @{ PROV_CERTIFICATE_PASSWORD = $pfxPassword; PROV_STATION_TOKEN = $null }
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $wrong = Invoke-Client $common -NoServerArguments -Environment @{ PROV_CERTIFICATE_PASSWORD = 'not it'; PROV_STATION_TOKEN = $null }
        $wrong.ExitCode | Should -Be 3 -Because $wrong.Output
        $wrong.Output | Should -Match 'PROV_CERTIFICATE_PASSWORD'
        $wrong.Output | Should -Not -Match ([regex]::Escape($pfxPassword))
        $wrong.Output | Should -Not -Match 'not it'
    }
}

Describe 'examples/factory-line.sh' -Skip:($IsWindows) {
    It 'calls the client per device, reads each exit code, logs each device, and fails the run when one device failed' {
        $good1 = Start-TestNode 0x9301
        $good2 = Start-TestNode 0x9302
        $flaky = Start-TestNode 0x9303 -With @{ DropLinkAfterBytes = 20000 }
        $silent = "tcp://127.0.0.1:$(Get-FreeTcpPort)"
        $work = New-Item -ItemType Directory "$TestDrive/line"
        $env:PROVISIONING_CLIENT = $cli; $env:LOG_DIR = "$work/logs"; $env:RESULTS = "$work/results.csv"
        try {
            $output = & bash "$RepoRoot/examples/factory-line.sh" @serverArgs -B 9300 --config-alias=kite_170 --verbosity=0 -- $good1.Endpoint $flaky.Endpoint $silent $good2.Endpoint 2>&1 | Out-String
            $code = $LASTEXITCODE
        }
        finally { Remove-Item Env:PROVISIONING_CLIENT, Env:LOG_DIR, Env:RESULTS -ErrorAction Ignore }
        $code | Should -Be 1 -Because $output
        $output | Should -Match '3 passed, 1 failed'
        $output | Should -Match 'trying again'
        $rows = Import-Csv "$work/results.csv"
        $rows.port | Should -Be @($good1.Endpoint, $flaky.Endpoint, $silent, $good2.Endpoint)
        $rows.exit_code | Should -Be @('0', '0', '4', '0')
        $rows[2].meaning | Should -Match 'check the cable'
        @(Get-ChildItem "$work/logs" -Filter *.log).Count | Should -Be 4
        # The device whose cable dropped resumed its firmware on the second attempt and was confirmed.
        (Get-ProvDevice -NodeId 0x9303 -Server $server).Status | Should -Be 'confirmed'
        (Get-Content (Get-ChildItem "$work/logs" -Filter '*tcp___127.0.0.1_*' | Where-Object { (Get-Content $_ -Raw) -match '0x00009303' }).FullName) -join "`n" |
            Should -Match '(?s)Result 36.*Result 0'
    }

    It 'exits 3 with its usage when no port is given' {
        $output = & bash "$RepoRoot/examples/factory-line.sh" -B 1 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 3
        $output | Should -Match 'usage:'
    }
}

Describe 'provisioning_client as a dotnet tool' {
    It 'packs as a tool that installs with dotnet tool install and runs as provisioning_client' {
        $feed = New-Item -ItemType Directory "$TestDrive/feed"
        $tools = "$TestDrive/tools"
        & dotnet pack "$RepoRoot/src/Provisioning.Cli/Provisioning.Cli.csproj" -c Release --no-build --nologo -v quiet -o $feed | Out-Null
        $LASTEXITCODE | Should -Be 0
        $nupkg = @(Get-ChildItem $feed -Filter 'provisioning_client.*.nupkg')
        $nupkg.Count | Should -Be 1
        # Only the local feed: a package of the same name elsewhere must not stand in for the one just packed.
        Set-Content "$TestDrive/nuget.config" "<configuration><packageSources><clear /><add key=`"local`" value=`"$feed`" /></packageSources></configuration>"
        & dotnet tool install provisioning_client --tool-path $tools --configfile "$TestDrive/nuget.config" 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $help = & (Join-Path $tools "provisioning_client$(if ($IsWindows) { '.exe' })") --help | Out-String
        $LASTEXITCODE | Should -Be 0
        $help | Should -Match '--config-alias'
    }
}
