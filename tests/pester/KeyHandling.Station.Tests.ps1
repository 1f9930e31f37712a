# Keys are sacred on the station too: provision simulated nodes (some failing on purpose) with the transcript and
# verbose output on, then look for every root key the nodes hold, and the gateway keys, everywhere the station and
# the server could have left them.
BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:gatewayHex = '6b2d0f8e4c1a3957b5d3f1e0c2a48697'
    $script:cdldHex = '0f1e2d3c4b5a69788796a5b4c3d2e1f0'

    $script:work = New-Item -ItemType Directory "$TestDrive/station"
    $network = New-TestNetwork -Root "$work/net" -GatewayKeyHex $gatewayHex -CdldKeyHex $cdldHex
    $package = New-TestServerPackage -Root "$work/pkg" -Network $network
    $script:server = Start-TestServer -Engine SQLite -Root "$work/server"
    $null = Import-ProvPackage $package.Path -Passphrase $package.Passphrase
    $script:token = New-ProvStationToken -Name 'key scan'
    $tempBefore = @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -File -Recurse -ErrorAction Ignore | ForEach-Object FullName)

    # Two good nodes, one that fails key verification (its keys are written, its record stays pending) and one whose
    # cable is pulled during the firmware. No state files: what a node holds stays in memory.
    $common = @{ Listen = 'tcp://127.0.0.1:0'; NodeType = $package.Input.NodeType; FirmwareVersion = '0.9' }
    $script:simulators = @(
        Start-ProvNodeSimulator @common -NodeId 0x501
        Start-ProvNodeSimulator @common -NodeId 0x502
        Start-ProvNodeSimulator @common -NodeId 0x503 -FailKeyVerification
        Start-ProvNodeSimulator @common -NodeId 0x504 -DropLinkAfterBytes 20000
    )

    $ps = [powershell]::Create()
    $null = $ps.AddScript({
        param($root, $work, $uri, $token, $ports)
        Import-Module "$root/Provisioning.psd1"
        Start-Transcript -Path "$work/transcript.txt" | Out-Null
        $station = Connect-ProvServer -Uri $uri -Token $token -PassThru
        $ports | Invoke-NodeProvision -ConfigId 69 -Batch 0x7 -Server $station -ThrottleLimit 4 -Verbose -Debug -LogPath "$work/station-logs/" -ErrorAction Continue |
            Format-List * | Out-Host
        $Error | ForEach-Object { $_ | Format-List * -Force | Out-Host; $_.Exception | Format-List * -Force | Out-Host }
        Stop-Transcript | Out-Null
    }).AddArgument($RepoRoot).AddArgument($work.FullName).AddArgument($server.Uri.AbsoluteUri).AddArgument($token.Token).
        AddArgument(@($simulators.Endpoint))
    $script:output = $ps.Invoke()
    $script:streams = [pscustomobject]@{
        Error = @($ps.Streams.Error); Verbose = @($ps.Streams.Verbose); Warning = @($ps.Streams.Warning); Information = @($ps.Streams.Information)
        Debug = @($ps.Streams.Debug)
    }
    $ps.Dispose()

    # provisioning_client too, at its most talkative, with a log file: one good node and one that fails verification.
    $cli = Join-Path $RepoRoot "out/cli/provisioning_client$(if ($IsWindows) { '.exe' })"
    Set-Content "$work/station.token" (ConvertFrom-SecureString $token.Token -AsPlainText)
    $script:cliOutput = foreach ($id in 0x505, 0x506) {
        $sim = if ($id -eq 0x505) { Start-ProvNodeSimulator @common -NodeId $id } else { Start-ProvNodeSimulator @common -NodeId $id -FailKeyVerification }
        $script:simulators += $sim
        & $cli -d $sim.Endpoint -s $server.Uri.Authority --disable-ssl --token-file "$work/station.token" -B 8 -p 69 --verbosity=2 --logfile="$work/cli.log" 2>&1 | Out-String
    }

    # The keys the nodes now hold: the secrets to look for.
    $script:rootKeys = @(foreach ($sim in $simulators) { $key = $sim.ReadKey('Root'); if ($key) { [Convert]::ToHexString($key); [Array]::Clear($key) } })
    # A backup of the server and a restore of it land under the server's folder too, so the scans below cover them.
    $backupPass = ConvertTo-TestSecret 'backup passphrase of the key scan'
    $null = Backup-ProvServer -Path "$work/server/backup.provbak" -Passphrase $backupPass -Server $server
    Stop-TestServer $server
    $null = Restore-ProvServer -Path "$work/server/backup.provbak" -DataPath "$work/server/restored" -Passphrase $backupPass
    $script:newTempFiles = @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -File -Recurse -ErrorAction Ignore |
        Where-Object { $_.FullName -notin $tempBefore -and -not $_.FullName.StartsWith($work.FullName) -and -not (Test-DotnetIpcEndpoint $_) })

    function script:Find-Secret([string] $Text, [byte[]] $Bytes) {
        $found = @()
        foreach ($hex in @($rootKeys) + $gatewayHex + $cdldHex) {
            $raw = [Convert]::FromHexString($hex)
            foreach ($form in $hex.ToLowerInvariant(), $hex.ToUpperInvariant(), [Convert]::ToBase64String($raw)) {
                if ($Text -and $Text.Contains($form)) { $found += "a key as '$($form.Substring(0, 6))…'" }
            }
            if ($Bytes -and [Convert]::ToHexString($Bytes).Contains($hex.ToUpperInvariant())) { $found += "raw bytes of a key $($hex.Substring(0, 4))…" }
        }
        $found
    }
}

