# Protect-ProvAppKey as a host tool uses it: an application key encrypted for its app bundle's public key (the guide's
# EncryptKeyInfo), decrypted by OpenSSL and by .NET's RSA as the head end would, and the input it refuses.
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $script:hesPrivate = Join-Path (Split-Path ($pkg.Input.App | Where-Object Name -eq 'emcm').PublicKeyFile) 'kms_key.pem'
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server"
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $script:config = Get-ProvConfig 69
    $script:key = [byte[]](0..15 | ForEach-Object { $_ * 17 })   # 00 11 22 ... FF
    $script:keyHex = [Convert]::ToHexString($key)
    function script:Decrypt([string] $Hex) {
        $rsa = [System.Security.Cryptography.RSA]::Create()
        try { $rsa.ImportFromPem((Get-Content $hesPrivate -Raw)); $rsa.Decrypt([Convert]::FromHexString($Hex), [System.Security.Cryptography.RSAEncryptionPadding]::OaepSHA256) }
        finally { $rsa.Dispose() }
    }
}
AfterAll { Stop-TestServer $server }

Describe 'Protect-ProvAppKey' {
    It 'encrypts bytes and a SecureString holding hex to one RSA-OAEP-SHA256 block the head end decrypts' {
        $fromBytes = Protect-ProvAppKey -Key $key -AppName emcm -Config $config
        $fromSecure = Protect-ProvAppKey -Key (ConvertTo-SecureString $keyHex.ToLowerInvariant() -AsPlainText -Force) -AppName emcm -Config $config
        foreach ($hex in $fromBytes, $fromSecure) {
            $hex | Should -BeOfType [string]
            $hex | Should -Match '^[0-9A-F]{512}$'
            [Convert]::ToHexString((Decrypt $hex)) | Should -Be $keyHex
        }
        # OAEP is randomised: the same key never gives the same text twice.
        $fromBytes | Should -Not -Be $fromSecure
    }

    It 'gives what OpenSSL decrypts with the head end''s key' -Skip:(-not (Get-Command openssl -ErrorAction Ignore)) {
        $hex = Protect-ProvAppKey -Key $key -AppName emcm -Config $config
        [IO.File]::WriteAllBytes("$TestDrive/app.bin", [Convert]::FromHexString($hex))
        & openssl pkeyutl -decrypt -inkey $hesPrivate -in "$TestDrive/app.bin" -out "$TestDrive/app.key" -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
        $LASTEXITCODE | Should -Be 0
        [Convert]::ToHexString([IO.File]::ReadAllBytes("$TestDrive/app.key")) | Should -Be $keyHex
    }

    It 'takes bytes that PowerShell unrolled into an object array' {
        $unrolled = if ($true) { [byte[]]$key }
        $unrolled.GetType() | Should -Be ([object[]])
        [Convert]::ToHexString((Decrypt (Protect-ProvAppKey -Key $unrolled -AppName emcm -Config $config))) | Should -Be $keyHex
    }

    It 'takes the configuration from the pipeline, also as Get-ProvConfig -Destination returns it' {
        $files = Get-ProvConfig 69 -Destination "$TestDrive/files"
        [Convert]::ToHexString((Decrypt ($files | Protect-ProvAppKey -Key $key -AppName emcm))) | Should -Be $keyHex
        [Convert]::ToHexString((Decrypt ($config | Protect-ProvAppKey -Key $key -AppName emcm))) | Should -Be $keyHex
    }

    It 'refuses <Case>' -ForEach @(
        @{ Case = 'an app the config has no bundle for'; Arguments = @{ AppName = 'nosuch' }; Id = 'AppNotFound'; Message = "*no app bundle 'nosuch' (its app bundles are 'emcm', 'zigbee')*" }
        @{ Case = 'an app bundle without a public key'; Arguments = @{ AppName = 'zigbee' }; Id = 'AppHasNoPublicKey'; Message = "*'zigbee' of config 69 has no public key*" }
        @{ Case = 'the key as plain text'; Arguments = @{ Key = '00112233445566778899AABBCCDDEEFF' }; Id = 'PlainTextKey'; Message = '*never plain text*' }
        @{ Case = 'a SecureString that is not hex'; Arguments = @{ Key = (ConvertTo-SecureString 'not a key' -AsPlainText -Force) }; Id = 'InvalidKey'; Message = '*not hex*' }
        @{ Case = 'an odd number of hex digits'; Arguments = @{ Key = (ConvertTo-SecureString 'ABC' -AsPlainText -Force) }; Id = 'InvalidKey'; Message = '*not hex of whole bytes*' }
        @{ Case = 'an empty key'; Arguments = @{ Key = [byte[]]@() }; Id = 'EmptyAppKey'; Message = '*empty*' }
        @{ Case = 'a key longer than one block carries'; Arguments = @{ Key = [byte[]]::new(300) }; Id = 'AppKeyTooLong'; Message = '*300 bytes; one RSA-OAEP-SHA256 block of the 2048-bit public key*at most 190*' }
        @{ Case = 'a config that is not one'; Arguments = @{ Config = 'config 69' }; Id = 'InvalidConfig'; Message = '*-Config takes what Get-ProvConfig returns*' }
    ) {
        $call = @{ Key = $key; AppName = 'emcm'; Config = $config } + @{}
        foreach ($k in $Arguments.Keys) { $call[$k] = $Arguments[$k] }
        $e = { Protect-ProvAppKey @call } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.Exception.Message | Should -BeLike $Message
        $e.Exception.Message | Should -Not -Match '00112233445566778899AABBCCDDEEFF'
    }
}
