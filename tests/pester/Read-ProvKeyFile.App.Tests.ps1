BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"

    function script:ToHex([byte[]] $Bytes) { [Convert]::ToHexString($Bytes).ToLowerInvariant() }
    function script:Reveal([securestring] $Secret) { ConvertFrom-SecureString $Secret -AsPlainText }
    # The head end's peer: RSA-OAEP-SHA256 with the app bundle's public key, upper-case hex (guide C.5 EncryptKeyInfo).
    function script:Protect([byte[]] $Key, [string] $PublicKeyPath) {
        $rsa = [System.Security.Cryptography.RSA]::Create()
        try { $rsa.ImportFromPem((Get-Content $PublicKeyPath -Raw)); [Convert]::ToHexString($rsa.Encrypt($Key, [System.Security.Cryptography.RSAEncryptionPadding]::OaepSHA256)) }
        finally { $rsa.Dispose() }
    }
    function script:Edit([string] $Name, [scriptblock] $Change) {
        $path = Join-Path $work $Name
        [IO.File]::WriteAllText($path, (& $Change ([IO.File]::ReadAllText($file))))
        $path
    }

    # A real server on SQLite; devices recorded through the API as the station's eMCM flow records them: the eMCM
    # key encrypted for the emcm bundle's public key inside the node's record.
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $script:hesPublic = ($pkg.Input.App | Where-Object Name -eq 'emcm').PublicKeyFile
    $script:hesPrivate = Join-Path (Split-Path $hesPublic) 'kms_key.pem'
    $script:kms = $pkg.Network.Kms
    $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/server"
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $config = Get-ProvConfig 69
    $station = New-ProvStationToken -Name 'hes-test'
    $script:appKeys = @{}
    $rng = [System.Random]::new(7)
    foreach ($node in 0x30..0x33) {
        $key = [byte[]]::new(16); $rng.NextBytes($key)
        $appKeys[[uint32]$node] = $key
        $apps = @(@{ name = 'emcm'; id = ('00A1B2C3D4E5F6{0:X2}' -f $node); key = (Protect $key $hesPublic); extra = '0102' })
        if ($node -eq 0x33) { $apps += @{ name = 'zigbee'; id = 'BEEF' } }
        $null = Add-TestDeviceRecord -Server $server -Token $station.Token -Config $config -NodeId $node -Batch 2000 -Apps $apps -Pending:($node -eq 0x32)
    }
    # A node recorded without app data (a plain node line) is passed over by the head end.
    $null = Add-TestDeviceRecord -Server $server -Token $station.Token -Config $config -NodeId 0x40 -Batch 2000
    $script:work = "$TestDrive/work"
    New-Item -ItemType Directory $work | Out-Null
    $script:file = (Export-ProvKey -ConfigId 69 -IncludePending -Path "$work/device_keys.xml").Path
    Stop-TestServer $server
    $script:server = $null
    $script:otherKey = New-ProvKmsKeyPair -Path "$TestDrive/other" -KeySize 2048
    $script:smallKey = New-ProvKmsKeyPair -Path "$TestDrive/small" -KeySize 3072
}
AfterAll { Stop-TestServer $server }