AfterAll {
    $simulators | Stop-ProvNodeSimulator -ErrorAction Ignore
}

Describe 'Key handling on the station' {
    It 'provisioned the good nodes and failed the others with their codes' {
        $text = ($output | Out-String) + (Get-Content "$work/transcript.txt" -Raw)
        $text | Should -Match 'VerifyFailed|Verification of node provisioning failed'
        $text | Should -Match 'Message to node failed'
        # Five nodes got keys written: the two good ones and the one whose verification fails, from the cmdlet and the client.
        $rootKeys.Count | Should -Be 5
        ($cliOutput -join "`n") | Should -Match 'Result 38'
    }

    It 'would see a root key in any of the forms it looks for' {
        Find-Secret "..$($rootKeys[0].ToLowerInvariant()).." $null | Should -Not -BeNullOrEmpty
        Find-Secret $null ([byte[]](9, 9) + [Convert]::FromHexString($rootKeys[1])) | Should -Not -BeNullOrEmpty
    }

    It 'leaves no root key or gateway key in any file the server wrote (database, WAL, log, repository)' {
        foreach ($file in Get-ChildItem "$work/server" -File -Recurse) {
            $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
            Find-Secret ([System.Text.Encoding]::UTF8.GetString($bytes)) $bytes | Should -BeNullOrEmpty -Because $file.FullName
        }
    }

    It 'leaves no key in the transcript or in a temporary file' {
        $transcript = Get-Content "$work/transcript.txt" -Raw
        Find-Secret $transcript $null | Should -BeNullOrEmpty
        foreach ($file in $newTempFiles | Where-Object Length -lt 10MB) {
            # Other programs' temporary files (tests running beside this one) may be gone by now; only what is still there can hold a key.
            try { $bytes = [System.IO.File]::ReadAllBytes($file.FullName) } catch [System.IO.IOException] { continue }
            Find-Secret ([System.Text.Encoding]::UTF8.GetString($bytes)) $bytes | Should -BeNullOrEmpty -Because $file.FullName
        }
    }

    It 'leaves no key in the per-device logs of Invoke-NodeProvision -LogPath or provisioning_client --logfile, or in the client''s output' {
        $logs = @(Get-ChildItem "$work/station-logs" -File) + @(Get-Item "$work/cli.log")
        $logs.Count | Should -Be 5
        foreach ($file in $logs) {
            $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
            Find-Secret ([System.Text.Encoding]::UTF8.GetString($bytes)) $bytes | Should -BeNullOrEmpty -Because $file.FullName
        }
        Find-Secret ($cliOutput -join "`n") $null | Should -BeNullOrEmpty
        (Get-Content "$work/cli.log" -Raw) | Should -Not -Match ([regex]::Escape((Get-Content "$work/station.token")))
    }

    It 'shows no key in output, verbose, debug, warning or error streams, or in exception text' {
        $all = @($output) + @($streams.Error) + @($streams.Verbose) + @($streams.Debug) + @($streams.Warning) + @($streams.Information)
        $text = ($all | ForEach-Object { $_ | Format-List * -Force | Out-String }) -join "`n"
        $text += ($streams.Error | ForEach-Object { $_.Exception.ToString() }) -join "`n"
        Find-Secret $text $null | Should -BeNullOrEmpty
    }
}
