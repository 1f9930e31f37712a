BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:net = New-TestNetwork -Root "$TestDrive/net"
    $script:in = New-TestPackageInput -Root "$TestDrive/in" -Network $net
    $script:pkg = New-ProvPackage @in -Path "$TestDrive/good.tar.gz"
    $script:pass = ConvertTo-TestSecret $net.Passphrase
    $script:manifest = [System.IO.File]::ReadAllText((Join-Path (Expand-TestPackage $pkg.Path "$TestDrive/good") 'manifest.xml'))
}

Describe 'Test-ProvPackage' {
    It 'shows the uploaded package information and every file verified' {
        $v = Test-ProvPackage $pkg.Path -Passphrase $pass
        $v.ConfigId | Should -Be 69
        $v.Aliases | Should -Be @('kite_170', 'meter_69')
        $v.AppLabel | Should -Be 'ge_sgm3000_falconv1_zigbeev2'
        $v.NodeType | Should -Be 'UNODE'
        $v.NodeVersion | Should -Be '1.2.3.4'
        ($v.Apps | ForEach-Object { "$($_.Name)($($_.Version))" }) -join ';' | Should -Be 'emcm(5.6.7.8);zigbee(1.2.3.4)'
        $v.Files.Count | Should -Be 11
        $v.Files | Where-Object { -not ($_.Md5Valid -and $_.Sha256Valid) } | Should -BeNullOrEmpty
        $v.SignatureValid | Should -BeTrue
        $v.GatewayKeysDecrypt | Should -BeTrue
        $v.KmsFingerprint | Should -Be $net.Kms.Fingerprint
        $v.Problems | Should -BeNullOrEmpty
        $shown = $v | Format-List | Out-String
        $shown | Should -Match 'Prov. Config ID'
        $shown | Should -Match 'emcm\(5\.6\.7\.8\);zigbee\(1\.2\.3\.4\)'
    }

    It 'leaves the passphrase check out when no passphrase is given' {
        $v = Test-ProvPackage $pkg.Path
        $v.GatewayKeysDecrypt | Should -BeNullOrEmpty
        $v.IsValid | Should -BeTrue
    }

    It 'takes packages from the pipeline' {
        $copy = Copy-Item $pkg.Path "$TestDrive/copy.tar.gz" -PassThru
        $results = Get-Item $pkg.Path, $copy | Test-ProvPackage
        $results.Count | Should -Be 2
    }

    It 'says the passphrase is wrong, and shows no key' {
        $errors = $null
        $v = Test-ProvPackage $pkg.Path -Passphrase (ConvertTo-TestSecret 'wrong passphrase') -ErrorVariable errors -ErrorAction SilentlyContinue
        $v.GatewayKeysDecrypt | Should -BeFalse
        $v.IsValid | Should -BeFalse
        $text = ($errors | Out-String) + ($v | Format-List * | Out-String)
        $text | Should -Match 'passphrase is wrong'
        $text | Should -Not -Match '(?i)padding|tag mismatch|authentication tag'
        $text | Should -Not -Match $net.GatewayKeyHex
        $text | Should -Not -Match $net.CdldKeyHex
    }

    It 'asks for a passphrase when an empty one is given' {
        Get-ErrorText { Test-ProvPackage $pkg.Path -Passphrase ([securestring]::new()) } | Should -Match 'passphrase is empty'
    }

    It 'never prints a key when the passphrase is right' {
        $v = Test-ProvPackage $pkg.Path -Passphrase $pass
        $text = ($v | Format-List * | Out-String) + ($v | ConvertTo-Json -Depth 5)
        $text | Should -Not -Match $net.GatewayKeyHex
        $text | Should -Not -Match $net.CdldKeyHex
    }

    It 'names the file and the hash when a byte of <Entry> is flipped' -ForEach @(
        @{ Entry = 'node/firmware/node.bin' }
        @{ Entry = 'node/field_config/field.cfg' }
        @{ Entry = 'keys/kms_key.pub.pem' }
        @{ Entry = 'keys/gw_keys.csv.aes' }
        @{ Entry = 'apps/emcm/firmware/emcm.bin' }
        @{ Entry = 'apps/zigbee/firmware/zigbee.bin' }
    ) {
        $dir = Expand-TestPackage $pkg.Path "$TestDrive/flip-$($Entry -replace '\W', '_')"
        $file = Join-Path $dir $Entry
        $bytes = [System.IO.File]::ReadAllBytes($file)
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 0x01
        [System.IO.File]::WriteAllBytes($file, $bytes)
        $bad = Compress-TestPackage $dir "$dir.tar.gz"
        $errors = $null
        $v = Test-ProvPackage $bad -ErrorVariable errors -ErrorAction SilentlyContinue
        $v.IsValid | Should -BeFalse
        ($v.Files | Where-Object Path -eq $Entry).Sha256Valid | Should -BeFalse
        $text = $errors | Out-String
        $text | Should -Match ([regex]::Escape($Entry))
        $text | Should -Match 'SHA-256'
    }

    It 'says so when the signature does not verify' {
        $dir = Expand-TestPackage $pkg.Path "$TestDrive/badsig"
        $other = New-TestNetwork -Root "$TestDrive/othernet"
        # The other KMS key's signature over this package's gateway key file: valid RSA, wrong signer.
        & openssl dgst -sha256 -sign $other.Kms.PrivateKeyPath -out "$TestDrive/other.sig" (Join-Path $dir 'keys/gw_keys.csv.aes')
        $sigEntry = Join-Path $dir 'keys/gw_keys.csv.aes.sig'
        $sigBytes = [System.IO.File]::ReadAllBytes("$TestDrive/other.sig")
        [System.IO.File]::WriteAllBytes($sigEntry, $sigBytes)
        # Keep the manifest honest about the new file so that only the signature is wrong.
        $sha = (Get-FileHash $sigEntry -Algorithm SHA256).Hash.ToLowerInvariant()
        $md5 = (Get-FileHash $sigEntry -Algorithm MD5).Hash.ToLowerInvariant()
        $m = [xml](Get-Content (Join-Path $dir 'manifest.xml') -Raw)
        $node = $m.package.files.file | Where-Object path -eq 'keys/gw_keys.csv.aes.sig'
        $node.sha256 = $sha; $node.md5 = $md5; $node.size = "$($sigBytes.Length)"
        $m.Save((Join-Path $dir 'manifest.xml'))
        $bad = Compress-TestPackage $dir "$TestDrive/badsig.tar.gz"
        $errors = $null
        $v = Test-ProvPackage $bad -ErrorVariable errors -ErrorAction SilentlyContinue
        $v.SignatureValid | Should -BeFalse
        $v.IsValid | Should -BeFalse
        ($errors | Out-String) | Should -Match '(?i)signature does not verify'
    }

    It 'verifies a package assembled by hand with GNU tar' {
        $dir = Expand-TestPackage $pkg.Path "$TestDrive/byhand"
        $byHand = Compress-TestPackage $dir "$TestDrive/byhand.tar.gz"
        (& tar -tzf $byHand)[0] | Should -Be './'
        $v = Test-ProvPackage $byHand -Passphrase $pass
        $v.IsValid | Should -BeTrue
    }

    It 'reports a damaged archive' {
        $bytes = [System.IO.File]::ReadAllBytes($pkg.Path)
        for ($i = 200; $i -lt 260; $i++) { $bytes[$i] = $bytes[$i] -bxor 0x5A }
        [System.IO.File]::WriteAllBytes("$TestDrive/damaged.tar.gz", $bytes)
        $text = Get-ErrorText { Test-ProvPackage "$TestDrive/damaged.tar.gz" }
        $text | Should -Match '(?i)damaged|corrupt'
    }

    It 'says a folder is not a package' {
        Get-ErrorText { Test-ProvPackage $TestDrive } | Should -Match 'is a folder'
    }

    It 'returns a result for an unreadable package too, so filters on IsValid see it' {
        Copy-Item $net.Kms.PublicKeyPath "$TestDrive/not-a-package.tar.gz"
        $results = Get-Item $pkg.Path, "$TestDrive/not-a-package.tar.gz" | Test-ProvPackage -ErrorAction SilentlyContinue
        $results.Count | Should -Be 2
        $bad = $results | Where-Object { -not $_.IsValid }
        $bad.Path | Should -Be "$TestDrive/not-a-package.tar.gz"
        $bad.Problems | Should -Match 'gzip'
        $bad.ConfigId | Should -BeNullOrEmpty
    }

    It 'expands wildcards in -Path and takes -LiteralPath as typed' {
        $folder = New-Item -ItemType Directory "$TestDrive/wild"
        Copy-Item $pkg.Path "$folder/a.tar.gz"
        Copy-Item $pkg.Path "$folder/b.tar.gz"
        Copy-Item $pkg.Path "$folder/c[1].tar.gz"
        $all = Test-ProvPackage "$folder/*.tar.gz" -Passphrase $pass
        $all.Count | Should -Be 3
        $all.IsValid | Should -Not -Contain $false
        (Test-ProvPackage -LiteralPath "$folder/c[1].tar.gz").IsValid | Should -BeTrue
        (Get-ChildItem "$folder/*.tar.gz" | Test-ProvPackage).Count | Should -Be 3
        Get-ErrorText { Test-ProvPackage "$folder/z*.tar.gz" } | Should -Match "No file matches .*z\*\.tar\.gz.*-LiteralPath"
    }

    It 'says so when the package does not exist' {
        Get-ErrorText { Test-ProvPackage "$TestDrive/absent.tar.gz" } | Should -Match 'absent\.tar\.gz'
    }
}