Describe 'Read-ProvKeyFile -AppName' {
    It 'decrypts each device''s app key to the key that was recorded, naming node, app ID and status' {
        $read = @(Read-ProvKeyFile $file -AppName emcm -PrivateKeyPath $hesPrivate)
        $read.Count | Should -Be 4
        $read.NodeId | Should -Be @(0x30, 0x31, 0x32, 0x33)
        foreach ($k in $read) {
            $k | Should -BeOfType ([Provisioning.PowerShell.ProvAppKey])
            $k.Key | Should -BeOfType [securestring]
            Reveal $k.Key | Should -BeExactly (ToHex $appKeys[[uint32]$k.NodeId]) -Because "node $k"
            $k.KeyCheckValue | Should -Be (Get-TestKeyCheckValue $appKeys[[uint32]$k.NodeId])
            $k.AppName | Should -Be 'emcm'
            $k.AppId | Should -Be ('00A1B2C3D4E5F6{0:X2}' -f $k.NodeId)
            $k.ExtraInfo | Should -Be '0102'
            $k.Source | Should -Be 'device'
            $k.KeyBytes | Should -BeNullOrEmpty
            $k.Path | Should -Be $file
        }
        ($read | Where-Object NodeId -eq 0x32).Status | Should -Be 'pending'
    }

    It 'returns plain bytes with -AsPlainBytes and shows a table without keys' {
        $read = @(Read-ProvKeyFile $file -AppName emcm -PrivateKeyPath $hesPrivate -AsPlainBytes)
        ToHex $read[0].KeyBytes | Should -Be (ToHex $appKeys[[uint32]0x30])
        $read[0].Key | Should -BeNullOrEmpty
        $shown = Read-ProvKeyFile $file -AppName emcm -PrivateKeyPath $hesPrivate | Out-String -Width 200
        $shown | Should -Match 'NodeId\s+AppName\s+AppId\s+Batch\s+Status\s+Source\s+KeyCheckValue'
        $shown | Should -Match "0x00000030\s+emcm\s+00A1B2C3D4E5F630\s+2000\s+confirmed\s+device\s+$(Get-TestKeyCheckValue $appKeys[[uint32]0x30])"
        foreach ($k in $appKeys.Values) { $shown | Should -Not -Match (ToHex $k) }
    }

    It 'gives an app without a key as an object without one' {
        $read = @(Read-ProvKeyFile $file -AppName zigbee -PrivateKeyPath $hesPrivate)
        $read.Count | Should -Be 1
        $read[0].NodeId | Should -Be 0x33
        $read[0].AppId | Should -Be 'BEEF'
        $read[0].Key | Should -BeNullOrEmpty
    }

    It 'says which apps the file holds when it has none of that name' {
        $read = @(Read-ProvKeyFile $file -AppName nosuch -PrivateKeyPath $hesPrivate -ErrorVariable problems -ErrorAction SilentlyContinue)
        $read.Count | Should -Be 0
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'AppNotInKeyFile,*'
        $problems[0].Exception.Message | Should -Match "no data for app 'nosuch'.*apps in the file: emcm, zigbee"
    }

    It 'names each node whose key does not decrypt with a wrong private key of the same size' {
        $read = @(Read-ProvKeyFile $file -AppName emcm -PrivateKeyPath $otherKey.PrivateKeyPath -ErrorVariable problems -ErrorAction SilentlyContinue)
        $read.Count | Should -Be 0
        $problems.Count | Should -Be 4
        $problems.FullyQualifiedErrorId | ForEach-Object { $_ | Should -BeLike 'AppKeyNotDecrypted,*' }
        $problems[0].TargetObject | Should -Be '0x00000030'
        $problems[0].Exception.Message | Should -Match "the 'emcm' key of node 0x00000030 does not decrypt with the private key .*encrypted for another key"
    }

    It 'says a key of another size was made for another key' {
        $null = Read-ProvKeyFile $file -AppName emcm -PrivateKeyPath $smallKey.PrivateKeyPath -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].Exception.Message | Should -Match '2048-bit RSA block, but the private key given .* is 3072-bit: it was encrypted for another key'
    }

    It 'reports a damaged key block for that node and reads the others' {
        $damaged = Edit 'damaged.xml' { param($t) [regex]::new('(?<=name="emcm" id="00A1B2C3D4E5F631" key=")([0-9A-F])').Replace($t, { param($m) if ($m.Value -eq '0') { '1' } else { '0' } }, 1) }
        $read = @(Read-ProvKeyFile $damaged -AppName emcm -PrivateKeyPath $hesPrivate -ErrorVariable problems -ErrorAction SilentlyContinue)
        $read.NodeId | Should -Be @(0x30, 0x32, 0x33)
        $problems.Count | Should -Be 1
        $problems[0].TargetObject | Should -Be '0x00000031'
    }

    It 'stops on a file cut short, after the keys it read' {
        $cut = Join-Path $work 'cut.xml'
        $text = [IO.File]::ReadAllText($file)
        [IO.File]::WriteAllText($cut, $text.Substring(0, $text.IndexOf('<summary')))
        { Read-ProvKeyFile $cut -AppName emcm -PrivateKeyPath $hesPrivate -ErrorAction Stop } | Should -Throw '*cut short*'
    }

    It 'refuses a missing private key file and an encrypted one without its passphrase' {
        { Read-ProvKeyFile $file -AppName emcm -PrivateKeyPath "$TestDrive/none.pem" -ErrorAction Stop } | Should -Throw
        $locked = New-ProvKmsKeyPair -Path "$TestDrive/locked" -KeySize 2048 -KmsKeyPassphrase (ConvertTo-TestSecret 'hes pass')
        { Read-ProvKeyFile $file -AppName emcm -PrivateKeyPath $locked.PrivateKeyPath -ErrorAction Stop } | Should -Throw '*encrypted: give its passphrase*'
        $null = Read-ProvKeyFile $file -AppName emcm -PrivateKeyPath $locked.PrivateKeyPath -PrivateKeyPassphrase (ConvertTo-TestSecret 'hes pass') -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems.Count | Should -Be 4
    }

    It 'still decrypts root keys for the KMS from the same file' {
        @(Read-ProvKeyFile $file -KmsPrivateKeyFile $kms.PrivateKeyPath).Count | Should -Be 5
    }
}
