BeforeAll { . "$PSScriptRoot/TestHelpers.ps1" }

Describe 'build.ps1 Test' {
    It 'ends with "N passed, N failed, N skipped", counting skipped tests' {
        # Only a test that skips where no MariaDB is named: the summary must count it rather than hide it.
        $script = "`$env:PROV_TEST_MYSQL = `$null; `$env:PROV_TEST_REQUIRE_MYSQL = `$null; & '$RepoRoot/build.ps1' Test -Filter 'run only when PROV_TEST_MYSQL is set'"
        $output = Invoke-TestShell $script
        $last = ($output -split "\r?\n" | Where-Object { $_.Trim() }) | Select-Object -Last 1
        $last | Should -Be '0 passed, 0 failed, 1 skipped' -Because $output
        # Nothing passed, so the command fails: a run that checked nothing is not green.
        $LASTEXITCODE | Should -Be 1
    }
}

Describe 'The README' {
    It 'names every tool a test needs, so a skipped or failed check can be traced to what is missing' {
        $readme = Get-Content (Join-Path $RepoRoot 'README.md') -Raw
        # The test suites only (benchmarks are not part of the test command).
        $sources = Get-ChildItem (Join-Path $RepoRoot 'tests') -Recurse -Include *.cs, *.ps1 |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj|bench)[\\/]' }
        $tools = foreach ($file in $sources) {
            $text = Get-Content $file.FullName -Raw
            foreach ($m in [regex]::Matches($text, 'ToolFact\(([^)]*)\)')) { [regex]::Matches($m.Groups[1].Value, '"([\w-]+)"') | ForEach-Object { $_.Groups[1].Value } }
            foreach ($m in [regex]::Matches($text, 'Get-Command (\w+) -ErrorAction Ignore')) { $m.Groups[1].Value }
        }
        $tools = @($tools | Sort-Object -Unique)
        $tools | Should -Contain 'xmllint'
        foreach ($tool in $tools) { $readme | Should -Match "``$tool``" -Because "a test skips without $tool" }
        $readme | Should -Match 'N passed, N failed, N skipped'
        $readme | Should -Match '(?s)`dotnet pwsh`.{0,120}works only inside'
    }
}

