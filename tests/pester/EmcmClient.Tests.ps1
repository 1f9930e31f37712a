# emcm_provision and emcm_factory as a factory drives them (guide Appendix D, Tables 8-16): a subprocess per device,
# the options as the guide spells them, the exit code read as the guide's Table 4 code. Both run as subcommands of
# provisioning_client and as executables of their own name (./build.ps1 Build lays them out in out/cli).
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    . "$PSScriptRoot/CliTestHelpers.ps1"
    $exe = if ($IsWindows) { '.exe' } else { '' }
    $script:client = Join-Path $RepoRoot "out/cli/provisioning_client$exe"
    $script:commands = @{
        emcm_provision = Join-Path $RepoRoot "out/cli/emcm_provision$exe"
        emcm_factory   = Join-Path $RepoRoot "out/cli/emcm_factory$exe"
    }

    # Runs a command as a batch file would: arguments as typed, environment variables for the call only. -Via Client
    # runs it as a subcommand of provisioning_client instead of by its own executable.
    function script:Invoke-Emcm {
        param([string] $Command, [string[]] $Arguments, [hashtable] $Environment = @{}, [ValidateSet('Name', 'Client')] [string] $Via = 'Name')
        $file = if ($Via -eq 'Name') { $script:commands[$Command] } else { $script:client }
        $all = @(if ($Via -eq 'Client') { $Command }) + $Arguments
        Invoke-TestProgram $file $all -Environment $Environment
    }
}

