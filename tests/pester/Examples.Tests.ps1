# Every example a user reads runs as written: the examples of each cmdlet's help (module/help/*.psd1), the indented
# code of about_Provisioning, and the PowerShell blocks of README.md and docs/*.md. They are read from the files when
# the tests run, so renamed parameters and new examples are picked up as they are merged.
#
# Each topic (one help file, the about topic, one Markdown file) runs its blocks in order in one fresh runspace, as a
# reader trying them one after another would, in its own copy of a sandbox folder holding what the examples name:
# a KMS key pair (kms/), a gateway key file (network/), firmware and configuration files (fw/, cfg/, node.bin,
# field.cfg), a package meter_69.tar.gz (config 69, aliases kite_170 and meter_69) imported on a running server the
# session is connected to as admin, a key export device_keys.xml, stations.csv listing two simulated nodes, $pair (a
# virtual serial pair) and $sim (a simulated node). What a topic creates itself (a New-*/Export-* -Path) is removed
# from its copy first, so it is made by the example as on a reader's machine. Read-Host answers as a user would type:
# the sandbox passphrase, the admin or station token, or a fresh key.
# A block passes when it throws nothing and writes no error. The few that need what no test machine has are listed
# in $Exceptions with the reason.

BeforeDiscovery {
    $root = Split-Path (Split-Path $PSScriptRoot)
    function Get-MarkdownBlock([string] $Path) {
        $text = Get-Content $Path -Raw
        [regex]::Matches($text, '(?ms)^```powershell\r?\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value.TrimEnd() }
    }
    function Get-AboutBlock([string] $Path) {
        # An about_ topic is headings at column 0 and indented paragraphs; a paragraph is code when its first line is
        # (an assignment, a command Verb-Noun, a comment, a quoted value piped on).
        $paragraphs = [System.Collections.Generic.List[object]]::new(); $current = $null
        foreach ($line in Get-Content $Path) {
            if ($line -match '^\s+\S') {
                if ($null -eq $current) { $current = [System.Collections.Generic.List[string]]::new(); $paragraphs.Add($current) }
                $current.Add($line)
            }
            else { $current = $null }
        }
        foreach ($p in $paragraphs) {
            $indent = $p[0].Length - $p[0].TrimStart().Length
            # A command in prose is followed by a word; in code by a parameter, a value, a pipe, a comment or nothing.
            if ($p[0].TrimStart() -notmatch '^(\$\w+\s*[=|]|#|''[^'']*''\s*[,|]|\(|[A-Z][a-z]+-[A-Z]\w+(\s+[-#|./''"$(@\d]|\s*$))') { continue }
            $code = ($p | ForEach-Object { if ($_.Length -ge $indent) { $_.Substring($indent) } else { $_.TrimStart() } }) -join "`n"
            $errors = $null
            $null = [System.Management.Automation.Language.Parser]::ParseInput($code, [ref]$null, [ref]$errors)
            if (-not $errors) { $code }
        }
    }
    $script:topics = @(
        foreach ($file in Get-ChildItem "$root/module/help" -Filter *.psd1 | Sort-Object Name) {
            $examples = @((Import-PowerShellDataFile $file.FullName).Examples | ForEach-Object { $_.Code })
            if ($examples.Count) { @{ Topic = "help/$($file.BaseName)"; Blocks = $examples; Source = $file.FullName } }
        }
        foreach ($file in Get-ChildItem "$root/module/en-US" -Filter 'about_*.help.txt') {
            @{ Topic = $file.Name; Blocks = @(Get-AboutBlock $file.FullName); Source = $file.FullName }
        }
        foreach ($file in @(Get-Item "$root/README.md") + @(Get-ChildItem "$root/docs" -Filter *.md | Sort-Object Name)) {
            $blocks = @(Get-MarkdownBlock $file.FullName)
            if ($blocks.Count) { @{ Topic = $file.Name; Blocks = $blocks; Source = $file.FullName } }
        }
    ) | ForEach-Object {
        $t = $_
        $i = 0
        $t.Examples = @($t.Blocks | ForEach-Object { $i++; @{ Topic = $t.Topic; Number = $i; Code = $_ } })
        $t
    }
}

BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:RepoRoot = Split-Path (Split-Path $PSScriptRoot)

    # Examples that need what no test machine has. Topic, a pattern of the example's code, and why.
    $script:Exceptions = @(
        @{ Topic = 'help/Connect-ProvServer'; Pattern = 'prov1'; Reason = 'connects to a server on another host of the reader''s network (prov1)' }
        @{ Topic = 'help/Invoke-NodeProvision'; Pattern = '/dev/ttyUSB0(?![^\n]*-WhatIf)'; Reason = 'programs a device on a real serial port (/dev/ttyUSB0)' }
        @{ Topic = 'help/Invoke-NodeProvision'; Pattern = 'COM3'; Reason = 'a server on another host (prov-server) and a device on a Windows serial port (COM3)' }
        @{ Topic = 'help/Invoke-NodeProvision'; Pattern = '10\.0\.0\.21'; Reason = 'devices behind a serial-over-IP device server at 10.0.0.21' }
        @{ Topic = 'help/Invoke-EmcmProvision'; Pattern = 'COM3'; Reason = 'a meter on a Windows serial port (COM3)' }
        @{ Topic = 'help/Invoke-EmcmProvision'; Pattern = 'meters\.csv'; Reason = 'meters on the reader''s serial ports, listed in meters.csv' }
        @{ Topic = 'help/Invoke-EmcmFactoryStage'; Pattern = 'COM3|COM20'; Reason = 'a meter on a Windows serial port and a factory gateway at 192.168.6.77' }
        @{ Topic = 'help/Start-ProvServer'; Pattern = 'mysql:Server=db1'; Reason = 'a MySQL server db1 of the reader''s network, and -Wait runs the server in the foreground until stopped' }
        @{ Topic = 'help/Start-ProvServer'; Pattern = 'sqlserver:Server=sql1'; Reason = 'a SQL Server sql1 of the reader''s network (none can be installed on a test machine)' }
        @{ Topic = 'help/Start-ProvServer'; Pattern = 'Set-Clipboard'; Reason = 'Set-Clipboard needs a desktop clipboard' }
        @{ Topic = 'help/Start-ProvServer'; Pattern = '/etc/provisioning/server\.pfx'; Reason = 'the site''s own certificate file, and -Wait runs the server in the foreground until stopped' }
        @{ Topic = 'database.md'; Pattern = 'Server=db1,db2,db3'; Reason = 'a Galera cluster of the reader''s network (db1, db2, db3)' }
    )

    $script:work = Join-Path $TestDrive 'examples'
    $template = Join-Path $work 'template'
    New-Item -ItemType Directory $template | Out-Null
    $script:passphraseText = 'example passphrase'
    $passphrase = ConvertTo-SecureString $passphraseText -AsPlainText -Force

    # The reader's inputs, made with the cmdlets.
    $kms = New-ProvKmsKeyPair -Path "$template/kms" -KeySize 2048
    Copy-Item $kms.PrivateKeyPath, $kms.PublicKeyPath $template
    $null = New-ProvGatewayKeyFile -KmsPrivateKeyPath $kms.PrivateKeyPath -Passphrase $passphrase -Path "$template/network" -Iterations 10000
    $null = New-ProvKmsKeyPair -Path "$template/keys" -KeySize 2048
    Rename-Item "$template/keys/kms_key.pub.pem" 'hes.pub.pem'
    $random = [System.Random]::new(9)
    foreach ($f in 'fw/node.bin', 'fw/node-1.2.4.0.bin', 'fw/emcm.bin', 'fw/zigbee.bin', 'cfg/field.cfg', 'cfg/emcm.cfg', 'cfg/net_a.cfg', 'cfg/net_b.cfg', 'node.bin', 'field.cfg') {
        $path = Join-Path $template $f
        New-Item -ItemType Directory -Force (Split-Path $path) | Out-Null
        $bytes = [byte[]]::new($(if ($f -like '*.bin') { 16KB } else { 1KB })); $random.NextBytes($bytes)
        [IO.File]::WriteAllBytes($path, $bytes)
    }
    Push-Location $template
    try {
        # The definition files New-ProvPackage's examples show.
        @'
@{
    ConfigId = '0x45'; ConfigAlias = 'kite_170'; AppLabel = 'ge_sgm3000_falconv1_zigbeev2'
    NodeType = 'UNODE'; NodeVersion = '1.2.3.4'
    NodeFirmware = 'fw/node.bin'; NodeFieldConfig = 'cfg/field.cfg'
    KmsPublicKeyPath = 'kms/kms_key.pub.pem'; GatewayKeyFile = 'network/gw_keys.csv.aes'
    App = @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = 'fw/emcm.bin' }
}
'@ | Set-Content ./meter_69.psd1
        @'
ConfigId,ConfigAlias,AppLabel,NodeType,NodeVersion,NodeFirmware,NodeFieldConfig,KmsPublicKeyPath,GatewayKeyFile,Path
71,kite_171;kite_172,meter_a,UNODE,1.2.3.4,fw/node.bin,cfg/net_a.cfg,kms/kms_key.pub.pem,network/gw_keys.csv.aes,out/meter_71.tar.gz
72,kite_173,meter_b,UNODE,1.2.3.4,fw/node.bin,cfg/net_b.cfg,kms/kms_key.pub.pem,network/gw_keys.csv.aes,out/meter_72.tar.gz
'@ | Set-Content ./packages.csv
        $package = New-ProvPackage -Path ./meter_69.tar.gz -ConfigId 69 -ConfigAlias kite_170, meter_69 -AppLabel ge_sgm3000_falconv1_zigbeev2 `
            -NodeType UNODE -NodeVersion 1.2.3.4 -NodeFirmware ./fw/node.bin -NodeFieldConfig ./cfg/field.cfg `
            -KmsPublicKeyPath ./kms/kms_key.pub.pem -GatewayKeyFile ./network/gw_keys.csv.aes
        New-Item -ItemType Directory ./incoming, ./exports, ./out | Out-Null
        Copy-Item $package.Path ./incoming/
        # A name with brackets, which -Path would read as a wildcard (Import-ProvPackage's -LiteralPath example).
        Copy-Item -LiteralPath $package.Path -Destination './incoming/meter[rev-b].tar.gz'
    }
    finally { Pop-Location }

    # A server holding the package and one provisioned node, so exports have something in them.
    # Outside TestDrive: Pester removes what a Describe block adds to TestDrive when the block ends, and the server adds
    # repository files when an example imports a package; a later backup example would find them gone.
    $script:serverRoot = Join-Path ([IO.Path]::GetTempPath()) "prov-examples-server-$([guid]::NewGuid().ToString('N'))"
    $script:server = Start-TestServer -Engine SQLite -Root $serverRoot
    $null = Import-ProvPackage "$template/meter_69.tar.gz" -Passphrase $passphrase -Server $server
    $script:stationToken = (New-ProvStationToken -Name 'examples' -Server $server).Token
    $station = Connect-ProvServer -Uri $server.Uri -Token $stationToken -PassThru
    $first = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId 0x10
    try { $null = Invoke-NodeProvision -Port $first.Endpoint -ConfigId 69 -Batch 1000 -Server $station -ErrorAction Stop }
    finally { $first | Stop-ProvNodeSimulator }
    $null = Export-ProvKey -ConfigId 69 -Batch 1000 -Path "$template/device_keys.xml" -Server $server
    Copy-Item "$template/device_keys.xml" "$template/exports/batch_1000.xml"

    # Host provisioning (docs/host-provisioning.md): config 70 (alias emcm_70) with an emcm bundle whose head end holds
    # hes_key.pem, one node provisioned with it and its eMCM key saved by a host tool, exported as emcm_keys.xml.
    Copy-Item "$template/keys/kms_key.pem" "$template/hes_key.pem"
    $emcmPackage = New-ProvPackage -Path "$template/emcm_70.tar.gz" -ConfigId 70 -ConfigAlias emcm_70 -AppLabel ge_i210_emcm -NodeType UNODE `
        -NodeVersion 1.2.3.4 -NodeFirmware "$template/fw/node.bin" -NodeFieldConfig "$template/cfg/field.cfg" -KmsPublicKeyPath "$template/kms/kms_key.pub.pem" `
        -GatewayKeyFile "$template/network/gw_keys.csv.aes" `
        -App @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = "$template/fw/emcm.bin"; FieldConfig = "$template/cfg/emcm.cfg"; PublicKeyFile = "$template/keys/hes.pub.pem" }
    $null = Import-ProvPackage $emcmPackage.Path -Passphrase $passphrase -Server $server
    Remove-Item $emcmPackage.Path
    $emcmNode = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId 0x11
    try { $null = Invoke-NodeProvision -Port $emcmNode.Endpoint -ConfigId 70 -Batch 1000 -Server $station -ErrorAction Stop }
    finally { $emcmNode | Stop-ProvNodeSimulator }
    $emcmKey = [Security.Cryptography.RandomNumberGenerator]::GetBytes(16)
    $emcmEncrypted = Protect-ProvAppKey -Key $emcmKey -AppName emcm -Config (Get-ProvConfig 70 -Server $server)
    [Array]::Clear($emcmKey)
    $null = Set-ProvDeviceRecord -ConfigId 70 -Batch 1000 -NodeId 0x11 -App @{ Name = 'emcm'; Id = '00A1B2C3D4E5F611'; Key = $emcmEncrypted } -Server $station
    $null = Export-ProvKey -ConfigId 70 -Path "$template/emcm_keys.xml" -Server $server

    # 'Import-Module Provisioning', as for an installed module, finds this one.
    New-Item -ItemType Directory "$work/modules" | Out-Null
    $null = New-Item -ItemType SymbolicLink -Path "$work/modules/Provisioning" -Target $RepoRoot
    $env:PSModulePath = "$work/modules$([IO.Path]::PathSeparator)$env:PSModulePath"

    function script:New-Sandbox([string] $Topic, [string[]] $Code, [string] $Source) {
        $folder = Join-Path $work ($Topic -replace '[^\w.-]', '_')
        Copy-Item $template $folder -Recurse
        # What the topic makes itself is not there yet.
        foreach ($block in $Code) {
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($block, [ref]$null, [ref]$null)
            foreach ($command in $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true)) {
                if ($command.GetCommandName() -notmatch '^(New|Export)-Prov') { continue }
                $elements = $command.CommandElements
                for ($i = 1; $i -lt $elements.Count - 1; $i++) {
                    if ($elements[$i] -is [System.Management.Automation.Language.CommandParameterAst] -and $elements[$i].ParameterName -eq 'Path' -and
                        $elements[$i + 1] -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                        $made = Join-Path $folder $elements[$i + 1].Value
                        if ((Test-Path $made) -and -not ($block -match "$([regex]::Escape($elements[$i + 1].Value))[^\n]*-Force")) { Remove-Item $made -Recurse -Force }
                    }
                }
            }
        }
        # A Markdown topic's C# blocks are the source files its PowerShell names (./XorWrapper.cs).
        foreach ($match in [regex]::Matches((Get-Content $Source -Raw), '(?ms)^```csharp\r?\n(.*?)^```')) {
            if ($match.Groups[1].Value -match 'class (\w+)') { Set-Content (Join-Path $folder "$($Matches[1]).cs") $match.Groups[1].Value }
        }
        $folder
    }
}
AfterAll {
    Stop-TestServer $server
    if ($serverRoot) { Remove-Item $serverRoot -Recurse -Force -ErrorAction Ignore }
    foreach ($pair in [Provisioning.Core.Transport.VirtualSerialPair]::Live) { $pair.Dispose() }
}

Describe 'Example <Topic>' -ForEach $topics {
    BeforeAll {
        $folder = New-Sandbox $Topic $Blocks $Source
        $script:nodes = @(1..2 | ForEach-Object { Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId (0x100 + $_) })
        "Device,Batch,ConfigAlias`n$($nodes[0].Endpoint),1000,kite_170`n$($nodes[1].Endpoint),1000,kite_170" | Set-Content "$folder/stations.csv"
        $script:runspace = [runspacefactory]::CreateRunspace()
        $runspace.Open()
        $ps = [powershell]::Create($runspace)
        $null = $ps.AddScript({
            param($Manifest, $Folder, $Uri, $AdminToken, $StationToken, $Passphrase, $HasSocat)
            $ErrorActionPreference = 'Continue'
            Import-Module Provisioning
            Set-Location $Folder
            $null = Connect-ProvServer -Uri $Uri -Token $AdminToken
            # A user answering the prompt.
            function global:Read-Host([Parameter(Position = 0)] $Prompt, [switch] $AsSecureString, [switch] $MaskInput) {
                $answer = switch -Regex ($Prompt) {
                    'station token' { ConvertFrom-SecureString $StationToken -AsPlainText; break }
                    'token' { ConvertFrom-SecureString $AdminToken -AsPlainText; break }
                    'hex' { [Convert]::ToHexString([Security.Cryptography.RandomNumberGenerator]::GetBytes(16)); break }
                    default { $Passphrase }
                }
                if ($AsSecureString) { ConvertTo-SecureString $answer -AsPlainText -Force } else { $answer }
            }
            # The reader's own KMS import, which Read-ProvKeyFile's example hands each key to.
            function global:Import-MyKmsKey([uint32] $NodeId, [string] $KeyHex) { }
            if ($HasSocat) {
                $global:pair = New-ProvVirtualSerialPair -Path ./ports
                $global:sim = Start-ProvNodeSimulator -PortName $pair.PortB -NodeId 0x200
            }
            else { $global:sim = Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId 0x200 }
        }).AddArgument((Join-Path $RepoRoot 'Provisioning.psd1')).AddArgument($folder).AddArgument($server.Uri).AddArgument($server.AdminToken).
            AddArgument($stationToken).AddArgument($passphraseText).AddArgument([bool](Get-Command socat -ErrorAction Ignore))
        $null = $ps.Invoke()
        if ($ps.Streams.Error.Count) { throw "The sandbox did not come up: $($ps.Streams.Error[0])" }
        $ps.Dispose()
    }
    AfterAll {
        # Whatever the examples left running: simulators, servers, pairs.
        $ps = [powershell]::Create($runspace)
        $null = $ps.AddScript({
            foreach ($v in Get-Variable -Scope Global) {
                foreach ($o in @($v.Value)) {
                    if ($o -is [Provisioning.Core.Node.Simulator.NodeSimulator]) { $o | Stop-ProvNodeSimulator -ErrorAction Ignore }
                    elseif ($o -is [Provisioning.Core.Gateway.Simulator.GatewaySimulator]) { $o | Stop-ProvGatewaySimulator }
                    elseif ($o -is [Provisioning.PowerShell.ProvServerHandle] -and (Get-Process -Id $o.ProcessId -ErrorAction Ignore)) { $o | Stop-ProvServer -ErrorAction Ignore }
                }
            }
        })
        try { $null = $ps.Invoke() } finally { $ps.Dispose() }
        $runspace.Dispose()
        $nodes | Stop-ProvNodeSimulator
    }

    It 'runs example <Number> as written' -ForEach $Examples {
        $exception = $Exceptions | Where-Object { $_.Topic -eq $Topic -and $Code -match $_.Pattern } | Select-Object -First 1
        if ($exception) { Set-ItResult -Skipped -Because $exception.Reason; return }
        $ps = [powershell]::Create($runspace)
        try {
            # Dot-sourced so what one block defines the next can use; formatted as a console of 80 columns shows it.
            $null = $ps.AddScript(". {`n$Code`n} | Out-String -Width 80")
            $thrown = $null
            try { $null = $ps.Invoke() } catch { $thrown = $_.Exception.InnerException ?? $_.Exception }
            $errors = @($ps.Streams.Error | ForEach-Object { "$_ ($($_.FullyQualifiedErrorId))" })
            $thrown | Should -BeNullOrEmpty -Because "example $Number of $Topic must run as written:`n$Code"
            $errors | Should -BeNullOrEmpty -Because "example $Number of $Topic must run without errors:`n$Code"
        }
        finally { $ps.Dispose() }
    }
}
