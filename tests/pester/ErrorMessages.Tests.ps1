# What a user reads when a command goes wrong: plain sentences, no .NET leftovers such as "(Parameter 'name')".
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:net = New-TestNetwork -Root "$TestDrive/net"
    $script:in = New-TestPackageInput -Root "$TestDrive/in" -Network $net
    $script:leftovers = "\(Parameter '|Actual value was|System\.\w+Exception|\(database spec not understood\)"
}

Describe 'Error messages' {
    It '<Case> reads as one clean message' -ForEach @(
        @{ Case = 'a config alias with a blank'; Script = { $p = $in.Clone(); $p.ConfigAlias = 'a b'; New-ProvPackage @p -Path "$TestDrive/a.tar.gz" }; Expected = "alias 'a b'" }
        @{ Case = 'a bad config ID'; Script = { $p = $in.Clone(); $p.ConfigId = '0x'; New-ProvPackage @p -Path "$TestDrive/b.tar.gz" }; Expected = "Config ID '0x'" }
        @{ Case = 'a missing firmware file'; Script = { $p = $in.Clone(); $p.NodeFirmware = "$TestDrive/none.bin"; New-ProvPackage @p -Path "$TestDrive/c.tar.gz" }; Expected = '-NodeFirmware' }
        @{ Case = 'a malformed gateway key'; Script = { New-ProvGatewayKeyFile -KmsPrivateKeyFile $net.Kms.PrivateKeyPath -Passphrase (ConvertTo-TestSecret 'p') -GatewayKey (ConvertTo-TestSecret 'zz') -CdldKey (ConvertTo-TestSecret 'zz') -Path "$TestDrive/gw" -Iterations 10000 }; Expected = 'gateway key is malformed' }
        @{ Case = 'a missing KMS key'; Script = { Read-ProvKeyFile "$TestDrive/none.xml" -KmsPrivateKeyFile "$TestDrive/none.pem" }; Expected = 'none\.pem' }
        @{ Case = 'a bad export filter'; Script = { Export-ProvKey -ConfigId 69 -NodeId '0xZZ' -Path "$TestDrive/e.xml" -Server http://127.0.0.1:1 }; Expected = "NodeId filter '0xZZ'" }
        @{ Case = 'a bad server address'; Script = { Connect-ProvServer -Uri 'ftp://x' -Token (ConvertTo-TestSecret 't') }; Expected = "'ftp://x'" }
        @{ Case = 'a bad -Database'; Script = { Start-ProvServer -Database bogus -DataPath "$TestDrive/d" -Port (Get-FreeTcpPort) }; Expected = "The database 'bogus' is not understood: -Database takes sqlite" }
    ) {
        $text = Get-ErrorText $Script
        $text | Should -Match $Expected
        $text | Should -Not -Match $leftovers
    }

    It 'the server run directly says in one sentence which database forms it takes' {
        $dll = Join-Path $RepoRoot 'out/module/server/Provisioning.Server.dll'
        $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
        $output = & $dotnet $dll "--Provisioning:DataPath=$TestDrive/direct" '--Provisioning:Database=bogus' '--Provisioning:ConsoleLog=false' "--urls=http://127.0.0.1:$(Get-FreeTcpPort)" 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 1
        $output.Trim() | Should -Be "The provisioning server cannot start: The database spec 'bogus' is not understood; use 'sqlite' (the default), 'sqlite:<file>', 'mysql:Server=<host>;Database=<name>;User ID=<user>' or 'sqlserver:Server=<host>;Database=<name>;User ID=<user>'."
    }
}
