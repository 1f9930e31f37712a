#!/usr/bin/env pwsh
<#
.SYNOPSIS
    provisioning_client: what a factory tool loses per device by starting the client once per device, against the cmdlet.
.DESCRIPTION
    Goal (issue #12): a factory tool calling provisioning_client per device loses < 0.3 s per device.
    Against a real HTTPS server (Start-ProvServer -Tls, SQLite) with a station token, -Devices nodes on unpaced TCP
    simulators whose firmware already matches (so the node's own work is small and the start-up shows), alternately:
      cmdlet   Invoke-NodeProvision, one call per device, in this warm PowerShell session (connected once)
      client   provisioning_client, one process per device, as a batch file calls it: process start, argument parsing,
               TLS handshake, config fetch, the same node messages, exit code
    and the bare start-up of each client build (provisioning_client --version). Figures: medians per device, the
    difference client - cmdlet (the goal) and the ratio client / cmdlet, in wall time and, where /usr/bin/time exists,
    in CPU time (the client process's; this session's for the cmdlet, simulators included). On a machine that is
    busy with other work a fresh process waits for the CPU far longer than a warm session does, so the wall time then
    overstates the loss; the CPU time is what the start-up itself costs, and what the wall time comes down to on an idle
    station PC. Every build of the client found is measured:
    out/cli (framework-dependent, ./build.ps1 Build) and the self-contained single files of ./build.ps1 Package for this OS.
.EXAMPLE
    ./tests/bench/Cli.Bench.ps1 -Devices 10
#>
param(
    [int] $Devices = 20
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path "$PSScriptRoot/../..").Path
. "$root/tests/pester/ServerTestHelpers.ps1"

$work = Join-Path ([System.IO.Path]::GetTempPath()) "prov-cli-bench-$PID"
New-Item -ItemType Directory $work | Out-Null
$exe = if ($IsWindows) { '.exe' } else { '' }
$rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
$builds = [ordered]@{ 'framework-dependent (out/cli)' = Join-Path $root "out/cli/provisioning_client$exe" }
foreach ($single in Get-ChildItem (Join-Path $root 'out/dist') -Directory -Filter "provisioning_client-*-$rid" -ErrorAction Ignore) {
    $builds["self-contained single file ($($single.Name))"] = Join-Path $single.FullName "provisioning_client$exe"
}
foreach ($path in $builds.Values) { if (-not (Test-Path $path)) { throw "Build first: $path is missing (./build.ps1 Bench builds it)." } }

$simulators = [System.Collections.Generic.List[object]]::new()
$server = $null
try {
    $server = Start-TestServer -Engine SQLite -Root "$work/server" -Extra @{ Tls = $true; InformationAction = 'Ignore' }
    $pkg = New-TestServerPackage -Root "$work/pkg"
    $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
    $version = (Get-ProvConfig 69).NodeVersion
    $token = New-ProvStationToken -Name 'bench'
    $tokenFile = "$work/station.token"
    Set-Content $tokenFile (ConvertFrom-SecureString $token.Token -AsPlainText)
    $null = Connect-ProvServer -Uri $server.Uri -Token $token.Token -CaCertificatePath $server.CaCertificatePath -InformationAction Ignore
    $serverArgs = @('-s', "127.0.0.1:$($server.Uri.Port)", '--ca-certificate', $server.CaCertificatePath, '--token-file', $tokenFile, '-p', '69', '-B', '1200')

    $nextId = 0x20000
    function New-Node {
        $script:nextId++
        $sim = Start-ProvNodeSimulator -Listen 'tcp://127.0.0.1:0' -NodeId $script:nextId -NodeType UNODE -FirmwareVersion $version
        $simulators.Add($sim); $sim
    }
    function Measure-Seconds([scriptblock] $Script) {
        $clock = [System.Diagnostics.Stopwatch]::StartNew(); & $Script; $clock.Elapsed.TotalSeconds
    }
    function Get-Median([double[]] $Values) { $s = @($Values | Sort-Object); $s[[int][math]::Floor(($s.Count - 1) / 2)] }
    $timeTool = if (Test-Path /usr/bin/time) { '/usr/bin/time' }
    $cpuFile = "$work/cpu.txt"
    # Runs the client; returns its CPU seconds (user + system) when /usr/bin/time can tell them.
    function Invoke-Client([string] $Client, [string[]] $Arguments) {
        if ($timeTool) { $out = & $timeTool -f '%U %S' -o $cpuFile $Client @Arguments } else { $out = & $Client @Arguments }
        if ($LASTEXITCODE -ne 0) { throw "$Client exited $LASTEXITCODE`: $out" }
        if ($timeTool) { $u, $s = (Get-Content $cpuFile | Select-Object -Last 1) -split ' '; [double]$u + [double]$s }
    }

    # One of each first: the server's caches, the JIT of this session and the disk cache of the client are warm.
    $null = Invoke-NodeProvision -Port (New-Node).Endpoint -ConfigId 69 -Batch 1200
    foreach ($client in $builds.Values) { $null = & $client -d (New-Node).Endpoint @serverArgs --verbosity=0 }

    $times = @{ cmdlet = [System.Collections.Generic.List[double]]::new() }
    $cpu = @{ cmdlet = [System.Collections.Generic.List[double]]::new() }
    $startup = @{}
    foreach ($name in $builds.Keys) {
        $times[$name] = [System.Collections.Generic.List[double]]::new(); $startup[$name] = [System.Collections.Generic.List[double]]::new()
        $cpu[$name] = [System.Collections.Generic.List[double]]::new()
    }
    $self = [System.Diagnostics.Process]::GetCurrentProcess()
    for ($i = 0; $i -lt $Devices; $i++) {
        # Interleaved, so a busy moment of the machine falls on every variant alike.
        $node = New-Node
        $self.Refresh(); $before = $self.TotalProcessorTime
        $times.cmdlet.Add((Measure-Seconds {
            $r = Invoke-NodeProvision -Port $node.Endpoint -ConfigId 69 -Batch 1200
            if ($r.ExitCode -ne 0) { throw "cmdlet: $($r.Message)" }
        }))
        $self.Refresh(); $cpu.cmdlet.Add(($self.TotalProcessorTime - $before).TotalSeconds)
        foreach ($name in $builds.Keys) {
            $client = $builds[$name]
            $node = New-Node
            $used = $null
            $times[$name].Add((Measure-Seconds { $script:used = Invoke-Client $client (@('-d', $node.Endpoint) + $serverArgs) }))
            if ($null -ne $script:used) { $cpu[$name].Add($script:used) }
            $startup[$name].Add((Measure-Seconds { $null = Invoke-Client $client @('--version') }))
        }
    }

    $cmdlet = Get-Median $times.cmdlet
    $cmdletCpu = Get-Median $cpu.cmdlet
    Write-Host "provisioning_client per device against Invoke-NodeProvision per device, $Devices devices each, HTTPS, firmware already current:"
    Write-Host ("  load average at the end: {0}" -f ((((Get-Content /proc/loadavg -ErrorAction Ignore) -split ' ') | Select-Object -First 3) -join ' '))
    Write-Host ("  {0,-58} {1,8:0.000} s per device (median), CPU {2:0.000} s" -f 'Invoke-NodeProvision, one call per device', $cmdlet, $cmdletCpu)
    foreach ($name in $builds.Keys) {
        $client = Get-Median $times[$name]
        $bare = Get-Median $startup[$name]
        $loss = $client - $cmdlet
        $verdict = if ($loss -lt 0.3) { 'meets the goal (< 0.3 s)' } else { 'MISSES the goal (< 0.3 s)' }
        Write-Host ("  {0,-58} {1,8:0.000} s per device (median): +{2:0.000} s, ratio {3:0.00} to the cmdlet; {4}" -f "provisioning_client, $name", $client, $loss, ($client / $cmdlet), $verdict)
        Write-Host ("  {0,-58} {1,8:0.000} s (median of provisioning_client --version)" -f '    bare start-up', $bare)
        if ($cpu[$name].Count) {
            $clientCpu = Get-Median $cpu[$name]
            $cpuLoss = $clientCpu - $cmdletCpu
            $cpuVerdict = if ($cpuLoss -lt 0.3) { 'meets the goal (< 0.3 s)' } else { 'MISSES the goal (< 0.3 s)' }
            Write-Host ("  {0,-58} {1,8:0.000} s CPU per device (median): +{2:0.000} s, ratio {3:0.00} to the cmdlet's CPU; {4}" -f '    CPU time', $clientCpu, $cpuLoss, ($clientCpu / [math]::Max($cmdletCpu, 0.001)), $cpuVerdict)
        }
    }
}
finally {
    $simulators | Stop-ProvNodeSimulator -ErrorAction Ignore
    if ($server) { Stop-TestServer $server }
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
