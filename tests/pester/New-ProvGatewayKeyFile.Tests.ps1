BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:kms = New-ProvKmsKeyPair -Path "$TestDrive/kms" -KeySize 2048
    $script:pass = ConvertTo-TestSecret 'gateway pass'
}

Describe 'New-ProvGatewayKeyFile' {
    It 'writes gw_keys.csv.aes and a signature that openssl verifies with the KMS public key' {
        $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/net1" -Iterations 10000
        Split-Path $gw.Path -Leaf | Should -Be 'gw_keys.csv.aes'
        Split-Path $gw.SignaturePath -Leaf | Should -Be 'gw_keys.csv.aes.sig'
        $out = & openssl dgst -sha256 -verify $kms.PublicKeyPath -signature $gw.SignaturePath $gw.Path
        $out | Should -Be 'Verified OK'
        $gw.KmsFingerprint | Should -Be $kms.Fingerprint
        $gw.Iterations | Should -Be 10000
    }

    It 'uses the default of 600000 PBKDF2 iterations' {
        (New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/netdefault").Iterations | Should -Be 600000
    }

    It 'makes fresh random keys each time unless keys are given' {
        $a = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/r1" -Iterations 10000
        $b = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/r2" -Iterations 10000
        $a.GatewayKeyCheckValue | Should -Not -Be $b.GatewayKeyCheckValue
        $a.CdldKeyCheckValue | Should -Not -Be $b.CdldKeyCheckValue
    }

    It 'takes known keys as SecureStrings and reports their check values, never the keys' {
        # AES-128 key 2b7e1516... encrypts the zero block to 7df76b0c...: its KCV is 7DF76B.
        $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/known" -Iterations 10000 `
            -GatewayKey (ConvertTo-TestSecret '2b7e151628aed2a6abf7158809cf4f3c') -CdldKey (ConvertTo-TestSecret '000102030405060708090a0b0c0d0e0f')
        $gw.GatewayKeyCheckValue | Should -Be '7DF76B'
        ($gw | Format-List * | Out-String) | Should -Not -Match '2b7e151628aed2a6abf7158809cf4f3c'
        [System.IO.File]::ReadAllText($gw.Path) | Should -Not -Match '2b7e1516'
    }

    It 'refuses a malformed key, naming which key without echoing it' {
        $text = Get-ErrorText {
            New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/bad" -Iterations 10000 `
                -GatewayKey (ConvertTo-TestSecret 'nothexnothexnothexnothexnothex12') -CdldKey (ConvertTo-TestSecret '000102030405060708090a0b0c0d0e0f')
        }
        $text | Should -Match '(?i)gateway key'
        $text | Should -Not -Match 'nothexnothex'
        Test-Path "$TestDrive/bad/gw_keys.csv.aes" | Should -BeFalse
    }

    It 'asks for both keys when only one is given' {
        Get-ErrorText { New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/half" -GatewayKey (ConvertTo-TestSecret '000102030405060708090a0b0c0d0e0f') } |
            Should -Match 'CdldKey'
    }

    It 'opens an encrypted KMS private key only with its passphrase' {
        $enc = New-ProvKmsKeyPair -Path "$TestDrive/kmsenc" -KeySize 2048 -KmsKeyPassphrase (ConvertTo-TestSecret 'kms pass')
        Get-ErrorText { New-ProvGatewayKeyFile -KmsPrivateKeyFile $enc.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/e1" -Iterations 10000 } |
            Should -Match '(?i)passphrase'
        Get-ErrorText { New-ProvGatewayKeyFile -KmsPrivateKeyFile $enc.PrivateKeyPath -KmsKeyPassphrase (ConvertTo-TestSecret 'nope') -Passphrase $pass -Path "$TestDrive/e2" -Iterations 10000 } |
            Should -Match '(?i)passphrase is wrong'
        $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $enc.PrivateKeyPath -KmsKeyPassphrase (ConvertTo-TestSecret 'kms pass') -Passphrase $pass -Path "$TestDrive/e3" -Iterations 10000
        $gw.KmsFingerprint | Should -Be $enc.Fingerprint
    }

    It 'still takes the older name -KmsPrivateKeyPath, and a wildcard for -KmsPrivateKeyFile must match one file' {
        (New-ProvGatewayKeyFile -KmsPrivateKeyPath $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/older" -Iterations 10000).Path | Should -Exist
        Get-ErrorText { New-ProvGatewayKeyFile -KmsPrivateKeyFile "$TestDrive/kms/*.pem" -Passphrase $pass -Path "$TestDrive/two" -Iterations 10000 } |
            Should -Match 'matches 2 files'
        "$TestDrive/two/gw_keys.csv.aes" | Should -Not -Exist
    }

    It 'warns when the gateway key and the CDLD key are the same' {
        $same = ConvertTo-TestSecret '000102030405060708090a0b0c0d0e0f'
        $warnings = $null
        New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/same" -Iterations 10000 `
            -GatewayKey $same -CdldKey (ConvertTo-TestSecret '000102030405060708090A0B0C0D0E0F') -WarningVariable warnings -WarningAction SilentlyContinue | Out-Null
        ($warnings | Out-String) | Should -Match 'same key'
    }

    It 'refuses an empty passphrase' {
        Get-ErrorText { New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase ([securestring]::new()) -Path "$TestDrive/empty" } |
            Should -Match '(?i)passphrase is required'
    }

    It 'keeps existing files unless -Force, and writes nothing with -WhatIf' {
        New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/keep" -Iterations 10000 | Out-Null
        Get-ErrorText { New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/keep" -Iterations 10000 } |
            Should -Match 'gw_keys'
        New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/keep" -Iterations 10000 -Force | Should -Not -BeNullOrEmpty
        New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$TestDrive/wi" -WhatIf
        Test-Path "$TestDrive/wi/gw_keys.csv.aes" | Should -BeFalse
    }
}