Describe 'emcm_provision and emcm_factory: the command lines of guide Tables 8-16' {
    BeforeAll {
        # Nothing listens on these: a command line that parses goes on to the device and the server and fails there,
        # with a code that is not 3; one that does not parse stops at 3 before touching either.
        $script:deadPort = "tcp://127.0.0.1:$(Get-FreeTcpPort)"
        $script:deadServer = "127.0.0.1:$(Get-FreeTcpPort)"
        $script:token = @{ PROV_STATION_TOKEN = 'a-token-no-server-checks' }
        $script:base = @('-d', $deadPort, '-s', $deadServer, '-B', '1000', '-p', '69', '--first-contact-timeout', '0.5')
        # The base command line without one of its options (and its value), for a case that gives it another way.
        function script:Get-BaseWithout([string] $Option) {
            for ($i = 0; $i -lt $base.Count; $i++) {
                if ($Option -and $base[$i] -eq $Option) { $i++; continue }
                $base[$i]
            }
        }
    }

    It 'is laid out by ./build.ps1 Build as <_> beside provisioning_client' -ForEach @('emcm_provision', 'emcm_factory') {
        $commands[$_] | Should -Exist
    }

    It '<Command> -h (run <Via>) shows every option of the guide''s tables and exits 0' -ForEach @(
        @{ Command = 'emcm_provision'; Via = 'Name'; Flag = '-h' }
        @{ Command = 'emcm_provision'; Via = 'Client'; Flag = '--help' }
        @{ Command = 'emcm_factory'; Via = 'Name'; Flag = '-h' }
        @{ Command = 'emcm_factory'; Via = 'Client'; Flag = '--help' }
    ) {
        $r = Invoke-Emcm $Command @($Flag) -Via $Via
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $usage = if ($Via -eq 'Name') { "Usage:\s+$Command " } else { "Usage:\s+provisioning_client $Command " }
        $r.Output | Should -Match $usage
        $common = '-d, --device', '-b, --baud', '-wrapper', '-s, --prov_srvr, --server', '--disable-ssl', '--skip_lock', '-p, --config-id',
            '--config-alias', '--verbosity <0-2>', '--logfile', '-B, --batch', '--path_trans_from', '--path_trans_to', '--partial_mcm_id',
            '--token-file', '--certificate ', '--ca-certificate', '--certificate-thumbprint'
        $own = if ($Command -eq 'emcm_provision') { '--factory-config', '--skip-keys' }
        else { 'PRETEST|CHECKCONFIG|POSTTEST', '-g, --gateway', '--control_port', '--csys_1_x', '-t, --timeout', '--enable-ssl', '--gateway-tls',
            '--gateway-ca-certificate', '--gateway-certificate' }
        foreach ($option in $common + $own) {
            $r.Output | Should -Match ([regex]::Escape($option)) -Because "the help of $Command lists $option"
        }
        $r.Output | Should -Match 'Table 4'
        if ($Command -eq 'emcm_factory') {
            $r.Output | Should -Not -Match '--factory-config'
            $r.Output | Should -Match '--timeout <Timeout Value>.*\[default: 600\]'
            $r.Output | Should -Match '--control_port <port>.*\[default: 4021\]'
        }
    }

    It 'provisioning_client -h names both eMCM commands' {
        $help = & $client -h | Out-String
        $help | Should -Match 'emcm_provision'
        $help | Should -Match 'emcm_factory <PRETEST\|CHECKCONFIG\|POSTTEST>'
    }

    It 'emcm_provision takes <Option> as the guide writes it (run <Via>)' -ForEach @(
        @{ Option = '--device='; Arguments = @('--device=PORT'); Via = 'Name'; Instead = '-d' }
        @{ Option = '-b'; Arguments = @('-b', '9600'); Via = 'Name' }
        @{ Option = '--baud='; Arguments = @('--baud=9600'); Via = 'Client' }
        @{ Option = '-wrapper='; Arguments = @('-wrapper=orw'); Via = 'Name' }
        @{ Option = '--wrapper='; Arguments = @('--wrapper=opt_psem', '-b', '9600'); Via = 'Client' }
        @{ Option = '--server='; Arguments = @('--server=SERVER'); Via = 'Name'; Instead = '-s' }
        @{ Option = '--prov_srvr='; Arguments = @('--prov_srvr=SERVER'); Via = 'Client'; Instead = '-s' }
        @{ Option = '--disable-ssl'; Arguments = @('--disable-ssl'); Via = 'Name' }
        @{ Option = '--factory-config'; Arguments = @('--factory-config'); Via = 'Name' }
        @{ Option = '--skip-keys'; Arguments = @('--skip-keys'); Via = 'Client' }
        @{ Option = '--skip_lock'; Arguments = @('--skip_lock'); Via = 'Name' }
        @{ Option = '--config-id='; Arguments = @('--config-id=0x45'); Via = 'Name'; Instead = '-p' }
        @{ Option = '--config-alias='; Arguments = @('--config-alias=kite_170_node_637_dev_net'); Via = 'Client'; Instead = '-p' }
        @{ Option = '--verbosity=0'; Arguments = @('--verbosity=0'); Via = 'Name' }
        @{ Option = '--verbosity=2'; Arguments = @('--verbosity=2'); Via = 'Client' }
        @{ Option = '--logfile='; Arguments = @('--logfile=LOG'); Via = 'Name' }
        @{ Option = '--batch= (hex)'; Arguments = @('--batch=0x3e8'); Via = 'Name'; Instead = '-B' }
        @{ Option = '--batch= (octal, guide 7.2.4)'; Arguments = @('--batch=05072011'); Via = 'Client'; Instead = '-B' }
        @{ Option = '--path_trans_from= --path_trans_to='; Arguments = @('--path_trans_from=/workspace', '--path_trans_to=z:'); Via = 'Client' }
        @{ Option = '--partial_mcm_id='; Arguments = @('--partial_mcm_id=0a1b2c3d'); Via = 'Name' }
    ) {
        $arguments = @(Get-BaseWithout $Instead) + @($Arguments | ForEach-Object {
                $_.Replace('PORT', $deadPort).Replace('SERVER', $deadServer).Replace('LOG', "$TestDrive/emcm_provision.log") })
        $r = Invoke-Emcm emcm_provision $arguments -Environment $token -Via $Via
        $r.ExitCode | Should -Not -Be 3 -Because $r.Output
        $r.Output | Should -Not -Match 'Invalid arguments'
    }

    It 'emcm_factory takes <Option> as the guide writes it (run <Via>)' -ForEach @(
        @{ Option = 'PRETEST'; Arguments = @('PRETEST'); Via = 'Name' }
        @{ Option = 'CHECKCONFIG'; Arguments = @('CHECKCONFIG'); Via = 'Client' }
        @{ Option = 'POSTTEST'; Arguments = @('POSTTEST'); Via = 'Name' }
        @{ Option = 'the operation first, in lower case'; Arguments = @('pretest'); First = $true; Via = 'Name' }
        @{ Option = '-g'; Arguments = @('-g', '127.0.0.1', 'PRETEST'); Via = 'Name' }
        @{ Option = '--gateway='; Arguments = @('--gateway=localhost', 'POSTTEST'); Via = 'Client' }
        @{ Option = '--control_port='; Arguments = @('--control_port=4021', 'PRETEST'); Via = 'Name' }
        @{ Option = '--csys_1_x'; Arguments = @('--csys_1_x', 'POSTTEST'); Via = 'Name' }
        @{ Option = '-t'; Arguments = @('-t', '30', 'POSTTEST'); Via = 'Name' }
        @{ Option = '--timeout='; Arguments = @('--timeout=600', 'POSTTEST'); Via = 'Client' }
        @{ Option = '--enable-ssl'; Arguments = @('--enable-ssl', 'PRETEST'); Via = 'Name' }
        @{ Option = '--disable-ssl'; Arguments = @('--disable-ssl', 'PRETEST'); Via = 'Name' }
        @{ Option = '--skip_lock'; Arguments = @('--skip_lock', 'POSTTEST'); Via = 'Name' }
        @{ Option = '-b 9600 --wrapper=opt_psem (kv2c, D.3)'; Arguments = @('-b', '9600', '--wrapper=opt_psem', 'CHECKCONFIG'); Via = 'Name' }
        @{ Option = '-wrapper='; Arguments = @('-wrapper=reliable', 'PRETEST'); Via = 'Client' }
        @{ Option = '--prov_srvr='; Arguments = @('--prov_srvr=SERVER', 'PRETEST'); Via = 'Name'; Instead = '-s' }
        @{ Option = '--logfile='; Arguments = @('--logfile=LOG', 'PRETEST'); Via = 'Name' }
        @{ Option = '--verbosity=2'; Arguments = @('--verbosity=2', 'PRETEST'); Via = 'Name' }
        @{ Option = '--path_trans_from= --path_trans_to='; Arguments = @('--path_trans_from=/workspace', '--path_trans_to=z:', 'PRETEST'); Via = 'Name' }
        @{ Option = '--partial_mcm_id='; Arguments = @('--partial_mcm_id=0A1B2C3D', 'POSTTEST'); Via = 'Name' }
        @{ Option = 'gateway TLS files (missing files are the gateway''s 141, not 3)'; Arguments = @('--gateway-tls', '--gateway-ca-certificate=NOFILE', '--gateway-certificate=NOFILE', 'POSTTEST'); Via = 'Name' }
    ) {
        $extra = @($Arguments | ForEach-Object {
                $_.Replace('SERVER', $deadServer).Replace('LOG', "$TestDrive/emcm_factory.log").Replace('NOFILE', "$TestDrive/none.pem") })
        $arguments = if ($First) { $extra + $base } else { @(Get-BaseWithout $Instead) + $extra }
        $r = Invoke-Emcm emcm_factory $arguments -Environment $token -Via $Via
        $r.ExitCode | Should -Not -Be 3 -Because $r.Output
        $r.Output | Should -Not -Match 'Invalid arguments'
    }

    It 'runs the guide''s own sample command lines of D.2 and D.3 without an argument error' -ForEach @(
        @{ Command = 'emcm_provision'; Line = '-d PORT -s SERVER -B 1000 --config-alias=kite_170_node_637_dev_net' }
        @{ Command = 'emcm_factory'; Line = '-d PORT -s SERVER -g 127.0.0.1 -B 1000 --config-alias=kite_170_node_637_dev_net --logfile=LOG PRETEST' }
        @{ Command = 'emcm_factory'; Line = '-d PORT -b 9600 --wrapper=opt_psem -s SERVER -g 127.0.0.1 -B 1000 --config-alias=82JX570141 CHECKCONFIG' }
        @{ Command = 'emcm_factory'; Line = '-d PORT -b 9600 --wrapper=opt_psem -s SERVER -g 127.0.0.1 -B 1000 --config-alias=82JX570141 POSTTEST' }
    ) {
        $arguments = ($Line.Replace('PORT', $deadPort).Replace('SERVER', $deadServer).Replace('LOG', "$TestDrive/emcm_factory_s1.log")) -split ' '
        $r = Invoke-Emcm $Command $arguments -Environment $token
        $r.ExitCode | Should -Not -Be 3 -Because $r.Output
        $r.Output | Should -Not -Match 'Invalid arguments'
    }

    It '<Command> exits 3 with a message for <Name>' -ForEach @(
        @{ Command = 'emcm_provision'; Name = 'an unknown option'; Arguments = @('--no-such-option'); Text = "Unrecognized command or argument '--no-such-option'" }
        @{ Command = 'emcm_factory'; Name = 'an unknown option before the operation'; Arguments = @('--no-such-option', 'PRETEST'); Text = "Unrecognized option '--no-such-option'" }
        @{ Command = 'emcm_provision'; Name = 'a partial MCM ID of 5 digits'; Arguments = @('--partial_mcm_id=12345'); Text = '--partial_mcm_id takes the last 8 hex digits' }
        @{ Command = 'emcm_factory'; Name = 'a partial MCM ID that is not hex'; Arguments = @('--partial_mcm_id=0A1B2C3G', 'POSTTEST'); Text = '--partial_mcm_id takes the last 8 hex digits' }
        @{ Command = 'emcm_factory'; Name = 'no operation'; Arguments = @(); Text = 'No operation given: end the command line with PRETEST, CHECKCONFIG or POSTTEST' }
        @{ Command = 'emcm_factory'; Name = 'an operation the guide does not have'; Arguments = @('CALIBRATE'); Text = "'CALIBRATE' is not an operation of" }
        @{ Command = 'emcm_factory'; Name = 'two operations'; Arguments = @('PRETEST', 'POSTTEST'); Text = "Unrecognized command or argument 'POSTTEST'" }
        @{ Command = 'emcm_factory'; Name = '--factory-config (an option of emcm_provision only)'; Arguments = @('--factory-config', 'POSTTEST'); Text = "Unrecognized option '--factory-config'" }
        @{ Command = 'emcm_factory'; Name = '--skip-keys (an option of emcm_provision only)'; Arguments = @('POSTTEST', '--skip-keys'); Text = "Unrecognized command or argument '--skip-keys'" }
        @{ Command = 'emcm_factory'; Name = 'a zero OTA timeout'; Arguments = @('-t', '0', 'POSTTEST'); Text = '--timeout takes the over-the-air test timeout in seconds' }
        @{ Command = 'emcm_factory'; Name = 'an OTA timeout that is not a number'; Arguments = @('--timeout=ten', 'POSTTEST'); Text = 'ten' }
        @{ Command = 'emcm_factory'; Name = 'control port 0'; Arguments = @('--control_port=0', 'PRETEST'); Text = '--control_port takes a TCP port from 1 to 65535' }
        @{ Command = 'emcm_factory'; Name = 'control port 70000'; Arguments = @('--control_port=70000', 'PRETEST'); Text = '--control_port takes a TCP port from 1 to 65535' }
        @{ Command = 'emcm_factory'; Name = 'a gateway address that is no host'; Arguments = @('-g', 'gate way!', 'PRETEST'); Text = '-g/--gateway takes the gateway''s host name or IP address' }
        @{ Command = 'emcm_factory'; Name = 'both --enable-ssl and --disable-ssl'; Arguments = @('--enable-ssl', '--disable-ssl', 'PRETEST'); Text = '--enable-ssl and --disable-ssl ask for opposite things' }
        @{ Command = 'emcm_factory'; Name = '--enable-ssl with an http:// server'; Arguments = @('--enable-ssl', '-s', 'http://127.0.0.1:1', 'PRETEST'); Text = '--enable-ssl asks for HTTPS'; Instead = '-s' }
        @{ Command = 'emcm_factory'; Name = 'gateway certificate files without --gateway-tls'; Arguments = @('--gateway-ca-certificate=ca.pem', 'POSTTEST'); Text = 'add --gateway-tls' }
        @{ Command = 'emcm_provision'; Name = '--verbosity=3'; Arguments = @('--verbosity=3'); Text = '--verbosity takes 0, 1 or 2' }
        @{ Command = 'emcm_factory'; Name = 'both --config-id and --config-alias'; Arguments = @('--config-alias=82JX570141', 'PRETEST'); Text = 'not both' }
        @{ Command = 'emcm_provision'; Name = 'an octal batch with the digit 8'; Arguments = @('-B', '05082011'); Text = 'octal'; Instead = '-B' }
        @{ Command = 'emcm_factory'; Name = '--path_trans_from without --path_trans_to'; Arguments = @('--path_trans_from=/workspace', 'PRETEST'); Text = 'go together' }
    ) {
        foreach ($via in 'Name', 'Client') {
            $r = Invoke-Emcm $Command (@(Get-BaseWithout $Instead) + $Arguments) -Environment $token -Via $via
            $r.ExitCode | Should -Be 3 -Because $r.Output
            $r.Output | Should -Match '^CRIT  '
            $r.Output | Should -Match 'Invalid arguments: '
            $r.Output | Should -Match ([regex]::Escape($Text))
            $name = if ($via -eq 'Name') { $Command } else { "provisioning_client $Command" }
            $r.Output | Should -Match ([regex]::Escape("Run $name --help"))
        }
    }

    It 'exits 3 without a device, a server, a batch or credentials, saying which' {
        $r = Invoke-Emcm emcm_factory @('-s', $deadServer, '-B', '1', '-p', '69', 'PRETEST') -Environment $token
        $r.ExitCode | Should -Be 3
        $r.Output | Should -Match 'No device given'
        $r = Invoke-Emcm emcm_provision @('-d', $deadPort, '-B', '1', '-p', '69') -Environment $token
        $r.ExitCode | Should -Be 3
        $r.Output | Should -Match 'No server given'
        $r = Invoke-Emcm emcm_factory @('-d', $deadPort, '-s', $deadServer, '-p', '69', 'POSTTEST') -Environment $token
        $r.ExitCode | Should -Be 3
        $r.Output | Should -Match 'No batch given'
        $r = Invoke-Emcm emcm_provision $base -Environment @{ PROV_STATION_TOKEN = $null }
        $r.ExitCode | Should -Be 3
        $r.Output | Should -Match 'PROV_STATION_TOKEN'
    }

    It 'writes a bad command line''s code 3 to the --logfile as for any device' {
        $log = "$TestDrive/bad.log"
        $r = Invoke-Emcm emcm_factory ($base + @("--logfile=$log", 'CALIBRATE')) -Environment $token
        $r.ExitCode | Should -Be 3
        @(Get-Content $log)[-1] | Should -Match 'CRIT .* Result 3 \(InvalidArguments\).*CALIBRATE'
    }
}

