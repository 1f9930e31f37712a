BeforeAll { . "$PSScriptRoot/TestHelpers.ps1" }

Describe 'New-ProvKmsKeyPair' {
    It 'writes a PKCS#8 private key and a public key that openssl reads, with a fingerprint openssl agrees with' {
        $kms = New-ProvKmsKeyPair -Path "$TestDrive/plain"
        $kms.KeySize | Should -Be 3072
        $kms.Encrypted | Should -BeFalse
        Get-Content $kms.PrivateKeyPath -First 1 | Should -Be '-----BEGIN PRIVATE KEY-----'
        Get-Content $kms.PublicKeyPath -First 1 | Should -Be '-----BEGIN PUBLIC KEY-----'
        & openssl pkey -pubin -in $kms.PublicKeyPath -outform DER -out "$TestDrive/pub.der"
        $expected = (Get-FileHash "$TestDrive/pub.der" -Algorithm SHA256).Hash.ToLowerInvariant()
        $kms.Fingerprint | Should -Be "SHA256:$expected"
    }

    It 'encrypts the private key with -Passphrase so that only the passphrase opens it' {
        $kms = New-ProvKmsKeyPair -Path "$TestDrive/enc" -KmsKeyPassphrase (ConvertTo-TestSecret 'kms pass') -KeySize 2048
        $kms.Encrypted | Should -BeTrue
        Get-Content $kms.PrivateKeyPath -First 1 | Should -Be '-----BEGIN ENCRYPTED PRIVATE KEY-----'
        & openssl pkey -in $kms.PrivateKeyPath -passin 'pass:kms pass' -noout 2>$null
        $LASTEXITCODE | Should -Be 0
        & openssl pkey -in $kms.PrivateKeyPath -passin 'pass:wrong' -noout 2>$null
        $LASTEXITCODE | Should -Not -Be 0
    }

    It 'still takes the older name -Passphrase for -KmsKeyPassphrase' {
        (New-ProvKmsKeyPair -Path "$TestDrive/older" -Passphrase (ConvertTo-TestSecret 'kms pass') -KeySize 2048).Encrypted | Should -BeTrue
    }

    It 'makes the private key readable by its owner only' -Skip:($IsWindows) {
        $kms = New-ProvKmsKeyPair -Path "$TestDrive/mode" -KeySize 2048
        (Get-Item $kms.PrivateKeyPath).UnixMode | Should -Be '-rw-------'
    }

    It 'keeps existing keys unless -Force, and says how to replace them' {
        $first = New-ProvKmsKeyPair -Path "$TestDrive/keep" -KeySize 2048
        $text = Get-ErrorText { New-ProvKmsKeyPair -Path "$TestDrive/keep" -KeySize 2048 }
        $text | Should -Match 'kms_key'
        (New-ProvKmsKeyPair -Path "$TestDrive/keep" -KeySize 2048 -Force).Fingerprint | Should -Not -Be $first.Fingerprint
    }

    It 'predicts with -WhatIf that existing keys would be refused' {
        New-ProvKmsKeyPair -Path "$TestDrive/wi2" -KeySize 2048 | Out-Null
        Get-ErrorText { New-ProvKmsKeyPair -Path "$TestDrive/wi2" -WhatIf } | Should -Match '(?i)already exists; use -Force'
    }

    It 'writes nothing with -WhatIf' {
        New-ProvKmsKeyPair -Path "$TestDrive/whatif" -WhatIf
        Test-Path "$TestDrive/whatif/kms_key.pem" | Should -BeFalse
    }
}