Describe 'Test-ProvPackage on hostile archives' {
    BeforeAll {
        $script:files = Get-ChildItem "$TestDrive/good" -Recurse -File | ForEach-Object {
            @{ Name = [System.IO.Path]::GetRelativePath("$TestDrive/good", $_.FullName).Replace('\', '/'); Data = [System.IO.File]::ReadAllBytes($_.FullName) }
        }
        $script:manifestEntry = $files | Where-Object Name -eq 'manifest.xml'
        $script:others = $files | Where-Object Name -ne 'manifest.xml'
    }

    It 'rejects <Case>, naming the entry, and writes nothing outside' -ForEach @(
        @{ Case = 'a path with ..'; Extra = @{ Name = '../evil.txt'; Data = 'x' }; Expect = '\.\./evil\.txt' }
        @{ Case = 'an absolute path'; Extra = @{ Name = '/tmp/evil.txt'; Data = 'x' }; Expect = '/tmp/evil\.txt' }
        @{ Case = 'a symbolic link'; Extra = @{ Name = 'node/link'; Type = 'SymbolicLink'; LinkName = '/etc/passwd' }; Expect = 'node/link' }
        @{ Case = 'a hard link'; Extra = @{ Name = 'node/hard'; Type = 'HardLink'; LinkName = 'manifest.xml' }; Expect = 'node/hard' }
        @{ Case = 'an undeclared file'; Extra = @{ Name = 'node/extra.bin'; Data = 'surprise' }; Expect = 'node/extra\.bin' }
        @{ Case = 'a duplicate file'; Extra = @{ Name = 'node/field_config/field.cfg'; Data = 'again' }; Expect = 'node/field_config/field\.cfg' }
    ) {
        $path = New-RawTestPackage "$TestDrive/hostile.tar.gz" (@($manifestEntry) + @($others) + @($Extra))
        # In a batch the entry alone does not say which package failed.
        (Get-ErrorText { Test-ProvPackage $path }) | Should -Match ([regex]::Escape($path))
        $text = Get-ErrorText { Test-ProvPackage $path }
        $text | Should -Match $Expect
        Test-Path "$TestDrive/../evil.txt" | Should -BeFalse
        Test-Path '/tmp/evil.txt' | Should -BeFalse
    }

    It 'rejects an entry larger than the manifest declares' {
        $big = $others | ForEach-Object {
            if ($_.Name -eq 'node/firmware/node.bin') { @{ Name = $_.Name; Data = [byte[]]($_.Data + [byte[]]::new(100)) } } else { $_ }
        }
        $text = Get-ErrorText { Test-ProvPackage (New-RawTestPackage "$TestDrive/big.tar.gz" (@($manifestEntry) + @($big))) }
        $text | Should -Match 'node/firmware/node\.bin'
        $text | Should -Match '(?i)larger|declare'
    }

    It 'rejects a missing declared file' {
        $some = $others | Where-Object Name -ne 'apps/zigbee/firmware/zigbee.bin'
        Get-ErrorText { Test-ProvPackage (New-RawTestPackage "$TestDrive/missing.tar.gz" (@($manifestEntry) + @($some))) } |
            Should -Match 'apps/zigbee/firmware/zigbee\.bin'
    }

    It 'rejects a manifest with a DTD or external entity' {
        $evil = $manifest -replace '^(<\?xml[^>]*\?>)?', '$1<!DOCTYPE package [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>'
        $evil = $evil -replace '<appLabel>[^<]*</appLabel>', '<appLabel>&xxe;</appLabel>'
        $path = New-RawTestPackage "$TestDrive/dtd.tar.gz" (@(@{ Name = 'manifest.xml'; Data = $evil }) + @($others))
        $text = Get-ErrorText { Test-ProvPackage $path }
        $text | Should -Match 'manifest\.xml'
        $text | Should -Match '(?i)DTD'
        $text | Should -Not -Match 'root:'
    }
}