# The same meters, the same server, the same gateway: a meter provisioned by the command line and its twin provisioned
# by the cmdlet end the same way, with the same Table 4 code.
Describe 'emcm_provision and emcm_factory on simulated meters, against Invoke-EmcmProvision and Invoke-EmcmFactoryStage' {
    BeforeAll {
        . "$PSScriptRoot/EmcmStationTestHelpers.ps1"
        $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server" -Extra @{ Tls = $true; InformationAction = 'Ignore' }
        $script:pkg = New-EmcmTestPackage -Root "$TestDrive/pkg" -NetworkId 'factory'
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $noBundle = New-EmcmTestPackage -Root "$TestDrive/nobundle" -ConfigId 9075 -ConfigAlias @('no_emcm_bundle') -Network $pkg.Network -Without App
        $null = Import-ProvPackage $noBundle.Path -Passphrase $noBundle.Passphrase
        $token = New-ProvStationToken -Name 'emcm command line'
        $script:tokenFile = "$TestDrive/station.token"
        Set-Content -LiteralPath $tokenFile -Value (ConvertFrom-SecureString $token.Token -AsPlainText)
        # The cmdlets as a station PowerShell session runs them; the commands as a batch file does, over HTTPS by default.
        $null = Connect-ProvServer -Uri $server.Uri -Token $token.Token -CaCertificatePath $server.CaCertificatePath -InformationAction Ignore
        $script:serverArgs = @('-s', "127.0.0.1:$($server.Uri.Port)", '--ca-certificate', $server.CaCertificatePath, '--token-file', $tokenFile)
        $script:started = [System.Collections.Generic.List[object]]::new()
        $script:nextNode = 0xC00

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
                            EmcmId = ('00AB12CD{0:X8}' -f $nextNode); EmcmFirmwareVersion = '5.0.0.0'; Gateway = $Gateway.RadioEndpoint }
            foreach ($k in $With.Keys) { $arguments[$k] = $With[$k] }
            if ($arguments.PortName) { $arguments.Remove('Listen') }
            $meter = Start-ProvEmcmSimulator @arguments
            $started.Add($meter)
            $meter
        }

        # What a user sees of a meter after a run: the eMCM's stage, configuration, quiet mode, lock and firmware, the
        # node's configuration and firmware, and whether each holds a key.
        function script:Get-MeterOutcome($Meter) {
            $e = $Meter.EmcmState
            [ordered]@{ Stage = "$($e.Stage)"; EmcmConfig = "$($e.ActiveConfig)"; Quiet = $e.Quiet; EmcmLocked = $e.Locked
                EmcmFirmware = $e.FirmwareVersion; NodeConfig = "$($Meter.State.ActiveConfig)"; NodeFirmware = $Meter.State.FirmwareVersion
                EmcmKey = $null -ne $Meter.ReadEmcmKey(); NodeKey = $null -ne $Meter.ReadKey('Root') } | ConvertTo-Json -Compress
        }

        # The command-line option of each cmdlet parameter (docs/cli.md): one set of parameters, given to both.
        $script:cliNames = [ordered]@{ ConfigId = '--config-id='; ConfigAlias = '--config-alias='; Batch = '-B'; PartialMcmId = '--partial_mcm_id='
            Wrapper = '-wrapper='; BaudRate = '-b'; FactoryConfig = '--factory-config'; SkipKeys = '--skip-keys'; SkipLock = '--skip_lock'
            FirstContactTimeout = '--first-contact-timeout='; ResponseTimeout = '--response-timeout='; Resends = '--resends='
            Gateway = '-g'; ControlPort = '--control_port='; Csys1x = '--csys_1_x'; Timeout = '-t'; GatewayTls = '--gateway-tls'
            GatewayCaCertificate = '--gateway-ca-certificate='; GatewayCertificate = '--gateway-certificate=' }
        function script:ConvertTo-CliArgument([hashtable] $Parameters) {
            foreach ($name in $cliNames.Keys) {
                if (-not $Parameters.ContainsKey($name)) { continue }
                $option = $cliNames[$name]; $value = $Parameters[$name]
                if ($value -is [bool]) { if ($value) { $option } }
                elseif ($option.EndsWith('=')) { "$option$value" }
                else { $option; "$value" }
            }
        }

        # Runs one operation on two twin meters with the same parameters, by the cmdlet on the first and by the command
        # on the second; both must give the same code and leave their meters the same way. Returns the cmdlet's result
        # and the command's run.
        function script:Invoke-Twins {
            param([string] $Operation, $CmdletMeter, $CliMeter, [hashtable] $With = @{}, $Gateway = $script:gateway, [switch] $AsSubcommand)
            # The simulators share this process with the cmdlet's runs and the machine with other work: the timeouts are a
            # busy machine's, not the defaults an idle station PC uses.
            $parameters = @{ ConfigId = '69'; Batch = '3000'; FirstContactTimeout = 10; ResponseTimeout = 5 }
            if ($Operation -ne 'Provision') {
                $parameters += @{ Stage = $Operation; Gateway = '127.0.0.1'; ControlPort = $Gateway.ControlPort; Timeout = 30 }
            }
            foreach ($k in $With.Keys) { $parameters[$k] = $With[$k] }
            $cmdlet = if ($Operation -eq 'Provision') { 'Invoke-EmcmProvision' } else { 'Invoke-EmcmFactoryStage' }
            $result = (Invoke-TestEmcmStation -Command $cmdlet -With ($parameters + @{ Port = $CmdletMeter.Endpoint })).Results[0]
            $command = if ($Operation -eq 'Provision') { 'emcm_provision' } else { 'emcm_factory' }
            $arguments = @('-d', $CliMeter.Endpoint) + $serverArgs + @(ConvertTo-CliArgument $parameters) +
                @(if ($Operation -ne 'Provision') { $Operation.ToUpperInvariant() })
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $run = Invoke-Emcm $command $arguments -Via $(if ($AsSubcommand) { 'Client' } else { 'Name' })
            $run | Add-Member -NotePropertyName Elapsed -NotePropertyValue $clock.Elapsed
            $run.ExitCode | Should -Be $result.ExitCode -Because "the cmdlet gave $($result.ExitCode) ($($result.Message)); the command: $($run.Output)"
            # The command prints the cmdlet's result line: its code by name, then the same interpretation.
            $run.Output | Should -Match ([regex]::Escape("Result $($result.ExitCode) ($($result.Result))"))
            $run.Output | Should -Match ([regex]::Escape(($result.Message -split ':')[0]))
            Get-MeterOutcome $CliMeter | Should -Be (Get-MeterOutcome $CmdletMeter)
            [pscustomobject]@{ Cmdlet = $result; Cli = $run }
        }

        # The meter's keys as the KMS and the head end read them from the export are the ones the simulators hold.
        function script:Assert-ExportHoldsKeys([object[]] $Meters, [uint32] $Batch, [string] $Name) {
            $export = @(Read-TestEmcmExport -Server $server -Package $pkg -ConfigId 69 -Batch $Batch -Path "$TestDrive/$Name.xml")
            foreach ($m in $Meters) {
                $device = @($export | Where-Object NodeId -eq $m.State.NodeId)
                $device.Count | Should -Be 1
                $device[0].RootKeyHex | Should -Be ([Convert]::ToHexString($m.ReadKey('Root')))
                $device[0].Apps['emcm'].Id | Should -Be $m.EmcmState.EmcmId
                $device[0].Apps['emcm'].KeyHex | Should -Be ([Convert]::ToHexString($m.ReadEmcmKey()))
            }
        }
    }
    AfterAll {
        foreach ($o in $started) {
            if ($o -is [Provisioning.Core.Gateway.Simulator.GatewaySimulator]) { $o | Stop-ProvGatewaySimulator -ErrorAction Ignore }
            else { $o | Stop-ProvNodeSimulator -ErrorAction Ignore }
        }
        Stop-TestServer $server
    }

    It 'emcm_provision provisions a meter as Invoke-EmcmProvision does: exit 0, and the export holds both keys the meter holds' {
        $a = Start-TestMeter; $b = Start-TestMeter
        $twins = Invoke-Twins Provision $a $b
        $twins.Cli.ExitCode | Should -Be 0
        $twins.Cli.Output | Should -Match ('INFO  Result 0 \(Success\), node 0x{0:X8}' -f $b.State.NodeId)
        $b.EmcmState.Locked | Should -BeTrue
        Assert-ExportHoldsKeys @($a, $b) 3000 'provision'
    }

    It 'emcm_provision checks --partial_mcm_id in any case, as -PartialMcmId is' {
        $a = Start-TestMeter; $b = Start-TestMeter
        # Twins have different IDs: each run gets its own meter's, so this runs the two apart.
        $cmd = Invoke-TestEmcmStation -Command Invoke-EmcmProvision -With @{ Port = $a.Endpoint; ConfigId = '69'; Batch = '3000'; PartialMcmId = $a.EmcmState.EmcmId.Substring(8) }
        [int]$cmd.Results[0].ExitCode | Should -Be 0 -Because $cmd.Results[0].Message
        $r = Invoke-Emcm emcm_provision (@('-d', $b.Endpoint) + $serverArgs + @('-p', '69', '-B', '3000', "--partial_mcm_id=$($b.EmcmState.EmcmId.Substring(8).ToLowerInvariant())"))
        $r.ExitCode | Should -Be 0 -Because $r.Output
        Get-MeterOutcome $b | Should -Be (Get-MeterOutcome $a)
    }

    It 'emcm_provision --factory-config --skip-keys --skip_lock leaves the meter as the cmdlet''s switches do' {
        $a = Start-TestMeter; $b = Start-TestMeter
        $twins = Invoke-Twins Provision $a $b @{ FactoryConfig = $true; SkipKeys = $true; SkipLock = $true } -AsSubcommand
        $twins.Cli.ExitCode | Should -Be 0
        $b.ReadEmcmKey() | Should -BeNullOrEmpty
        $b.EmcmState.Locked | Should -BeFalse
        "$($b.EmcmState.ActiveConfig)" | Should -Be 'Factory'
    }

    It 'emcm_provision exits <Code> as the cmdlet does when <Name>' -ForEach @(
        @{ Name = 'the configuration has no eMCM app bundle'; Code = 75; With = @{ ConfigId = '9075' }; Text = 'emcm' }
        @{ Name = 'the eMCM''s ID does not end in --partial_mcm_id'; Code = 3; With = @{ PartialMcmId = 'FFFFFFFF' }; Text = 'FFFFFFFF' }
        @{ Name = 'the wrapper is none'; Code = 3; With = @{ Wrapper = 'none' }; Text = 'none' }
        @{ Name = 'the eMCM''s hardware self-test fails'; Code = 72; Fault = 'HardwareFails'; With = @{} }
        @{ Name = 'the eMCM never answers'; Code = 68; Fault = 'NoAnswer'; With = @{ ResponseTimeout = 0.5; Resends = 1 } }
    ) {
        $meter = if ($Fault) { @{ Fault = $Fault } } else { @{} }
        $a = Start-TestMeter $meter; $b = Start-TestMeter $meter
        $twins = Invoke-Twins Provision $a $b $With
        $twins.Cli.ExitCode | Should -Be $Code
        if ($Text) { $twins.Cli.Output | Should -Match ([regex]::Escape($Text)) }
        if ($With.PartialMcmId) {
            # Both IDs named; nothing written.
            $twins.Cli.Output | Should -Match ([regex]::Escape($b.EmcmState.EmcmId))
            $b.ReadEmcmKey() | Should -BeNullOrEmpty
            $b.EmcmState.FirmwareVersion | Should -Be '5.0.0.0'
        }
    }

    It 'emcm_factory runs PRETEST, CHECKCONFIG and POSTTEST as Invoke-EmcmFactoryStage does, and the export holds both keys' {
        $a = Start-TestMeter; $b = Start-TestMeter
        foreach ($operation in 'PreTest', 'CheckConfig', 'PostTest') {
            $twins = Invoke-Twins $operation $a $b @{ Batch = '3100' } -AsSubcommand:($operation -eq 'CheckConfig')
            $twins.Cli.ExitCode | Should -Be 0
            $twins.Cli.Output | Should -Match 'INFO  Result 0 \(Success\)'
        }
        "$($b.EmcmState.Stage)" | Should -Be 'PostTest'
        Assert-ExportHoldsKeys @($a, $b) 3100 'stages'
    }

    It 'emcm_factory never shows a key or the token: stdout at --verbosity=2 and the --logfile hold neither key the meter got' {
        $m = Start-TestMeter
        $log = "$TestDrive/keyscan.log"
        $common = @('-d', $m.Endpoint) + $serverArgs + @('-p', '69', '-B', '3200', '-g', '127.0.0.1', "--control_port=$($gateway.ControlPort)",
            '--first-contact-timeout=10', '--response-timeout=5', '--verbosity=2', "--logfile=$log")
        $output = foreach ($operation in 'PRETEST', 'CHECKCONFIG', 'POSTTEST') {
            $r = Invoke-Emcm emcm_factory ($common + $operation)
            $r.ExitCode | Should -Be 0 -Because $r.Output
            $r.Output
        }
        $text = ($output -join "`n") + "`n" + (Get-Content $log -Raw)
        $token = (Get-Content $tokenFile -Raw).Trim()
        foreach ($key in @($m.ReadKey('Root'), $m.ReadEmcmKey())) {
            $key | Should -Not -BeNullOrEmpty
            foreach ($form in [Convert]::ToHexString($key), [Convert]::ToHexString($key).ToLowerInvariant(), [Convert]::ToBase64String($key)) {
                $text | Should -Not -Match ([regex]::Escape($form))
            }
        }
        $text | Should -Not -Match ([regex]::Escape($token))
        $text | Should -Match 'DEBUG'
    }

    It 'emcm_factory exits as the cmdlet does when <Name>' -ForEach @(
        @{ Name = 'POSTTEST comes without a PRETEST'; Operation = 'PostTest' }
        @{ Name = 'the eMCM cannot reach its meter at POSTTEST (164)'; Code = 164; Fault = 'MeterNotAnswering'; PreTest = $true; Operation = 'PostTest'; Text = 'seated in the meter' }
        @{ Name = 'the eMCM''s hardware self-test fails at CHECKCONFIG (72)'; Code = 72; Fault = 'HardwareFails'; Operation = 'CheckConfig' }
        @{ Name = 'nothing listens on --control_port (132)'; Code = 132; Operation = 'PreTest'; With = @{ ControlPort = 'FREE' } }
        @{ Name = 'the gateway''s TLS CA file is missing (141)'; Code = 141; Operation = 'PreTest'; With = @{ GatewayTls = $true; GatewayCaCertificate = 'MISSING' } }
        @{ Name = '--csys_1_x speaks to a 1.x gateway'; Code = 0; Operation = 'PreTest'; With = @{ Csys1x = $true }; Csys1x = $true }
    ) {
        $gw = if ($Csys1x) { Start-TestGateway @{ Csys1x = $true } } else { $gateway }
        $meter = if ($Fault) { @{ Fault = $Fault } } else { @{} }
        $a = Start-TestMeter $meter $gw; $b = Start-TestMeter $meter $gw
        $parameters = @{}
        if ($With) {
            foreach ($k in $With.Keys) {
                $parameters[$k] = if ($With[$k] -is [string]) { $With[$k].Replace('FREE', "$(Get-FreeTcpPort)").Replace('MISSING', "$TestDrive/no-such-ca.pem") } else { $With[$k] }
            }
        }
        if ($PreTest) { $null = Invoke-Twins PreTest $a $b -Gateway $gw }
        $twins = Invoke-Twins $Operation $a $b $parameters -Gateway $gw
        if ($null -ne $Code) { $twins.Cli.ExitCode | Should -Be $Code }
        else { $twins.Cli.ExitCode | Should -Not -Be 0 }
        if ($Text) { $twins.Cli.Output | Should -Match $Text }
    }

    It 'emcm_factory POSTTEST exits 134 only once -t has passed when the node never joins, as the cmdlet does' {
        $never = Start-TestGateway @{ Fault = 'NeverJoin' }
        $a = Start-TestMeter -Gateway $never; $b = Start-TestMeter -Gateway $never
        $null = Invoke-Twins PreTest $a $b -Gateway $never
        $twins = Invoke-Twins PostTest $a $b @{ Timeout = 2 } -Gateway $never
        $twins.Cli.ExitCode | Should -Be 134
        $twins.Cli.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 2
        $twins.Cli.Output | Should -Match 'Device under test did not join gateway correctly'
        $b.ReadEmcmKey() | Should -BeNullOrEmpty
    }
}

