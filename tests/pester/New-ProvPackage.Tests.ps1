BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:net = New-TestNetwork -Root "$TestDrive/net"
    $script:in = New-TestPackageInput -Root "$TestDrive/in" -Network $net
}

Describe 'New-ProvPackage' {
    It 'builds a package with two application bundles that verifies' {
        $pkg = New-ProvPackage @in -Path "$TestDrive/meter_69.tar.gz"
        $pkg.ConfigId | Should -Be 69
        $pkg.Aliases | Should -Be @('kite_170', 'meter_69')
        $pkg.Apps.Name | Should -Be @('emcm', 'zigbee')
        $pkg.Apps.Version | Should -Be @('5.6.7.8', '1.2.3.4')
        $pkg.Files.Count | Should -Be 11
        $pkg.Sha256 | Should -Be (Get-FileHash $pkg.Path -Algorithm SHA256).Hash.ToLowerInvariant()
        $v = Test-ProvPackage $pkg.Path -Passphrase (ConvertTo-TestSecret $net.Passphrase)
        $v.IsValid | Should -BeTrue
        $v.GatewayKeysDecrypt | Should -BeTrue
        $v.SignatureValid | Should -BeTrue
    }

    It 'lists and extracts with GNU tar, manifest first, with hashes sha256sum agrees with' {
        $pkg = New-ProvPackage @in -Path "$TestDrive/gnu.tar.gz"
        $names = & tar -tzf $pkg.Path | Where-Object { -not $_.EndsWith('/') }
        $LASTEXITCODE | Should -Be 0
        $names[0] | Should -Be 'manifest.xml'
        $dir = Expand-TestPackage $pkg.Path "$TestDrive/gnu"
        foreach ($f in $pkg.Files) {
            $sum = (& sha256sum (Join-Path $dir $f.Path)) -split ' ' | Select-Object -First 1
            $sum | Should -Be $f.Sha256 -Because $f.Path
            (& md5sum (Join-Path $dir $f.Path)) -split ' ' | Select-Object -First 1 | Should -Be $f.Md5 -Because $f.Path
        }
    }

    # .ci/run installs xmllint (libxml2-utils); on a machine without it this check is reported as skipped.
    It 'writes a manifest that xmllint validates against the documented schema' -Skip:(-not (Get-Command xmllint -ErrorAction Ignore)) {
        $pkg = New-ProvPackage @in -Path "$TestDrive/schema.tar.gz"
        $dir = Expand-TestPackage $pkg.Path "$TestDrive/schema"
        $out = & xmllint --noout --schema "$RepoRoot/docs/schemas/package-manifest.xsd" (Join-Path $dir 'manifest.xml') 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out | Out-String)
    }

    It 'gives xmllint a schema that holds the configuration ID to 64 bits' -Skip:(-not (Get-Command xmllint -ErrorAction Ignore)) {
        $dir = Expand-TestPackage (New-ProvPackage @in -Path "$TestDrive/range.tar.gz").Path "$TestDrive/range"
        $manifest = Get-Content (Join-Path $dir 'manifest.xml') -Raw
        foreach ($case in @{ Id = '18446744073709551615'; Ok = $true }, @{ Id = '0x45'; Ok = $true }, @{ Id = '18446744073709551616'; Ok = $false }, @{ Id = '0x10000000000000000'; Ok = $false }, @{ Id = '-1'; Ok = $false }) {
            $manifest -replace '<configId>69</configId>', "<configId>$($case.Id)</configId>" | Set-Content "$TestDrive/m.xml"
            $null = & xmllint --noout --schema "$RepoRoot/docs/schemas/package-manifest.xsd" "$TestDrive/m.xml" 2>&1
            ($LASTEXITCODE -eq 0) | Should -Be $case.Ok -Because "configId $($case.Id)"
        }
    }

    It 'takes the configuration ID in hex' {
        $p = $in.Clone(); $p.ConfigId = '0xFFFFFFFFFFFFFFFF'
        (New-ProvPackage @p -Path "$TestDrive/hex.tar.gz").ConfigId | Should -Be ([ulong]::MaxValue)
    }

    It 'names the value when the configuration ID is <Case>' -ForEach @(
        @{ Case = 'out of 64-bit range'; Value = '18446744073709551616' }
        @{ Case = 'malformed hex'; Value = '0xZZ' }
        @{ Case = 'negative'; Value = '-1' }
        @{ Case = 'not a number'; Value = 'sixty-nine' }
    ) {
        $p = $in.Clone(); $p.ConfigId = $Value
        $text = Get-ErrorText { New-ProvPackage @p -Path "$TestDrive/bad.tar.gz" }
        $text | Should -Match ([regex]::Escape("'$Value'"))
        Test-Path "$TestDrive/bad.tar.gz" | Should -BeFalse
    }

    It 'builds from a definition file with paths relative to it, and lets parameters override it' {
        $def = "$TestDrive/in/meter.psd1"
        @"
@{
    ConfigId = '0x45'; ConfigAlias = 'kite_170'; AppLabel = 'from_file'
    NodeType = 'UNODE'; NodeVersion = '1.2.3.4'
    NodeFirmware = 'fw/node.bin'; NodeFieldConfig = 'cfg/field.cfg'
    KmsPublicKeyFile = '$($net.Kms.PublicKeyPath)'; GatewayKeyFile = '$($net.GatewayKeyFile.Path)'
    App = @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = 'fw/emcm.bin' }
}
"@ | Set-Content $def
        Push-Location $TestDrive
        try { $pkg = New-ProvPackage -DefinitionPath ./in/meter.psd1 -NodeVersion 2.0.0.0 -Path ./fromdef.tar.gz }
        finally { Pop-Location }
        $pkg.ConfigId | Should -Be 69
        $pkg.AppLabel | Should -Be 'from_file'
        $pkg.NodeVersion | Should -Be '2.0.0.0'
        $pkg.Apps.Name | Should -Be 'emcm'
        Test-Path "$TestDrive/fromdef.tar.gz" | Should -BeTrue
    }

    It 'writes the hardware types the firmware supports into the manifest, and Test-ProvPackage shows them' {
        $pkg = New-ProvPackage @in -HardwareType rev-a, rev-b -Path "$TestDrive/hw.tar.gz"
        $pkg.HardwareTypes | Should -Be @('rev-a', 'rev-b')
        $manifest = Get-Content (Join-Path (Expand-TestPackage $pkg.Path "$TestDrive/hw") 'manifest.xml') -Raw
        $manifest | Should -Match '<node type="UNODE" version="1\.2\.3\.4" hardwareTypes="rev-a rev-b" />'
        $v = Test-ProvPackage $pkg.Path
        $v.IsValid | Should -BeTrue
        $v.HardwareTypes | Should -Be @('rev-a', 'rev-b')
        ($v | Out-String -Width 200) | Should -Match 'Hardware Types\s*:\s*rev-a, rev-b'
        if (Get-Command xmllint -ErrorAction Ignore) {
            $out = & xmllint --noout --schema "$RepoRoot/docs/schemas/package-manifest.xsd" (Join-Path "$TestDrive/hw" 'manifest.xml') 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out | Out-String)
        }
    }

    It 'writes no hardware types unless given, which means any' {
        $pkg = New-ProvPackage @in -Path "$TestDrive/anyhw.tar.gz"
        @($pkg.HardwareTypes).Count | Should -Be 0
        ($pkg | Out-String -Width 200) | Should -Match 'Hardware Types\s*:\s*any'
        Get-Content (Join-Path (Expand-TestPackage $pkg.Path "$TestDrive/anyhw") 'manifest.xml') -Raw | Should -Not -Match 'hardwareTypes'
    }

    It 'takes hardware types from a definition file and from a CSV cell' {
        $def = "$TestDrive/in/hw.psd1"
        @"
@{
    ConfigId = '72'; AppLabel = 'hw'; NodeType = 'UNODE'; NodeVersion = '1.2.3.4'; HardwareType = 'rev-a', 'rev-c'
    NodeFirmware = 'fw/node.bin'; NodeFieldConfig = 'cfg/field.cfg'
    KmsPublicKeyFile = '$($net.Kms.PublicKeyPath)'; GatewayKeyFile = '$($net.GatewayKeyFile.Path)'
}
"@ | Set-Content $def
        (New-ProvPackage -DefinitionPath $def -Path "$TestDrive/hwdef.tar.gz").HardwareTypes | Should -Be @('rev-a', 'rev-c')
        $row = [pscustomobject]@{ ConfigId = '73'; AppLabel = 'a'; NodeType = 'UNODE'; NodeVersion = '1'; HardwareType = 'rev-a;rev-d'
            NodeFirmware = $in.NodeFirmware; NodeFieldConfig = $in.NodeFieldConfig
            KmsPublicKeyFile = $in.KmsPublicKeyFile; GatewayKeyFile = $in.GatewayKeyFile; Path = "$TestDrive/hwcsv.tar.gz" }
        ($row | New-ProvPackage).HardwareTypes | Should -Be @('rev-a', 'rev-d')
    }

    It 'refuses a hardware type given twice, naming it' {
        Get-ErrorText { New-ProvPackage @in -HardwareType rev-a, REV-A -Path "$TestDrive/hwtwice.tar.gz" } | Should -Match "Hardware type 'REV-A' is given twice"
        "$TestDrive/hwtwice.tar.gz" | Should -Not -Exist
    }

    It 'builds one package per CSV row from the pipeline' {
        $rows = @(
            [pscustomobject]@{ ConfigId = '70'; ConfigAlias = 'line_a;line_b'; AppLabel = 'a'; NodeType = 'UNODE'; NodeVersion = '1.0.0.0'
                NodeFirmware = $in.NodeFirmware; NodeFieldConfig = $in.NodeFieldConfig; NodeFactoryConfig = ''
                KmsPublicKeyFile = $in.KmsPublicKeyFile; GatewayKeyFile = $in.GatewayKeyFile; Path = "$TestDrive/csv70.tar.gz" }
            [pscustomobject]@{ ConfigId = '0x47'; ConfigAlias = 'line_c'; AppLabel = 'b'; NodeType = 'DNODE'; NodeVersion = '2.0.0.0'
                NodeFirmware = $in.NodeFirmware; NodeFieldConfig = $in.NodeFieldConfig; NodeFactoryConfig = $in.NodeFactoryConfig
                KmsPublicKeyFile = $in.KmsPublicKeyFile; GatewayKeyFile = $in.GatewayKeyFile; Path = "$TestDrive/csv71.tar.gz" }
        )
        $rows | Export-Csv "$TestDrive/packages.csv"
        $built = Import-Csv "$TestDrive/packages.csv" | New-ProvPackage
        $built.ConfigId | Should -Be @(70, 71)
        $built[0].Aliases | Should -Be @('line_a', 'line_b')
        $built[0].Files.Role | Should -Not -Contain 'NodeFactoryConfig'
        $built[1].Files.Role | Should -Contain 'NodeFactoryConfig'
        $built[1].NodeType | Should -Be 'DNODE'
    }

    It 'reports a bad CSV row and still builds the others' {
        $rows = foreach ($id in 80, 81, 82) {
            [pscustomobject]@{ ConfigId = "$id"; AppLabel = 'a'; NodeType = 'UNODE'; NodeVersion = '1'
                NodeFirmware = $(if ($id -eq 81) { "$TestDrive/missing.bin" } else { $in.NodeFirmware }); NodeFieldConfig = $in.NodeFieldConfig
                KmsPublicKeyFile = $in.KmsPublicKeyFile; GatewayKeyFile = $in.GatewayKeyFile; Path = "$TestDrive/rows/p$id.tar.gz" }
        }
        $errors = $null
        $built = $rows | New-ProvPackage -ErrorVariable errors -ErrorAction SilentlyContinue
        $built.ConfigId | Should -Be @(80, 82)
        @($errors).Count | Should -Be 1
        ($errors | Out-String) | Should -Match 'missing\.bin'
        Test-Path "$TestDrive/rows/p81.tar.gz" | Should -BeFalse
    }

    It 'creates the folder of -Path, and says so when -Path is a folder' {
        (New-ProvPackage @in -Path "$TestDrive/new/deeper/p.tar.gz").Path | Should -Exist
        $text = Get-ErrorText { New-ProvPackage @in -Path "$TestDrive/new" }
        $text | Should -Match 'is a folder'
        $text | Should -Not -Match '\.partial'
    }

    It 'says a folder given for a file is a folder' {
        $p = $in.Clone(); $p.GatewayKeyFile = Split-Path $in.GatewayKeyFile
        $text = Get-ErrorText { New-ProvPackage @p -Path "$TestDrive/folder.tar.gz" }
        $text | Should -Match 'is a folder'
        $text | Should -Match '-GatewayKeyFile'
    }

    It 'keeps Core''s parameter names out of the exception message scripts see' {
        $p = $in.Clone(); $p.ConfigAlias = 'kite 170'
        try { New-ProvPackage @p -Path "$TestDrive/alias.tar.gz" -ErrorAction Stop; throw 'no error' }
        catch { $_.Exception.Message | Should -Not -Match "\(Parameter '" ; $_.Exception.Message | Should -Match 'kite 170' }
    }

    It 'rejects a definition file with an unknown key or code in it' {
        '@{ ConfigId = 1; Firmwear = "x" }' | Set-Content "$TestDrive/typo.psd1"
        Get-ErrorText { New-ProvPackage -DefinitionPath "$TestDrive/typo.psd1" -Path "$TestDrive/typo.tar.gz" } | Should -Match 'Firmwear'
        '@{ ConfigId = (Get-Date).Ticks }' | Set-Content "$TestDrive/code.psd1"
        Get-ErrorText { New-ProvPackage -DefinitionPath "$TestDrive/code.psd1" -Path "$TestDrive/code.tar.gz" } | Should -Match '(?i)only data'
    }

    It 'names a missing file and the parameter it came from' {
        $p = $in.Clone(); $p.NodeFirmware = "$TestDrive/nope.bin"
        $text = Get-ErrorText { New-ProvPackage @p -Path "$TestDrive/missing.tar.gz" }
        $text | Should -Match 'nope\.bin'
        $text | Should -Match '-NodeFirmware'
        $text | Should -Not -Match "\(Parameter '" -Because 'the message names the parameter once, as the user typed it'
        Test-Path "$TestDrive/missing.tar.gz" | Should -BeFalse
    }

    It 'takes a wildcard that matches one file for a file parameter, and names the parameter when it matches none or several' {
        $p = $in.Clone(); $p.NodeFirmware = Join-Path (Split-Path $in.NodeFirmware) 'no*.bin'
        (New-ProvPackage @p -Path "$TestDrive/wild.tar.gz").Path | Should -Exist
        $p.NodeFirmware = Join-Path (Split-Path $in.NodeFirmware) '*.bin'
        $text = Get-ErrorText { New-ProvPackage @p -Path "$TestDrive/wild2.tar.gz" }
        $text | Should -Match "-NodeFirmware '.*\*\.bin' matches 3 files"
        $text | Should -Not -Match "\(Parameter '"
        $p.NodeFirmware = Join-Path (Split-Path $in.NodeFirmware) 'zz*.bin'
        Get-ErrorText { New-ProvPackage @p -Path "$TestDrive/wild3.tar.gz" } | Should -Match 'No file matches -NodeFirmware'
        "$TestDrive/wild2.tar.gz", "$TestDrive/wild3.tar.gz" | Should -Not -Exist
    }

    It 'still takes the older names -KmsPublicKeyPath and an App entry''s PublicKeyPath, on the command line and in a definition file' {
        $p = $in.Clone()
        $p.KmsPublicKeyPath = $p.KmsPublicKeyFile; $p.Remove('KmsPublicKeyFile')
        $p.App = @(@{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = $in.App[0].Firmware; PublicKeyPath = $in.App[0].PublicKeyFile })
        (New-ProvPackage @p -Path "$TestDrive/older.tar.gz").Path | Should -Exist
        $def = "$TestDrive/older.psd1"
        "@{ ConfigId = '74'; AppLabel = 'old'; NodeType = 'UNODE'; NodeVersion = '1'; NodeFirmware = '$($in.NodeFirmware)'; NodeFieldConfig = '$($in.NodeFieldConfig)'
            KmsPublicKeyPath = '$($in.KmsPublicKeyFile)'; GatewayKeyFile = '$($in.GatewayKeyFile)' }" | Set-Content $def
        (New-ProvPackage -DefinitionPath $def -Path "$TestDrive/older-def.tar.gz").Path | Should -Exist
    }

    It 'refuses a gateway key file signed by another KMS key' {
        $other = New-TestNetwork -Root "$TestDrive/other"
        $p = $in.Clone(); $p.GatewayKeyFile = $other.GatewayKeyFile.Path
        $text = Get-ErrorText { New-ProvPackage @p -Path "$TestDrive/mismatch.tar.gz" }
        $text | Should -Match '(?i)signature'
        Test-Path "$TestDrive/mismatch.tar.gz" | Should -BeFalse
    }

    It 'refuses duplicate application names' {
        $p = $in.Clone(); $p.App = @(@{ Name = 'emcm'; Version = '1' }, @{ Name = 'emcm'; Version = '2' })
        Get-ErrorText { New-ProvPackage @p -Path "$TestDrive/dup.tar.gz" } | Should -Match 'emcm'
    }

    It 'writes nothing with -WhatIf and keeps an existing package unless -Force' {
        New-ProvPackage @in -Path "$TestDrive/wi.tar.gz" -WhatIf
        Test-Path "$TestDrive/wi.tar.gz" | Should -BeFalse
        New-ProvPackage @in -Path "$TestDrive/keep.tar.gz" | Out-Null
        Get-ErrorText { New-ProvPackage @in -Path "$TestDrive/keep.tar.gz" } | Should -Match '(?i)-Force'
        # -WhatIf predicts the refusal rather than promising a build.
        $whatIf = Get-ErrorText { New-ProvPackage @in -Path "$TestDrive/keep.tar.gz" -WhatIf }
        $whatIf | Should -Match '(?i)-Force'
        New-ProvPackage @in -Path "$TestDrive/keep.tar.gz" -Force | Should -Not -BeNullOrEmpty
        Get-ChildItem $TestDrive -Filter '*.partial' | Should -BeNullOrEmpty
    }
}

