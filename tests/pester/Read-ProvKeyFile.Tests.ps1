BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"

    function script:ToHex([byte[]] $Bytes) { [Convert]::ToHexString($Bytes).ToLowerInvariant() }
    function script:Reveal([securestring] $Secret) { ConvertFrom-SecureString $Secret -AsPlainText }
    # The key check value as the guide's tools compute it: AES-ECB of a zero block, first 3 bytes.
    function script:Kcv([byte[]] $Key) {
        $aes = [System.Security.Cryptography.Aes]::Create()
        try { $aes.Key = $Key; [Convert]::ToHexString($aes.EncryptEcb([byte[]]::new(16), 'None')[0..2]) } finally { $aes.Dispose() }
    }
    # A copy of an export with one edit, for the damaged-file cases.
    function script:Edit([string] $Name, [scriptblock] $Change) {
        $path = Join-Path $work $Name
        [IO.File]::WriteAllText($path, (& $Change ([IO.File]::ReadAllText($file))))
        $path
    }

    # A real server on SQLite; devices recorded through the API as a station does, with root keys the test knows.
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $script:kms = $pkg.Network.Kms
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server"
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $config = Get-ProvConfig 69
    $station = New-ProvStationToken -Name 'kms-test'
    $script:keys = @{}
    $rng = [System.Random]::new(42)
    foreach ($node in @(0x10..0x17) + 0x20) {
        $key = [byte[]]::new(16); $rng.NextBytes($key)
        $keys[[uint32]$node] = $key
        $batch = if ($node -eq 0x20) { 1001 } else { 1000 }
        $null = Add-TestDeviceRecord -Server $server -Token $station.Token -Config $config -NodeId $node -Batch $batch -RootKey $key -Pending:($node -eq 0x20)
    }
    $script:work = "$TestDrive/work"
    New-Item -ItemType Directory $work | Out-Null
    $script:file = (Export-ProvKey -ConfigId 69 -IncludePending -Path "$work/device_keys.xml").Path
    $script:confirmedOnly = (Export-ProvKey -ConfigId 69 -Batch 1000 -Path "$work/batch1000.xml").Path
    Stop-TestServer $server
    $script:server = $null
    # Every form a key could leak in: hex either case, base64, and the bytes as PowerShell prints them.
    $script:secrets = foreach ($k in $keys.Values) { ToHex $k; [Convert]::ToHexString($k); [Convert]::ToBase64String($k); $k -join ' ' }
}
AfterAll { Stop-TestServer $server }

