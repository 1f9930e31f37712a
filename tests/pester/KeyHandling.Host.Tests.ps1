# Keys are sacred for host tools too: run a host tool's steps with the transcript, verbose and debug output on (files,
# app keys encrypted from bytes and from SecureStrings, host records pending then confirmed, app keys recorded with a
# node's record as the station's eMCM flow does, refused input including a plain key sent as if encrypted, the export, the
# head end's read, a backup and its restore), then look for every application key everywhere they could have been left.
BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:work = New-Item -ItemType Directory "$TestDrive/host"
    $package = New-TestServerPackage -Root "$work/pkg"
    $script:hesPrivate = Join-Path (Split-Path ($package.Input.App | Where-Object Name -eq 'emcm').PublicKeyFile) 'kms_key.pem'
    $script:server = Start-TestServer -Engine SQLite -Root "$work/server"
    $null = Import-ProvPackage $package.Path -Passphrase $package.Passphrase
    $config = Get-ProvConfig 69
    $script:token = New-ProvStationToken -Name 'host key scan'
    $tempBefore = @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -File -Recurse -ErrorAction Ignore | ForEach-Object FullName)

    # The application keys of this run: four for host records, two recorded inside node records (the station's eMCM
    # flow), and one a careless tool sends unencrypted (the server must refuse it and keep it nowhere).
    $script:appKeys = @(1..7 | ForEach-Object { [Convert]::ToHexString([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(16)) })
    $rsa = [System.Security.Cryptography.RSA]::Create()
    $rsa.ImportFromPem(($config.Apps | Where-Object Name -eq 'emcm').PublicKey)
    foreach ($i in 0, 1) {
        $encrypted = [Convert]::ToHexString($rsa.Encrypt([Convert]::FromHexString($appKeys[4 + $i]), [System.Security.Cryptography.RSAEncryptionPadding]::OaepSHA256))
        $null = Add-TestDeviceRecord -Server $server -Token $token.Token -Config $config -NodeId (0x601 + $i) -Batch 9 -Apps @(@{ name = 'emcm'; id = "EE0$i"; key = $encrypted })
    }
    $rsa.Dispose()

    $ps = [powershell]::Create()
    $null = $ps.AddScript({
        param($root, $work, $uri, $token, $keys, $hes)
        Import-Module "$root/Provisioning.psd1"
        Start-Transcript -Path "$work/transcript.txt" | Out-Null
        $station = Connect-ProvServer -Uri $uri -Token $token -PassThru
        $files = Get-ProvConfig 69 -Destination "$work/files" -Server $station -Verbose
        $files | Format-List * | Out-Host
        for ($i = 0; $i -lt 4; $i++) {
            # Two from bytes, two from SecureStrings, as a tool would have them.
            # (The if unrolls the bytes into an object[], as PowerShell does; Protect-ProvAppKey takes them back as bytes.)
            $key = if ($i % 2) { ConvertTo-SecureString $keys[$i] -AsPlainText -Force } else { [Convert]::FromHexString($keys[$i]) }
            $encrypted = Protect-ProvAppKey -Key $key -AppName emcm -Config $files -Verbose -Debug
            $record = @{ ConfigId = 69; Batch = 9; App = @{ Name = 'emcm'; Id = "AB0$i"; Key = $encrypted }; Server = $station }
            if ($i -lt 2) { $record.NodeId = 0x601 + $i }
            $pending = Set-ProvDeviceRecord @record -Pending -Verbose -Debug
            $pending | Format-List * | Out-Host
            $pending | Confirm-ProvDeviceRecord -Server $station -Verbose | Format-List * | Out-Host
            if ($key -is [byte[]]) { [Array]::Clear($key) }
        }
        # Refused input: a plain key as if encrypted, an app the config lacks, a key too long, plain text for -Key.
        Set-ProvDeviceRecord -ConfigId 69 -Batch 9 -App @{ Name = 'emcm'; Id = 'AB09'; Key = $keys[6] } -Server $station -ErrorAction Continue
        Protect-ProvAppKey -Key ([Convert]::FromHexString($keys[6])) -AppName nosuch -Config $files -ErrorAction Continue
        Protect-ProvAppKey -Key ([Convert]::FromHexString($keys[6] * 20)) -AppName emcm -Config $files -ErrorAction Continue
        Protect-ProvAppKey -Key $keys[6] -AppName emcm -Config $files -ErrorAction Continue
        Get-ProvDevice -HostRecord -Server $uri -ErrorAction Continue | Format-List * | Out-Host
        $Error | ForEach-Object { $_ | Format-List * -Force | Out-Host; $_.Exception | Format-List * -Force | Out-Host }
        Stop-Transcript | Out-Null
    }).AddArgument($RepoRoot).AddArgument($work.FullName).AddArgument($server.Uri.AbsoluteUri).AddArgument($token.Token).
        AddArgument($appKeys).AddArgument($hesPrivate)
    $script:output = $ps.Invoke()
    $script:streams = [pscustomobject]@{
        Error = @($ps.Streams.Error); Verbose = @($ps.Streams.Verbose); Warning = @($ps.Streams.Warning); Information = @($ps.Streams.Information)
        Debug = @($ps.Streams.Debug)
    }
    $ps.Dispose()

    # The admin's export, the head end's read (keys stay SecureStrings), a backup and a restore under the server's folder.
    $script:export = (Export-ProvKey -ConfigId 69 -Path "$work/device_keys.xml" -IncludePending).Path
    $script:headEnd = @(Read-ProvKeyFile $export -AppName emcm -PrivateKeyPath $hesPrivate -Verbose 4>&1)
    $backupPass = ConvertTo-TestSecret 'backup passphrase of the host key scan'
    $null = Backup-ProvServer -Path "$work/server/backup.provbak" -Passphrase $backupPass -Server $server
    Stop-TestServer $server
    $null = Restore-ProvServer -Path "$work/server/backup.provbak" -DataPath "$work/server/restored" -Passphrase $backupPass
    $script:newTempFiles = @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -File -Recurse -ErrorAction Ignore |
        Where-Object { $_.FullName -notin $tempBefore -and -not $_.FullName.StartsWith($work.FullName) -and -not (Test-DotnetIpcEndpoint $_) })

    function script:Find-Secret([string] $Text, [byte[]] $Bytes) {
        $found = @()
        foreach ($hex in $appKeys) {
            $raw = [Convert]::FromHexString($hex)
            foreach ($form in $hex.ToLowerInvariant(), $hex.ToUpperInvariant(), [Convert]::ToBase64String($raw), ($raw -join ' ')) {
                if ($Text -and $Text.Contains($form)) { $found += "an app key as '$($form.Substring(0, 6))…'" }
            }
            if ($Bytes -and [Convert]::ToHexString($Bytes).Contains($hex.ToUpperInvariant())) { $found += "raw bytes of an app key $($hex.Substring(0, 4))…" }
        }
        $found
    }
}