Describe 'New-ProvPackage with a large firmware' {
    BeforeAll {
        $script:large = $in.Clone()
        $large.NodeFirmware = New-TestFile "$TestDrive/large/node.bin" (48MB)
        # Runs a script in its own runspace, as a second console would, so its streams can be watched.
        function script:Start-Runspace([scriptblock] $Script, [object[]] $Arguments) {
            $ps = [powershell]::Create()
            $null = $ps.AddScript("Import-Module '$RepoRoot/Provisioning.psd1'").AddStatement().AddScript($Script)
            foreach ($a in $Arguments) { $null = $ps.AddArgument($a) }
            $ps
        }
    }

    It 'reports progress while it builds, and Test-ProvPackage while it verifies' {
        $ps = Start-Runspace { param($p, $out) New-ProvPackage @p -Path $out | Test-ProvPackage } @($large, "$TestDrive/progress.tar.gz")
        $result = $ps.Invoke()
        $ps.Streams.Error | Should -BeNullOrEmpty
        $result.IsValid | Should -BeTrue
        $records = $ps.Streams.Progress
        $building = @($records | Where-Object Activity -like 'Building package*')
        $verifying = @($records | Where-Object Activity -like 'Verifying package*')
        $building.Count | Should -BeGreaterThan 2
        $verifying.Count | Should -BeGreaterThan 2
        ($building | Where-Object RecordType -eq 'Processing').PercentComplete | Sort-Object -Unique | Measure-Object | Select-Object -ExpandProperty Count | Should -BeGreaterThan 2
        $building[-1].RecordType | Should -Be 'Completed'
        $verifying[-1].RecordType | Should -Be 'Completed'
        $ps.Dispose()
    }

    It 'stops on Ctrl+C and leaves neither the package nor a partial file' {
        $ps = Start-Runspace { param($p, $out) New-ProvPackage @p -Path $out } @($large, "$TestDrive/stopped.tar.gz")
        $async = $ps.BeginInvoke()
        # Wait (with a deadline) until the build is under way, then stop it as Ctrl+C does.
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while ($ps.Streams.Progress.Count -eq 0 -and -not $async.IsCompleted -and [datetime]::UtcNow -lt $deadline) {
            $null = $async.AsyncWaitHandle.WaitOne(10)
        }
        $ps.Stop()
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        Test-Path "$TestDrive/stopped.tar.gz" | Should -BeFalse
        Get-ChildItem $TestDrive -Filter '*.partial' | Should -BeNullOrEmpty
        $ps.Dispose()
    }
}


Describe 'New-ProvPackage tab completion' {
    It 'completes -NodeType with the node types' {
        $line = 'New-ProvPackage -NodeType D'
        $completions = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $completions.CompletionMatches.CompletionText | Should -Be @('DNODE')
        $line = 'New-ProvPackage -NodeType '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('UNODE', 'DNODE', 'ENODE')
    }
}
