# Get-ProvConfig -Destination as a host tool uses it (guide C.4 getConfig): every node and app bundle file downloaded from a
# real server, checked, and returned as validated paths; a damaged repository file leaves nothing behind; a server sharing its
# repository has its files located on the share (with path translation), not copied.
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $script:in = $pkg.Input
    function script:Sha([string] $Path) { (Get-FileHash $Path -Algorithm SHA256).Hash }
}

Describe 'Get-ProvConfig -Destination over HTTP' {
    BeforeAll {
        $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/http"
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $script:dest = "$TestDrive/host-files"
    }
    AfterAll { Stop-TestServer $server }

    It 'downloads every file and returns the guide''s validated paths, node and per app' {
        $files = Get-ProvConfig -ConfigAlias kite_170 -Destination $dest
        $files | Should -BeOfType ([Provisioning.Core.Host.HostConfigFiles])
        $files.ConfigId | Should -Be 69
        $files.Destination | Should -Be (Resolve-Path $dest).Path
        Sha $files.Node.FirmwarePath | Should -Be (Sha $in.NodeFirmware)
        Sha $files.Node.FieldConfigPath | Should -Be (Sha $in.NodeFieldConfig)
        Sha $files.Node.FactoryConfigPath | Should -Be (Sha $in.NodeFactoryConfig)
        $files.AppNames | Should -Be @('emcm', 'zigbee')
        $files.AppVersions | Should -Be @('5.6.7.8', '1.2.3.4')
        $files.AppPublicKeys[0] | Should -Match 'BEGIN PUBLIC KEY'
        $files.AppPublicKeys[1] | Should -BeNullOrEmpty
        $emcm = $files.App('emcm')
        Sha $emcm.FirmwarePath | Should -Be (Sha $in.App[0].Firmware)
        Sha $files.AppFiles[0].FieldConfigPath | Should -Be (Sha $in.App[0].FieldConfig)
        Sha $emcm.FactoryConfigPath | Should -Be (Sha $in.App[0].FactoryConfig)
        $emcm.FirmwarePath | Should -BeLike "*apps/emcm/*"
        $zigbee = $files.App('zigbee')
        Sha $zigbee.FirmwarePath | Should -Be (Sha $in.App[1].Firmware)
        $zigbee.FieldConfigPath | Should -BeNullOrEmpty
        (Get-ChildItem $dest -Recurse -File -Force | Where-Object Name -like '*.part') | Should -BeNullOrEmpty
        ($files | Out-String -Width 300) | Should -Match 'emcm 5\.6\.7\.8, public key: .*apps/emcm/'
    }

    It 'keeps files already there with the same content, and replaces a file that differs' {
        $fw = (Get-ProvConfig 69 -Destination $dest).Node.FirmwarePath
        $before = (Get-Item $fw).LastWriteTimeUtc
        [IO.File]::SetLastWriteTimeUtc($fw, [datetime]'2020-01-01')
        $null = Get-ProvConfig 69 -Destination $dest
        (Get-Item $fw).LastWriteTimeUtc | Should -Be ([datetime]'2020-01-01') -Because 'an identical file is not written again'
        [IO.File]::WriteAllBytes($fw, [byte[]](1, 2, 3))
        $null = Get-ProvConfig 69 -Destination $dest
        Sha $fw | Should -Be (Sha $in.NodeFirmware)
    }

    It 'shows progress while it fetches' {
        $null = Get-ProvConfig 69 -Destination "$TestDrive/progress" 6>&1
        $ps = [powershell]::Create()
        $null = $ps.AddScript({ param($m, $s, $d) Import-Module $m; Get-ProvConfig 69 -Destination $d -Server $s }).
            AddArgument("$RepoRoot/Provisioning.psd1").AddArgument($server).AddArgument("$TestDrive/progress2")
        $null = $ps.Invoke()
        $ps.Streams.Progress.Activity | Should -Contain 'Fetching the files of config 69'
        $ps.Dispose()
    }

    It 'leaves no file when a file does not match its hashes, and says so with code 102' {
        # A damaged repository file of the emcm firmware, same length: only the hashes tell.
        $sha = (Get-ProvConfig 69).Apps[0].Firmware.Sha256
        $stored = Get-ChildItem "$TestDrive/http/data" -Recurse -File | Where-Object Name -eq $sha
        $stored | Should -Not -BeNullOrEmpty
        $bytes = [IO.File]::ReadAllBytes($stored.FullName); $bytes[0] = $bytes[0] -bxor 0xFF
        [IO.File]::WriteAllBytes($stored.FullName, $bytes)
        $fresh = "$TestDrive/damaged"
        $result = Get-ProvConfig 69 -Destination $fresh -ErrorVariable err -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConfigFileMismatch,*'
        $err[0].Exception.Message | Should -Match 'emcm\.bin downloaded from the server does not match: its SHA-256 is'
        $err[0].Exception.Code | Should -Be 102
        Test-Path "$fresh/apps/emcm/emcm.bin" | Should -BeFalse
        (Get-ChildItem $fresh -Recurse -File -Force -ErrorAction Ignore | Where-Object Name -like '*emcm*') | Should -BeNullOrEmpty
    }

    It 'says where it cannot write' {
        # A file where the folder would go: no folder can be made under it, whoever runs the test.
        $blocker = New-Item -ItemType File "$TestDrive/blocker"
        Get-ProvConfig 69 -Destination "$blocker/sub" -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'DestinationNotWritable,*'
        $err[0].Exception.Message | Should -Match "cannot be written to .*blocker/sub"
    }

    It 'refuses a path translation with one side only' {
        Get-ProvConfig 69 -Destination "$TestDrive/x" -PathTranslateFrom /workspace -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidPathTranslation,*'
    }
}

Describe 'Get-ProvConfig -Destination with a server in shared file system mode' {
    BeforeAll {
        $repository = New-Item -ItemType Directory "$TestDrive/shared/server/repository"
        # The server names its files under /workspace/provisioning; this machine sees the share through a link elsewhere.
        $script:view = "$TestDrive/shared/station"
        New-Item -ItemType Directory $view | Out-Null
        New-Item -ItemType SymbolicLink -Path "$view/provisioning" -Target $repository.FullName | Out-Null
        $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/shared" -Extra @{
            FileServing = 'SharedFileSystem'; RepositoryPath = $repository.FullName; ClientRepositoryPath = '/workspace/provisioning' }
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    }
    AfterAll { Stop-TestServer $server }

    It 'locates every file on the share after the path translation and copies nothing' {
        $dest = "$TestDrive/shared-dest"
        $files = Get-ProvConfig 69 -Destination $dest -PathTranslateFrom /workspace -PathTranslateTo $view
        $files.Destination | Should -BeNullOrEmpty
        $files.Node.FirmwarePath | Should -BeLike "$view/provisioning/*"
        Sha $files.Node.FirmwarePath | Should -Be (Sha $in.NodeFirmware)
        Sha $files.App('emcm').FirmwarePath | Should -Be (Sha $in.App[0].Firmware)
        Test-Path $dest | Should -BeFalse
    }

    It 'says which path it could not read without the translation (code 108)' {
        Get-ProvConfig 69 -Destination "$TestDrive/shared-dest" -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConfigFileUnavailable,*'
        $err[0].Exception.Code | Should -Be 108
        $err[0].Exception.Message | Should -Match '/workspace/provisioning/.*-PathTranslateFrom/-PathTranslateTo'
    }
}
