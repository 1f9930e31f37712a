# The README's first command runs examples/Demo.ps1: run it as a user would, in its own PowerShell process, on both lines.
BeforeDiscovery {
    $script:lines = @(@{ Line = 'Tcp' })
    if ($IsLinux -and (Get-Command socat -ErrorAction Ignore)) { $script:lines += @{ Line = 'Serial' } }
}
BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
}

Describe 'The demo' {
    It 'runs the whole chain with nodes on <Line> and reports every key matched' -ForEach $lines {
        # This PowerShell: pwsh itself, or (as the README starts it) dotnet running the local tool's pwsh.dll.
        $exe = [Environment]::ProcessPath
        $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
        $output = & $exe @prefix -NoProfile -File (Join-Path $RepoRoot 'examples/Demo.ps1') -Line $Line 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $output
        $output | Should -Match '8 provisioned, 8 firmware updates'
        $output | Should -Match 'KMS ingest\s+: 8 of 8 keys match'
        $output | Should -Match "Station\s+: over HTTPS with the client certificate 'demo station' \(token refused: yes; after revocation: code 101\)"
        $output | Should -Match 'Demo complete\.'
        $expected = if ($Line -eq 'Serial') { 'virtual serial pairs' } else { 'over TCP' }
        $output | Should -Match $expected
    }
}
