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
        $file = if ($Via -eq 'Name') { $commands[$Command] } else { $client }
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
