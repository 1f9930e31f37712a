# examples/HostTool.ps1, run as a user would in its own PowerShell process: nodes by the station, hosts by the host cmdlets,
# and the export decrypted for the KMS and the head end, each key checked against the device (the script throws otherwise).
BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
}

Describe 'The host tool example' {
    It 'provisions nodes and hosts and finds every exported key equal to what its device holds' {
        $exe = [Environment]::ProcessPath
        $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
        $output = & $exe @prefix -NoProfile -File (Join-Path $RepoRoot 'examples/HostTool.ps1') -Devices 2 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $output
        $output | Should -Match 'Host tool: 2 node root keys and 3 eMCM keys exported and decrypted, each equal to what its device holds\.'
        $output | Should -Match 'host 00A1B2C3D4E5FFFF without node ID: key [0-9A-F]{6} \(confirmed\)'
        $output | Should -Match 'node 0x00007001 code 0; host 00A1B2C3D4E50001 firmware 5\.6\.7\.8'
        # The tool removes its folder; no host key was ever on disk in it.
        $output | Should -Not -Match 'Files kept in'
    }
}
