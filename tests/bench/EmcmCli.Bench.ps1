#!/usr/bin/env pwsh
<#
.SYNOPSIS
    emcm_factory: what a meter line's script loses per operation by starting the command once per meter, against the cmdlet.
.DESCRIPTION
    Against a real HTTPS server (Start-ProvServer -Tls, SQLite) with a station token, one simulated meter (a node behind an
    eMCM on unpaced TCP, orw) that has passed PRETEST, and a gateway simulator, alternately -Runs times each:
      cmdlet   Invoke-EmcmFactoryStage -Stage CheckConfig in this warm PowerShell session (connected once)
      command  emcm_factory ... CHECKCONFIG, one process per call, as examples/emcm-line.sh calls it: process start,
               argument parsing, TLS handshake, config fetch, the same node and eMCM messages, exit code
    CHECKCONFIG changes nothing on the meter, so every run does the same work. Figures: medians per operation, the
    difference command - cmdlet and the ratio command / cmdlet, and the bare start-up (emcm_factory --version) of the
    framework-dependent build in out/cli (./build.ps1 Build). On a busy machine a fresh process waits for the CPU far
    longer than a warm session does, so the difference is an upper bound of what an idle station PC loses.
.EXAMPLE
    ./tests/bench/EmcmCli.Bench.ps1 -Runs 10
#>
param(
    [int] $Runs = 8
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path "$PSScriptRoot/../..").Path
. "$root/tests/pester/EmcmStationTestHelpers.ps1"

$work = Join-Path ([System.IO.Path]::GetTempPath()) "prov-emcm-cli-bench-$PID"
New-Item -ItemType Directory $work | Out-Null
$command = Join-Path $root "out/cli/emcm_factory$(if ($IsWindows) { '.exe' })"
if (-not (Test-Path $command)) { throw "Build first: $command is missing (./build.ps1 Bench builds it)." }

$server = $null; $gateway = $null; $meter = $null
try {
    $server = Start-TestServer -Engine SQLite -Root "$work/server" -Extra @{ Tls = $true; InformationAction = 'Ignore' }
    $pkg = New-EmcmTestPackage -Root "$work/pkg" -NetworkId 'factory'
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $token = New-ProvStationToken -Name 'bench'
    $tokenFile = "$work/station.token"
    Set-Content $tokenFile (ConvertFrom-SecureString $token.Token -AsPlainText)
    $null = Connect-ProvServer -Uri $server.Uri -Token $token.Token -CaCertificatePath $server.CaCertificatePath -InformationAction Ignore
    $gateway = Start-ProvGatewaySimulator -ControlPort 0 -NetworkId factory -JoinDelay 0.3
    $meter = Start-ProvEmcmSimulator -Listen 'tcp://127.0.0.1:0' -NodeId 0x30001 -NodeType UNODE -Wrapper orw -EmcmId '00BE0C0000030001' `
        -EmcmFirmwareVersion '5.0.0.0' -Gateway $gateway.RadioEndpoint
    $stage = @{ Port = $meter.Endpoint; ConfigId = '69'; Batch = '1300'; Gateway = '127.0.0.1'; ControlPort = $gateway.ControlPort }
    $pre = Invoke-EmcmFactoryStage -Stage PreTest @stage
    if ($pre.ExitCode -ne 0) { throw "PRETEST: $($pre.Message)" }
    $arguments = @('-d', $meter.Endpoint, '-s', "127.0.0.1:$($server.Uri.Port)", '--ca-certificate', $server.CaCertificatePath, '--token-file', $tokenFile,
        '-p', '69', '-B', '1300', '-g', '127.0.0.1', "--control_port=$($gateway.ControlPort)", '--verbosity=0', 'CHECKCONFIG')

    function Measure-Seconds([scriptblock] $Script) { $clock = [System.Diagnostics.Stopwatch]::StartNew(); & $Script; $clock.Elapsed.TotalSeconds }
    function Get-Median([double[]] $Values) { $s = @($Values | Sort-Object); $s[[int][math]::Floor(($s.Count - 1) / 2)] }
    function Invoke-EmcmFactoryProcess {
        $null = & $command @arguments
        if ($LASTEXITCODE -ne 0) { throw "emcm_factory exited $LASTEXITCODE" }
    }
    function Invoke-Cmdlet {
        $r = Invoke-EmcmFactoryStage -Stage CheckConfig @stage
        if ($r.ExitCode -ne 0) { throw "cmdlet: $($r.Message)" }
    }

    # One of each first: the server's caches, this session's JIT and the disk cache of the command are warm.
    Invoke-Cmdlet; Invoke-EmcmFactoryProcess
    $cmdlet = [System.Collections.Generic.List[double]]::new()
    $process = [System.Collections.Generic.List[double]]::new()
    $startup = [System.Collections.Generic.List[double]]::new()
    for ($i = 0; $i -lt $Runs; $i++) {
        # Interleaved, so a busy moment of the machine falls on both alike.
        $cmdlet.Add((Measure-Seconds { Invoke-Cmdlet }))
        $process.Add((Measure-Seconds { Invoke-EmcmFactoryProcess }))
        $startup.Add((Measure-Seconds { $null = & $command --version }))
    }
    $c = Get-Median $cmdlet; $p = Get-Median $process; $s = Get-Median $startup
    Write-Host "emcm_factory CHECKCONFIG per call against Invoke-EmcmFactoryStage -Stage CheckConfig, $Runs runs each, one meter over TCP (orw), HTTPS:"
    Write-Host ("  load average at the end: {0}" -f ((((Get-Content /proc/loadavg -ErrorAction Ignore) -split ' ') | Select-Object -First 3) -join ' '))
    Write-Host ("  {0,-52} {1,8:0.000} s per operation (median)" -f 'Invoke-EmcmFactoryStage, in this session', $c)
    Write-Host ("  {0,-52} {1,8:0.000} s per operation (median): +{2:0.000} s, ratio {3:0.00} to the cmdlet" -f 'emcm_factory, one process per call (out/cli)', $p, ($p - $c), ($p / $c))
    Write-Host ("  {0,-52} {1,8:0.000} s (median of emcm_factory --version)" -f '    bare start-up', $s)
}
finally {
    if ($meter) { $meter | Stop-ProvNodeSimulator -ErrorAction Ignore }
    if ($gateway) { $gateway | Stop-ProvGatewaySimulator -ErrorAction Ignore }
    if ($server) { Stop-TestServer $server }
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