Describe 'examples/emcm-line.sh: the kv2c flow of guide D.3' -Skip:($IsWindows) {
    BeforeAll {
        . "$PSScriptRoot/EmcmStationTestHelpers.ps1"
        $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/line-server" -Extra @{ Tls = $true; InformationAction = 'Ignore' }
        $script:pkg = New-EmcmTestPackage -Root "$TestDrive/line-pkg" -NetworkId 'factory' -ConfigAlias @('82JX570141')
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $token = New-ProvStationToken -Name 'kv2c line'
        $script:tokenFile = "$TestDrive/line.token"
        Set-Content -LiteralPath $tokenFile -Value (ConvertFrom-SecureString $token.Token -AsPlainText)
        $script:gateway = Start-ProvGatewaySimulator -ControlPort 0 -NetworkId factory -JoinDelay 0.3
        $script:serverArgs = @('-s', "127.0.0.1:$($server.Uri.Port)", '--ca-certificate', $server.CaCertificatePath, '--token-file', $tokenFile,
            '-g', '127.0.0.1', "--control_port=$($gateway.ControlPort)", '-B', '1000', '--config-alias=82JX570141', '-t', '30',
            # The simulators share this process and the machine with other work: a busy machine's timeouts.
            '--first-contact-timeout=10', '--response-timeout=5')
        $script:sims = [System.Collections.Generic.List[object]]::new()
        $script:pairs = [System.Collections.Generic.List[object]]::new()
        $script:work = New-Item -ItemType Directory "$TestDrive/kv2c"

        function script:Invoke-Line([string[]] $Arguments, [hashtable] $Environment = @{}) {
            $env = @{ EMCM_FACTORY = $commands.emcm_factory; LOG_DIR = "$work/logs"; RESULTS = "$work/results.csv" } + $Environment
            Invoke-TestProgram bash (@("$RepoRoot/examples/emcm-line.sh") + $Arguments) -Environment $env
        }
    }
    AfterAll {
        $sims | Stop-ProvNodeSimulator -ErrorAction Ignore
        $pairs | Remove-ProvVirtualSerialPair -ErrorAction Ignore
        if ($gateway) { $gateway | Stop-ProvGatewaySimulator -ErrorAction Ignore }
        Stop-TestServer $server
    }

    It 'runs PRETEST at the fixture, then CHECKCONFIG, the calibration and POSTTEST through the optical port, and stops a meter that fails' {
        # Three boards in the fixture, each on its own line (the first on a serial pair); their flash outlives the power-off.
        $boards = foreach ($i in 1..3) {
            @{ NodeId = [uint32](0xD00 + $i); NodeType = 'UNODE'; EmcmId = ('00EF56AB{0:X8}' -f (0xD00 + $i)); EmcmFirmwareVersion = '5.0.0.0'
               StatePath = "$work/meter-$i.json"; Gateway = $gateway.RadioEndpoint }
        }
        $fixture = foreach ($i in 0..2) {
            $o = $boards[$i].Clone()
            $o.Wrapper = 'orw'
            if ($i -eq 0 -and (Get-Command socat -ErrorAction Ignore)) {
                $pair = New-ProvVirtualSerialPair; $pairs.Add($pair)
                $o.PortName = $pair.PortB
                $sim = Start-ProvEmcmSimulator @o; $sims.Add($sim)
                [pscustomobject]@{ Sim = $sim; Port = $pair.PortA }
            }
            else {
                $sim = Start-ProvEmcmSimulator @o -Listen 'tcp://127.0.0.1:0'; $sims.Add($sim)
                [pscustomobject]@{ Sim = $sim; Port = $sim.Endpoint }
            }
        }
        $r = Invoke-Line (@('PRETEST') + $serverArgs + @('--') + $fixture.Port)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match '3 passed, 0 failed'
        foreach ($f in $fixture) { "$($f.Sim.EmcmState.Stage)" | Should -Be 'PreTest' }
        $fixture.Sim | Stop-ProvNodeSimulator

        # Assembled into meters: only the optical port reaches them now. The third meter's eMCM does not reach its meter.
        $meters = foreach ($i in 0..2) {
            $o = $boards[$i].Clone()
            $o.Wrapper = 'opt_psem'; $o.BaudRate = 9600
            if ($i -eq 2) { $o.Fault = 'MeterNotAnswering' }
            $sim = Start-ProvEmcmSimulator @o -Listen 'tcp://127.0.0.1:0'; $sims.Add($sim)
            $sim
        }
        $calibrated = "$work/calibrated.txt"
        Set-Content "$work/calibrate.sh" "#!/usr/bin/env bash`necho `"`$1`" >> '$calibrated'`n"
        $r = Invoke-Line (@('WECO', '-b', '9600', '--wrapper=opt_psem') + $serverArgs + @('--') + $meters.Endpoint) -Environment @{ CALIBRATE = "bash $work/calibrate.sh" }
        $r.ExitCode | Should -Be 1 -Because $r.Output
        $r.Output | Should -Match '2 passed, 1 failed'
        $r.Output | Should -Match 'POSTTEST FAILED with 164'
        # Each meter was checked before its calibration; every one that passed it was calibrated, then POSTTESTed.
        @(Get-Content $calibrated) | Should -Be @($meters.Endpoint)
        $rows = @(Import-Csv "$work/results.csv")
        @($rows | ForEach-Object { "$($_.operation) $($_.exit_code)" }) | Should -Be @(
            'PRETEST 0', 'PRETEST 0', 'PRETEST 0', 'CHECKCONFIG 0', 'POSTTEST 0', 'CHECKCONFIG 0', 'POSTTEST 0', 'CHECKCONFIG 0', 'POSTTEST 164')
        $rows[-1].meaning | Should -Match 'no meter'
        "$($meters[0].EmcmState.Stage)" | Should -Be 'PostTest'
        $meters[2].ReadEmcmKey() | Should -BeNullOrEmpty
        # The KMS and the head end read from the export the keys the two good meters hold.
        $export = @(Read-TestEmcmExport -Server $server -Package $pkg -ConfigId 69 -Batch 1000 -Path "$work/export.xml")
        $export.Count | Should -Be 2
        foreach ($m in $meters[0..1]) {
            $device = @($export | Where-Object NodeId -eq $m.State.NodeId)
            $device[0].RootKeyHex | Should -Be ([Convert]::ToHexString($m.ReadKey('Root')))
            $device[0].Apps['emcm'].KeyHex | Should -Be ([Convert]::ToHexString($m.ReadEmcmKey()))
        }
        @(Get-ChildItem "$work/logs" -Filter *.log).Count | Should -Be 9
    }

    It 'exits 3 with its usage for an operation it does not know or without ports' {
        foreach ($arguments in @(@('CALIBRATE', '--', 'tcp://127.0.0.1:1'), @('PRETEST', '-B', '1'))) {
            $r = Invoke-Line $arguments
            $r.ExitCode | Should -Be 3
            $r.Output | Should -Match 'usage:'
        }
    }
}
