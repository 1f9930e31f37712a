#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, demonstrates and benchmarks the Provisioning module.
.DESCRIPTION
    Run through the local tool manifest so nothing but the .NET SDK is needed:
        dotnet tool restore && dotnet pwsh ./build.ps1 <Task>
    Tasks:
        Build   compile the solution and lay out the module under out/module (Import-Module ./Provisioning.psd1 then works)
        Test    Build, run the xunit and Pester suites, print "N passed, N failed, N skipped"; exit code 1 on any failure
        Demo    Build, run examples/Demo.ps1 (the whole chain on the embedded default)
        Bench   Build, run every tests/bench/*.Bench.ps1 and print figures as ratios to same-run baselines
        Clean   remove build output
        Package Build, then write out/dist/Provisioning-<version>.zip (a module folder users can copy to their module path),
                the provisioning_client dotnet tool (out/dist/provisioning_client.<version>.nupkg) and one self-contained
                single-file provisioning_client per OS (out/dist/provisioning_client-<version>-<rid>, -Runtime to choose),
                with emcm_provision and emcm_factory beside it (the same program under the guide's names)
.EXAMPLE
    dotnet pwsh ./build.ps1 Test
.EXAMPLE
    dotnet pwsh ./build.ps1 Test -Filter Packaging    # only tests whose name contains 'Packaging'
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Clean', 'Package')]
    [string] $Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # Runs only tests whose full name contains this text (both suites).
    [string] $Filter,

    # Package: the operating systems (runtime identifiers) to publish the single-file provisioning_client for.
    [string[]] $Runtime = @('linux-x64', 'win-x64', 'osx-arm64')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'module'

function Invoke-Native {
    param([string] $File, [string[]] $Arguments)
    & $File @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "'$File $($Arguments -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Invoke-Native dotnet @('build', "$Root/Provisioning.sln", '-c', $Configuration, '--nologo', '-v', 'quiet', '-clp:ErrorsOnly')
    Invoke-Native dotnet @('publish', "$Root/src/Provisioning.PowerShell/Provisioning.PowerShell.csproj", '-c', $Configuration,
        '--no-build', '--nologo', '-v', 'quiet', '-o', $ModuleOut)
    # The server runs in its own process; Start-ProvServer finds it in server/ beside the module assembly.
    Invoke-Native dotnet @('publish', "$Root/src/Provisioning.Server/Provisioning.Server.csproj", '-c', $Configuration,
        '--no-build', '--nologo', '-v', 'quiet', '-o', (Join-Path $ModuleOut 'server'))
    # provisioning_client, framework-dependent, for the tests and benchmarks (Package writes the self-contained files).
    Invoke-Native dotnet @('publish', "$Root/src/Provisioning.Cli/Provisioning.Cli.csproj", '-c', $Configuration,
        '--no-build', '--nologo', '-v', 'quiet', '-o', (Join-Path $Out 'cli'))
    Copy-EmcmCommands (Join-Path $Out 'cli') $(if ($IsWindows) { '.exe' } else { '' })
    & "$Root/build/New-CmdletHelp.ps1" -HelpSource "$Root/module/help" -OutputPath (Join-Path $ModuleOut 'en-US')
    # Get-Help looks in the manifest's folder; the generated help and about_ topics go there too (ignored by git).
    $rootHelp = Join-Path $Root 'en-US'
    New-Item -ItemType Directory -Force $rootHelp | Out-Null
    Copy-Item (Join-Path $ModuleOut 'en-US/*') $rootHelp -Force
    Copy-Item "$Root/module/en-US/*" $rootHelp -Force
    Write-Host "Module built: Import-Module $Root/Provisioning.psd1"
}

# The guide's emcm_provision and emcm_factory are the same program under their own names: it reads the name it was started
# by, so the guide's command lines (emcm_factory.exe -d COM3 ... PRETEST) run as written. A copy, not a link: links do not
# survive a zip or a copy to a USB stick, Windows grants them only with extra rights, and through a symlink the program
# would see the target's name.
function Copy-EmcmCommands {
    param([string] $Folder, [string] $Extension)
    foreach ($name in 'emcm_provision', 'emcm_factory') {
        Copy-Item (Join-Path $Folder "provisioning_client$Extension") (Join-Path $Folder "$name$Extension") -Force
    }
}

# provisioning_client as a dotnet tool and as one file per OS. Self-contained: a station PC needs no .NET installed, as
# it needed nothing for the guide's client; ReadyToRun, so a factory tool that starts it per device does not wait for the JIT.
function Publish-Client {
    param([string] $Version)
    $dist = Join-Path $Out 'dist'
    $project = "$Root/src/Provisioning.Cli/Provisioning.Cli.csproj"
    Invoke-Native dotnet @('pack', $project, '-c', $Configuration, '--no-build', '--nologo', '-v', 'quiet', '-o', $dist)
    Write-Host "Wrote $(Get-ChildItem $dist -Filter 'provisioning_client.*.nupkg' | Select-Object -First 1 -ExpandProperty FullName)"
    foreach ($rid in $Runtime) {
        $folder = Join-Path $dist "provisioning_client-$Version-$rid"
        Invoke-Native dotnet @('publish', $project, '-c', $Configuration, '-r', $rid, '--self-contained', 'true', '--nologo', '-v', 'quiet',
            '-p:PublishSingleFile=true', '-p:PublishReadyToRun=true', '-p:IncludeNativeLibrariesForSelfExtract=true', '-p:DebugType=none',
            '-o', $folder)
        # One file is the deliverable; the XML docs of the libraries are for IDEs.
        Get-ChildItem $folder -File | Where-Object Extension -in '.xml', '.pdb' | Remove-Item
        Copy-EmcmCommands $folder $(if ($rid -like 'win*') { '.exe' } else { '' })
        Write-Host "Wrote $folder"
    }
}

function Get-PesterModulePath {
    Invoke-Native dotnet @('restore', "$Root/build/Tools.proj", '--nologo', '-v', 'quiet')
    $cache = (& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    $path = Join-Path $cache.Trim() 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $path)) { throw "Pester was restored but not found at $path." }
    $path
}

function Invoke-XunitSuite {
    $results = Join-Path $Out 'test-results'
    Remove-Item $results -Recurse -Force -ErrorAction Ignore
    $arguments = @('test', "$Root/Provisioning.sln", '-c', $Configuration, '--no-build', '--nologo',
        '--logger', 'trx', '--results-directory', $results)
    if ($Filter) { $arguments += @('--filter', "FullyQualifiedName~$Filter") }
    & dotnet @arguments | Out-Host
    $exit = $LASTEXITCODE
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($trx in Get-ChildItem $results -Filter *.trx -ErrorAction Ignore) {
        $counters = ([xml](Get-Content -LiteralPath $trx.FullName -Raw)).TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed
        $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        # xunit's skipped tests ([Fact(Skip = ...)], or a missing peer such as PROV_TEST_SQLSERVER) are in the total but
        # were not executed; the trx "notExecuted" counter stays 0 for them.
        $skipped += [Math]::Max([int]$counters.notExecuted, [int]$counters.total - [int]$counters.executed)
    }
    # A crashed test host writes no counts: count it as a failure rather than a silent pass.
    if ($exit -ne 0 -and $failed -eq 0) { $failed = 1 }
    [pscustomobject]@{ Passed = $passed; Failed = $failed; Skipped = $skipped }
}

function Invoke-PesterSuite {
    # Test files run in this scope's children; they should see PowerShell's defaults, as a user's session does.
    Set-StrictMode -Off
    Import-Module (Get-PesterModulePath) -Force
    $config = New-PesterConfiguration
    $config.Run.Path = Join-Path $Root 'tests/pester'
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'Detailed'
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputPath = Join-Path $Out 'test-results/pester.xml'
    if ($Filter) { $config.Filter.FullName = "*$Filter*" }
    $result = Invoke-Pester -Configuration $config
    [pscustomobject]@{ Passed = $result.PassedCount; Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
        Skipped = $result.SkippedCount }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' {
        Invoke-Build
        $xunit = Invoke-XunitSuite
        $pester = Invoke-PesterSuite
        $passed = $xunit.Passed + $pester.Passed
        $failed = $xunit.Failed + $pester.Failed
        $skipped = $xunit.Skipped + $pester.Skipped
        Write-Host ''
        Write-Host "xunit: $($xunit.Passed) passed, $($xunit.Failed) failed, $($xunit.Skipped) skipped; Pester: $($pester.Passed) passed, $($pester.Failed) failed, $($pester.Skipped) skipped"
        # The last line: skipped tests are counted, never hidden (a skip says what was not checked on this machine).
        Write-Host "$passed passed, $failed failed, $skipped skipped"
        if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
    }
    'Demo' {
        Invoke-Build
        & "$Root/examples/Demo.ps1"
    }
    'Bench' {
        Invoke-Build
        foreach ($bench in Get-ChildItem "$Root/tests/bench" -Filter *.Bench.ps1) {
            Write-Host "== $($bench.Name)"
            & $bench.FullName
        }
    }
    'Clean' {
        Remove-Item $Out -Recurse -Force -ErrorAction Ignore
        Get-ChildItem $Root -Directory -Recurse -Include bin, obj |
            Where-Object { $_.FullName -notlike "*$([IO.Path]::DirectorySeparatorChar).git*" } |
            Remove-Item -Recurse -Force
    }
    'Package' {
        Invoke-Build
        $version = (Import-PowerShellDataFile "$Root/Provisioning.psd1").ModuleVersion
        $stage = Join-Path $Out "dist/Provisioning/$version"
        Remove-Item (Join-Path $Out 'dist') -Recurse -Force -ErrorAction Ignore
        New-Item -ItemType Directory $stage | Out-Null
        Copy-Item "$ModuleOut/*" $stage -Recurse
        Copy-Item "$Root/module/*.ps1xml" $stage
        Copy-Item "$Root/module/en-US" $stage -Recurse -Force
        # In the distributed folder everything sits beside the manifest.
        (Get-Content "$Root/Provisioning.psd1" -Raw) -replace "out/module/", '' -replace "module/", '' |
            Set-Content (Join-Path $stage 'Provisioning.psd1')
        $zip = Join-Path $Out "dist/Provisioning-$version.zip"
        Compress-Archive -Path (Join-Path $Out 'dist/Provisioning') -DestinationPath $zip
        Write-Host "Wrote $zip"
        Publish-Client -Version $version
    }
}