Describe 'Read-ProvKeyFile' {
    It 'decrypts every device to the key the station recorded, with what the file says about it' {
        $devices = @(Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath)
        $devices.Count | Should -Be 9
        $devices.NodeId | Should -Be (@(0x10..0x17) + 0x20)
        foreach ($d in $devices) {
            $d.RootKey | Should -BeOfType [securestring]
            Reveal $d.RootKey | Should -BeExactly (ToHex $keys[$d.NodeId]) -Because "node $d"
            $d.KeyCheckValue | Should -Be (Kcv $keys[$d.NodeId])
            $d.RootKeyBytes | Should -BeNullOrEmpty
            $d.ConfigId | Should -Be 69
            $d.KmsKeyFingerprint | Should -Be $kms.Fingerprint
            $d.Path | Should -Be $file
        }
        ($devices | Where-Object NodeId -eq 0x20).Status | Should -Be 'pending'
        ($devices | Where-Object NodeId -eq 0x20).Batch | Should -Be 1001
        ($devices | Where-Object NodeId -eq 0x10).Status | Should -Be 'confirmed'
        ($devices | Where-Object NodeId -eq 0x10).Batch | Should -Be 1000
    }

    It 'shows a table of node IDs in hex, batch, status and key check value' {
        $shown = Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath | Out-String -Width 200
        $shown | Should -Match 'NodeId\s+Batch\s+Status\s+KeyCheckValue'
        $shown | Should -Match "0x00000010\s+1000\s+confirmed\s+$(Kcv $keys[[uint32]0x10])"
        $shown | Should -Match '0x00000020\s+1001\s+pending'
    }

    It 'gives the same key as the openssl commands in docs/export-format.md' -Skip:(-not (Get-Command xmllint -ErrorAction Ignore) -or -not (Get-Command openssl -ErrorAction Ignore)) {
        # The shell block of the section, run exactly as written, in a folder holding the file and the key.
        $doc = Get-Content "$RepoRoot/docs/export-format.md" -Raw
        $section = $doc.Substring($doc.IndexOf('## Decrypting the keys (KMS ingest)'))
        $block = [regex]::Match($section, '(?s)```sh\r?\n(.*?)```').Groups[1].Value
        $block | Should -Match 'openssl pkeyutl -decrypt -inkey kms_key.pem -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256'
        $folder = New-Item -ItemType Directory "$TestDrive/openssl"
        Copy-Item $file "$folder/device_keys.xml"
        Copy-Item $kms.PrivateKeyPath "$folder/kms_key.pem"
        Push-Location $folder
        try { $output = $block | & bash -e 2>&1 }
        finally { Pop-Location }
        $LASTEXITCODE | Should -Be 0 -Because ($output | Out-String)
        $fromCmdlet = Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath | Where-Object NodeId -eq 0x10
        ($output | Select-Object -Last 1) | Should -BeExactly (Reveal $fromCmdlet.RootKey)
        "$folder/rootkey.bin" | Should -Not -Exist
    }

    It 'names each node and both KMS keys when given the wrong KMS key, and goes on to the end' {
        $other = New-ProvKmsKeyPair -Path "$TestDrive/other-kms" -KeySize 2048
        $errors = $null
        $devices = Read-ProvKeyFile $file -KmsPrivateKeyFile $other.PrivateKeyPath -ErrorVariable errors -ErrorAction SilentlyContinue
        $devices | Should -BeNullOrEmpty
        $errors.Count | Should -Be 9
        $errors[0].FullyQualifiedErrorId | Should -Match '^WrongKmsKey'
        $errors[0].TargetObject | Should -Be '0x00000010'
        $text = $errors[0].ToString()
        $text | Should -Match 'node 0x00000010'
        $text | Should -Match ([regex]::Escape("encrypted for the KMS key $($kms.Fingerprint)"))
        $text | Should -Match ([regex]::Escape("is $($other.Fingerprint)"))
        $errors[8].ToString() | Should -Match 'node 0x00000020'
    }

    It 'reports a damaged key block as a non-terminating error naming the node, and decrypts the others' {
        # Node 0x12's block replaced by another valid base64 block of the same length: the file stays schema-valid.
        $damaged = Edit 'damaged-key.xml' {
            param($xml)
            $m = [regex]::Match($xml, '(?s)nodeId="0x00000012".*?<rootKey[^>]*>([^<]+)</rootKey>')
            $bytes = [Convert]::FromBase64String($m.Groups[1].Value); $bytes[10] = $bytes[10] -bxor 0xFF
            $xml.Remove($m.Groups[1].Index, $m.Groups[1].Length).Insert($m.Groups[1].Index, [Convert]::ToBase64String($bytes))
        }
        $errors = $null
        $devices = Read-ProvKeyFile $damaged -KmsPrivateKeyFile $kms.PrivateKeyPath -ErrorVariable errors -ErrorAction SilentlyContinue
        $devices.Count | Should -Be 8
        $devices.NodeId | Should -Not -Contain ([uint32]0x12)
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Match '^RootKeyNotDecrypted'
        $errors[0].ToString() | Should -Match 'node 0x00000012 does not decrypt .* damaged'
    }

    It 'opens an encrypted KMS key with its passphrase, and says what is wrong without it or with a wrong one' {
        $encrypted = "$TestDrive/kms_key.enc.pem"
        & openssl pkcs8 -topk8 -v2 aes-256-cbc -in $kms.PrivateKeyPath -out $encrypted -passout pass:kms-secret-1 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        Get-Content $encrypted -Raw | Should -Match 'ENCRYPTED PRIVATE KEY'

        $devices = @(Read-ProvKeyFile $file -KmsPrivateKeyFile $encrypted -KmsKeyPassphrase (ConvertTo-TestSecret 'kms-secret-1'))
        $devices.Count | Should -Be 9
        Reveal $devices[0].RootKey | Should -BeExactly (ToHex $keys[$devices[0].NodeId])

        { Read-ProvKeyFile $file -KmsPrivateKeyFile $encrypted } | Should -Throw '*is encrypted: give its passphrase*'
        { Read-ProvKeyFile $file -KmsPrivateKeyFile $encrypted -KmsKeyPassphrase (ConvertTo-TestSecret 'wrong') } | Should -Throw '*passphrase is wrong*'
        # The older names keep existing scripts working.
        @(Read-ProvKeyFile $file -KmsPrivateKeyPath $encrypted -Passphrase (ConvertTo-TestSecret 'kms-secret-1')).Count | Should -Be 9
    }

    It 'stops with an error naming the file and line when the XML is damaged (<Case>)' -ForEach @(
        @{ Case = 'a broken tag'; Change = { param($xml) $xml.Replace('</rootKey>', '</rootKy>') }; Pattern = 'not readable XML at line \d+' }
        @{ Case = 'cut short'; Change = { param($xml) $xml.Substring(0, $xml.IndexOf('nodeId="0x00000015"')) }; Pattern = 'cut short: it stops at line \d+' }
        @{ Case = 'an unknown attribute'; Change = { param($xml) $xml.Replace('status="pending"', 'status="pending" extra="1"') }; Pattern = 'does not match the key export schema .* at line \d+' }
    ) {
        $bad = Edit "bad-$($Case -replace '\W', '_').xml" $Change
        $thrown = $null
        try { $null = Read-ProvKeyFile $bad -KmsPrivateKeyFile $kms.PrivateKeyPath -ErrorAction Stop }
        catch { $thrown = $_ }
        $thrown | Should -Not -BeNullOrEmpty
        $thrown.FullyQualifiedErrorId | Should -Match '^InvalidKeyFile'
        $thrown.ToString() | Should -Match ([regex]::Escape($bad))
        $thrown.ToString() | Should -Match $Pattern
    }

    It 'says a missing export file does not exist' {
        { Read-ProvKeyFile "$work/nope.xml" -KmsPrivateKeyFile $kms.PrivateKeyPath } | Should -Throw "*nope.xml' does not exist*"
    }

    It 'expands wildcards in -Path and in -KmsPrivateKeyFile, which must match one file, and takes -LiteralPath as typed' {
        $folder = New-Item -ItemType Directory "$work/wild"
        Copy-Item $file "$folder/all[1].xml"
        Copy-Item $confirmedOnly "$folder/batch.xml"
        @(Read-ProvKeyFile "$folder/*.xml" -KmsPrivateKeyFile "$(Split-Path $kms.PrivateKeyPath)/kms_key.p?m").Count | Should -Be 17
        @(Read-ProvKeyFile -LiteralPath "$folder/all[1].xml" -KmsPrivateKeyFile $kms.PrivateKeyPath).Count | Should -Be 9
        $text = Get-ErrorText { Read-ProvKeyFile "$folder/*.xml" -KmsPrivateKeyFile "$(Split-Path $kms.PrivateKeyPath)/kms_key*.pem" }
        $text | Should -Match "-KmsPrivateKeyFile '.*kms_key\*\.pem' matches 2 files \(kms_key\.pem, kms_key\.pub\.pem\); it takes one file"
        Get-ErrorText { Read-ProvKeyFile "$folder/*.xml" -KmsPrivateKeyFile "$work/none*.pem" } | Should -Match 'No file matches -KmsPrivateKeyFile'
    }

    It 'returns plain bytes only with -AsPlainBytes' {
        $devices = @(Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath -AsPlainBytes)
        $devices.Count | Should -Be 9
        foreach ($d in $devices) {
            $d.RootKeyBytes | Should -Be $keys[$d.NodeId]
            $d.RootKey | Should -BeNullOrEmpty
        }
    }

    It 'reads many files from the pipeline, as files or as paths, with one KMS key' {
        $folder = New-Item -ItemType Directory "$TestDrive/many"
        foreach ($i in 1..3) { Copy-Item $file "$folder/all-$i.xml" }
        Copy-Item $confirmedOnly "$folder/batch1000.xml"
        $devices = @(Get-ChildItem "$folder/*.xml" | Read-ProvKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath)
        $devices.Count | Should -Be (3 * 9 + 8)
        ($devices | Group-Object Path).Count | Should -Be 4
        @($devices | Where-Object Path -like '*batch1000.xml').Status | Sort-Object -Unique | Should -Be 'confirmed'
        @("$folder/all-1.xml", "$folder/batch1000.xml" | Read-ProvKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath).Count | Should -Be 17
    }

    It 'reports progress while it reads a large file' {
        # 1000 devices: node 0x10's entry repeated with new node IDs and the summary counted again.
        $large = Edit 'large.xml' {
            param($xml)
            $entry = [regex]::Match($xml, '(?s)\s*<device nodeId="0x00000010".*?</device>').Value
            $copies = foreach ($n in 0x1000..(0x1000 + 999)) { $entry.Replace('0x00000010', ('0x{0:X8}' -f $n)) }
            $start = $xml.IndexOf('<device '); $end = $xml.LastIndexOf('</device>') + '</device>'.Length
            $xml.Substring(0, $start) + ($copies -join '') + $xml.Substring($end) -replace 'deviceCount="\d+"', 'deviceCount="1000"'
        }
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$RepoRoot/Provisioning.psd1'").AddStatement().AddCommand('Read-ProvKeyFile').AddParameter('Path', $large).AddParameter('KmsPrivateKeyFile', $kms.PrivateKeyPath)
        try {
            $result = $ps.Invoke()
            $ps.Streams.Error | Should -BeNullOrEmpty
            $result.Count | Should -Be 1000
            $records = @($ps.Streams.Progress | Where-Object Activity -eq 'Reading large.xml')
            @($records | Where-Object RecordType -eq 'Processing').PercentComplete | Sort-Object -Unique | Measure-Object | Select-Object -ExpandProperty Count | Should -BeGreaterThan 2
            $records[-1].RecordType | Should -Be 'Completed'
        }
        finally { $ps.Dispose() }
    }

    It 'shows no plaintext key in any output stream unless -AsPlainBytes' {
        $other = New-ProvKmsKeyPair -Path "$TestDrive/scan-kms" -KeySize 2048
        $damaged = Edit 'scan-cut.xml' { param($xml) $xml.Substring(0, $xml.IndexOf('nodeId="0x00000016"')) }
        $cut = [System.Collections.Generic.List[string]]::new()
        try { Read-ProvKeyFile $damaged -KmsPrivateKeyFile $kms.PrivateKeyPath -Verbose *>&1 | ForEach-Object { $cut.Add(($_ | Out-String -Width 1000)) } }
        catch { $cut.Add(($_ | Format-List * -Force | Out-String -Width 1000)) }
        $cut[-1] | Should -Match 'cut short'
        $texts = @(
            Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath -Verbose -Debug *>&1 | Out-String -Width 1000
            Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath | Format-List * | Out-String -Width 1000
            Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath | Format-Table * | Out-String -Width 1000
            Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath | ConvertTo-Json -Depth 4
            Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath | ConvertTo-Csv
            Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath | ForEach-Object { "$_"; $_.RootKey.ToString() }
            Read-ProvKeyFile $file -KmsPrivateKeyFile $other.PrivateKeyPath -Verbose -ErrorAction Continue *>&1 | Out-String -Width 1000
            $cut
        ) -join "`n"
        $texts | Should -Match '0x00000010'    # the scan saw real output
        foreach ($secret in $secrets) { $texts | Should -Not -Match ([regex]::Escape($secret)) }

        # The switch is the explicit risk: the bytes are then plain for anything that formats them.
        $plain = Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath -AsPlainBytes | ForEach-Object { $_.RootKeyBytes -join ' ' }
        $plain | Should -Contain ($keys[[uint32]0x10] -join ' ')
    }
}