Describe 'Key handling in a host tool' {
    It 'ran every step: host records confirmed, refusals given, and the head end got every key back' {
        # The four refusals and the station token refused a listing (an admin's or exporter's), and nothing else failed.
        $streams.Error.Count | Should -Be 5 -Because ($streams.Error | Out-String)
        ($streams.Error | Out-String) | Should -Match 'needs an admin or exporter token' 
        ($streams.Error | Out-String) | Should -Match 'key is 16 bytes, but a key encrypted'
        ($streams.Error | Out-String) | Should -Match "no app bundle 'nosuch'"
        ($streams.Error | Out-String) | Should -Match 'never plain text'
        $keys = @($headEnd | Where-Object { $_ -is [Provisioning.PowerShell.ProvAppKey] })
        $keys.Count | Should -Be 6
        ($keys | ForEach-Object { ConvertFrom-SecureString $_.Key -AsPlainText } | Sort-Object) | Should -Be ($appKeys[0..5] | ForEach-Object ToLowerInvariant | Sort-Object)
    }

    It 'would see an app key in any of the forms it looks for' {
        Find-Secret "..$($appKeys[0].ToLowerInvariant()).." $null | Should -Not -BeNullOrEmpty
        Find-Secret $null ([byte[]](9, 9) + [Convert]::FromHexString($appKeys[6])) | Should -Not -BeNullOrEmpty
    }

    It 'leaves no app key in any file the server wrote (database, WAL, log, backup, restore)' {
        foreach ($file in Get-ChildItem "$work/server" -File -Recurse) {
            $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
            Find-Secret ([System.Text.Encoding]::UTF8.GetString($bytes)) $bytes | Should -BeNullOrEmpty -Because $file.FullName
        }
    }

    It 'leaves no app key in the export, the downloaded files, the transcript or a temporary file' {
        foreach ($file in @(Get-Item $export) + @(Get-ChildItem "$work/files" -File -Recurse) + @(Get-Item "$work/transcript.txt") + @($newTempFiles | Where-Object Length -lt 10MB)) {
            # Other programs' temporary files may be gone by now; only what is still there can hold a key.
            try { $bytes = [System.IO.File]::ReadAllBytes($file.FullName) } catch [System.IO.IOException] { continue }
            Find-Secret ([System.Text.Encoding]::UTF8.GetString($bytes)) $bytes | Should -BeNullOrEmpty -Because $file.FullName
        }
    }

    It 'shows no app key in output, verbose, debug, warning or error streams, exception text, or the head end''s objects as shown' {
        $all = @($output) + @($streams.Error) + @($streams.Verbose) + @($streams.Debug) + @($streams.Warning) + @($streams.Information)
        $text = ($all | ForEach-Object { $_ | Format-List * -Force | Out-String }) -join "`n"
        $text += ($streams.Error | ForEach-Object { $_.Exception.ToString() }) -join "`n"
        $text += ($headEnd | ForEach-Object { $_ | Format-List * -Force | Out-String }) -join "`n"
        $text += ($headEnd | Out-String)
        Find-Secret $text $null | Should -BeNullOrEmpty
    }
}
