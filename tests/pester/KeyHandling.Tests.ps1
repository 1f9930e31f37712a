# Keys are sacred: run the packaging chain with known keys and look for them everywhere it could have left them.
BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:gatewayHex = '5a1c9e3377b0d2f4c6e8a0b2d4f61829'
    $script:cdldHex = 'c3a5e7f90b1d2f4361a3c5e7f9badcfe'
    $script:passphrase = 'sacred-passphrase-7d1e'

    # Every form a key could take in a file: hex either case, raw bytes (as hex of the file), base64.
    function script:Get-KeyForms([string] $Hex) {
        $bytes = [Convert]::FromHexString($Hex)
        @($Hex.ToLowerInvariant(), $Hex.ToUpperInvariant(), [Convert]::ToBase64String($bytes))
    }
    function script:Find-Secret([string] $Text, [byte[]] $Bytes) {
        $found = @()
        foreach ($hex in $gatewayHex, $cdldHex) {
            foreach ($form in Get-KeyForms $hex) { if ($Text -and $Text.Contains($form)) { $found += $form } }
            if ($Bytes -and [Convert]::ToHexString($Bytes).Contains($hex.ToUpperInvariant())) { $found += "raw bytes of $($hex.Substring(0, 4))…" }
        }
        if ($Text -and $Text.Contains($passphrase)) { $found += 'the passphrase' }
        $found
    }

    $script:work = New-Item -ItemType Directory "$TestDrive/chain"
    $tempBefore = @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -File -Recurse -ErrorAction Ignore | ForEach-Object FullName)

    $ps = [powershell]::Create()
    $null = $ps.AddScript({
        param($root, $work, $pass, $gw, $cdld)
        Import-Module "$root/Provisioning.psd1"
        Start-Transcript -Path "$work/transcript.txt" | Out-Null
        $kms = New-ProvKmsKeyPair -Path "$work/kms" -KeySize 2048 -Verbose
        $kms | Format-List * | Out-Host
        $gwFile = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -GatewayKey $gw -CdldKey $cdld -Path "$work/net" -Iterations 10000 -Verbose
        $gwFile | Format-List * | Out-Host
        'node' | Set-Content "$work/node.bin"; 'cfg' | Set-Content "$work/field.cfg"
        $pkg = New-ProvPackage -Path "$work/p.tar.gz" -ConfigId 1 -AppLabel a -NodeType UNODE -NodeVersion 1 -NodeFirmware "$work/node.bin" `
            -NodeFieldConfig "$work/field.cfg" -KmsPublicKeyFile $kms.PublicKeyPath -GatewayKeyFile $gwFile.Path -Verbose
        $pkg | Format-List * | Out-Host
        Test-ProvPackage $pkg.Path -Passphrase $pass -Verbose | Format-List * | Out-Host
        Test-ProvPackage $pkg.Path -Passphrase (ConvertTo-SecureString 'nope' -AsPlainText -Force) -ErrorAction Continue | Format-List * | Out-Host
        New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -GatewayKey $gw -CdldKey $cdld -Path "$work/net" -ErrorAction Continue
        $Error | ForEach-Object { $_ | Format-List * -Force | Out-Host; $_.Exception | Format-List * -Force | Out-Host }
        Stop-Transcript | Out-Null
    }).AddArgument($RepoRoot).AddArgument($work.FullName).AddArgument((ConvertTo-TestSecret $passphrase)).
        AddArgument((ConvertTo-TestSecret $gatewayHex)).AddArgument((ConvertTo-TestSecret $cdldHex))
    $script:output = $ps.Invoke()
    # Copied out before Dispose, which empties the streams.
    $script:streams = [pscustomobject]@{
        Error = @($ps.Streams.Error); Verbose = @($ps.Streams.Verbose); Warning = @($ps.Streams.Warning); Information = @($ps.Streams.Information)
    }
    $ps.Dispose()

    $script:newTempFiles = @(Get-ChildItem ([System.IO.Path]::GetTempPath()) -File -Recurse -ErrorAction Ignore |
        Where-Object { $_.FullName -notin $tempBefore -and -not $_.FullName.StartsWith($work.FullName) -and -not (Test-DotnetIpcEndpoint $_) })
}

Describe 'Key handling in the packaging chain' {
    It 'ran the whole chain' {
        Test-Path "$work/p.tar.gz" | Should -BeTrue
        (Get-Content "$work/transcript.txt" -Raw) | Should -Match 'GatewayKeysDecrypt'
        # The error paths ran too: a wrong passphrase and an existing gateway key file.
        ($streams.Error | Out-String) | Should -Match 'passphrase is wrong'
        ($streams.Error | Out-String) | Should -Match 'gw_keys'
    }

    It 'would see a key in any of the forms it looks for' {
        Find-Secret "...$($gatewayHex.ToUpperInvariant())..." $null | Should -Not -BeNullOrEmpty
        Find-Secret $null ([byte[]](1, 2) + [Convert]::FromHexString($cdldHex)) | Should -Not -BeNullOrEmpty
        Find-Secret ([Convert]::ToBase64String([Convert]::FromHexString($gatewayHex))) $null | Should -Not -BeNullOrEmpty
    }

    It 'leaves no key or passphrase in any file it wrote, the package included' {
        foreach ($file in Get-ChildItem $work -File -Recurse) {
            $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
            $text = [System.Text.Encoding]::UTF8.GetString($bytes)
            Find-Secret $text $bytes | Should -BeNullOrEmpty -Because $file.Name
        }
        # Inside the package too (the tar.gz is compressed).
        $inside = Expand-TestPackage "$work/p.tar.gz" "$TestDrive/inside"
        foreach ($file in Get-ChildItem $inside -File -Recurse) {
            $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
            Find-Secret ([System.Text.Encoding]::UTF8.GetString($bytes)) $bytes | Should -BeNullOrEmpty -Because $file.Name
        }
    }

    It 'leaves no temporary file behind that holds a key' {
        foreach ($file in $newTempFiles | Where-Object Length -lt 10MB) {
            # Other programs use the temp folder too: a file they removed since the listing holds nothing now.
            if (-not (Test-Path -LiteralPath $file.FullName)) { continue }
            try { $bytes = [System.IO.File]::ReadAllBytes($file.FullName) }
            catch [System.IO.FileNotFoundException], [System.IO.DirectoryNotFoundException] { continue }
            Find-Secret ([System.Text.Encoding]::UTF8.GetString($bytes)) $bytes | Should -BeNullOrEmpty -Because $file.FullName
        }
    }

    It 'shows no key or passphrase in output, verbose, warning or error streams' {
        $all = @($output) + @($streams.Error) + @($streams.Verbose) + @($streams.Warning) + @($streams.Information)
        $text = ($all | ForEach-Object { $_ | Format-List * -Force | Out-String }) -join "`n"
        $text += ($streams.Error | ForEach-Object { $_.Exception.ToString() }) -join "`n"
        Find-Secret $text $null | Should -BeNullOrEmpty
    }

    It 'writes the private key file readable by its owner only, and no other file holds it' -Skip:($IsWindows) {
        (Get-Item "$work/kms/kms_key.pem").UnixMode | Should -Be '-rw-------'
        $body = (Get-Content "$work/kms/kms_key.pem" | Where-Object { $_ -notmatch '^-----' }) -join ''
        $probe = $body.Substring(100, 40)
        foreach ($file in Get-ChildItem $work -File -Recurse | Where-Object Name -ne 'kms_key.pem') {
            (Get-Content $file.FullName -Raw -ErrorAction Ignore) -replace '\s', '' | Should -Not -Match ([regex]::Escape($probe)) -Because $file.Name
        }
    }
}
