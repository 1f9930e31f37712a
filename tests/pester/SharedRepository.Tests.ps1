# Shared file repository mode (guide §4.3 mode 1) as a factory sets it up: the server writes the repository into a folder
# that a share exports; stations see the same folder at another path (here a symbolic link stands in for the mount) and
# read the files there, translating the server's path when their view differs (--path_trans_from/--path_trans_to).
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    $script:sims = [System.Collections.Generic.List[object]]::new()
    function script:Start-TestNode([uint32] $NodeId) {
        $sim = [Provisioning.Core.Node.Simulator.NodeSimulator]::StartAsync([Provisioning.Core.Node.Simulator.NodeSimulatorOptions]@{
            NodeId = $NodeId; NodeType = 'UNODE'; FirmwareVersion = '1.0.0'; Listen = 'tcp://127.0.0.1:0' }, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
        $sims.Add($sim)
        $sim
    }
    # A repository folder for the server, and the station's view of it: a symbolic link to the same folder.
    function script:New-TestShare([string] $Name) {
        $repository = New-Item -ItemType Directory "$TestDrive/$Name/server/repository"
        $view = "$TestDrive/$Name/station"
        New-Item -ItemType Directory $view | Out-Null
        New-Item -ItemType SymbolicLink -Path "$view/provisioning" -Target $repository.FullName | Out-Null
        [pscustomobject]@{ Repository = $repository.FullName; View = "$view/provisioning"; Root = $view }
    }
}
AfterAll { foreach ($s in $sims) { $null = $s.StopAsync().GetAwaiter().GetResult() } }

Describe 'A server in shared file system mode' {
    BeforeAll {
        $script:share = New-TestShare 'direct'
        $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/direct" -Extra @{
            FileServing = 'SharedFileSystem'; RepositoryPath = $share.Repository; ClientRepositoryPath = $share.View }
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $script:config = Get-ProvConfig 69
    }
    AfterAll { Stop-TestServer $server }

    It 'writes the repository into RepositoryPath, readable through the share, and gives stations the paths of their view' {
        $fw = $config.Node.Firmware
        $fw.Path | Should -Be "$($share.View)/$($fw.Sha256.Substring(0, 2))/$($fw.Sha256)"
        "$($share.Repository)/$($fw.Sha256.Substring(0, 2))/$($fw.Sha256)" | Should -Exist
        (Get-FileHash $fw.Path -Algorithm SHA256).Hash | Should -Be $fw.Sha256
        $config.Node.FieldConfig.Path | Should -BeLike "$($share.View)/*"
        # Readable by the share's other users: firmware and configurations, never keys.
        (Get-Item "$($share.Repository)/$($fw.Sha256.Substring(0, 2))/$($fw.Sha256)").UnixMode | Should -Be '-rw-r--r--'
        Get-ChildItem $share.Repository -Recurse -File | ForEach-Object { Get-Content $_.FullName -Raw } | Should -Not -Match 'BEGIN.*PRIVATE KEY'
    }

    It 'provisions a node with the files read from the share' {
        $sim = Start-TestNode 0x5001
        $r = Invoke-NodeProvision -Port $sim.Endpoint -Batch 1 -ConfigId 69
        $r.Code | Should -Be 0
        $sim.State.FirmwareSha256 | Should -Be $config.Node.Firmware.Sha256
        $sim.State.FieldConfigSha256 | Should -Be $config.Node.FieldConfig.Sha256
    }

    It 'fails with 102 naming the file when the share holds other content at its path' {
        $path = $config.Node.FieldConfig.Path
        $original = [IO.File]::ReadAllBytes($path)
        try {
            $changed = [byte[]]$original.Clone()
            $changed[0] = $changed[0] -bxor 0xFF
            [IO.File]::WriteAllBytes($path, $changed)
            $sim = Start-TestNode 0x5002
            $r = Invoke-NodeProvision -Port $sim.Endpoint -Batch 1 -ConfigId 69 -ErrorAction SilentlyContinue
            $r.Code | Should -Be 102
            $r.Message | Should -Match ([regex]::Escape($path))
            $r.Message | Should -Match 'does not match'
            $sim.State.FirmwareSha256 | Should -Not -Be $config.Node.Firmware.Sha256 -Because 'nothing is written to a node before every file is checked'
        }
        finally { [IO.File]::WriteAllBytes($path, $original) }
    }
}

Describe 'Stations whose view of the share differs from the server''s' {
    BeforeAll {
        # The server says /workspace/provisioning (the guide's example); this station mounts it elsewhere.
        $script:share = New-TestShare 'translated'
        $script:server = Start-TestServer -Engine SQLite -Root "$TestDrive/translated" -Extra @{
            FileServing = 'SharedFileSystem'; RepositoryPath = $share.Repository; ClientRepositoryPath = '/workspace/provisioning' }
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $script:config = Get-ProvConfig 69
    }
    AfterAll { Stop-TestServer $server }

    It 'fails with 108 naming the path when the server''s path does not exist on the station (and never downloads instead)' {
        $config.Node.Firmware.Path | Should -BeLike '/workspace/provisioning/*'
        $sim = Start-TestNode 0x6001
        $r = Invoke-NodeProvision -Port $sim.Endpoint -Batch 1 -ConfigId 69 -ErrorAction SilentlyContinue
        $r.Code | Should -Be 108
        $r.Message | Should -Match ([regex]::Escape($config.Node.Firmware.Path))
        $r.Message | Should -Match 'PathTranslateFrom'
    }

    It 'provisions once -PathTranslateFrom/-PathTranslateTo rewrite the base path' {
        $sim = Start-TestNode 0x6002
        $r = Invoke-NodeProvision -Port $sim.Endpoint -Batch 1 -ConfigId 69 -PathTranslateFrom /workspace -PathTranslateTo $share.Root
        $r.Code | Should -Be 0
        $sim.State.FirmwareSha256 | Should -Be $config.Node.Firmware.Sha256
    }

    It 'takes the translation from the pipeline by property name' {
        $sim = Start-TestNode 0x6003
        $r = [pscustomobject]@{ Port = $sim.Endpoint; PathTranslateFrom = '/workspace/'; PathTranslateTo = "$($share.Root)/" } |
            Invoke-NodeProvision -Batch 1 -ConfigId 69
        $r.Code | Should -Be 0
    }

    It 'refuses a translation with only one side (code 3)' {
        $sim = Start-TestNode 0x6004
        $r = Invoke-NodeProvision -Port $sim.Endpoint -Batch 1 -ConfigId 69 -PathTranslateFrom /workspace -ErrorAction SilentlyContinue
        $r.Code | Should -Be 3
        $r.Message | Should -Match 'PathTranslateTo'
    }
}

Describe 'Shared file system mode with bad settings' {
    It 'names a RepositoryPath the server cannot write when it starts' {
        $blocker = New-Item -ItemType File "$TestDrive/not-a-folder"
        $err = Get-ErrorText { Start-ProvServer -Port (Get-FreeTcpPort) -DataPath "$TestDrive/bad1" -FileServing SharedFileSystem -RepositoryPath "$blocker/repository" -ClientRepositoryPath /mnt/prov }
        $err | Should -Match ([regex]::Escape("$blocker/repository"))
        $err | Should -Match 'cannot be written'
    }

    It 'asks for ClientRepositoryPath in shared mode' {
        $err = Get-ErrorText { Start-ProvServer -Port (Get-FreeTcpPort) -DataPath "$TestDrive/bad2" -FileServing SharedFileSystem }
        $err | Should -Match 'ClientRepositoryPath'
    }
}
