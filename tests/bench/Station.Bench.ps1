#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Invoke-NodeProvision: station overhead per device beyond link time, and many ports from one station PC.
.DESCRIPTION
    Overhead (issue #4, goal <= 50 ms median): -Devices nodes on unpaced TCP simulators whose firmware already matches
      station   Invoke-NodeProvision -ThrottleLimit 1 against a real server: config fetch, RSA-OAEP, pending record,
                confirm, bookkeeping and the node messages; the result's Duration per device
      baseline  the same node messages (GetInfo, field config image, three key writes, key check, lock, reset) sent with
                NodeClient straight to fresh simulators: no server, no crypto
      overhead  station - baseline per device, median and p99 (the first device also fetches the config once per run)
    Ports (goal >= 12x): -Ports simulators pacing 115200 baud (over socat serial pairs when socat exists, else TCP),
      each writing a -FirmwareKiB firmware: devices/hour on one port (-OnePortDevices devices in turn) against one
      Invoke-NodeProvision -ThrottleLimit <Ports> over all of them; the speed-up is the ratio of the two rates.
.EXAMPLE
    ./tests/bench/Station.Bench.ps1 -Devices 50 -Ports 4     # a quick check
#>
param(
    [int] $Devices = 200,
    [int] $Ports = 16,
    [int] $OnePortDevices = 3,
    [int] $FirmwareKiB = 64
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path "$PSScriptRoot/../..").Path
Import-Module "$root/Provisioning.psd1" -Force

$work = Join-Path ([System.IO.Path]::GetTempPath()) "prov-station-bench-$PID"
New-Item -ItemType Directory $work | Out-Null
$none = [Threading.CancellationToken]::None
$simulators = [System.Collections.Generic.List[object]]::new()
$pairs = [System.Collections.Generic.List[object]]::new()

function New-File([string] $Path, [int] $Length) {
    $bytes = [byte[]]::new($Length); [System.Random]::new($Length).NextBytes($bytes)
    [System.IO.File]::WriteAllBytes($Path, $bytes); $Path
}
function Start-Node([uint32] $NodeId, [string] $FirmwareVersion, [hashtable] $Options = @{}) {
    $o = @{ NodeId = $NodeId; NodeType = 'UNODE'; FirmwareVersion = $FirmwareVersion }
    foreach ($k in $Options.Keys) { $o[$k] = $Options[$k] }
    if (-not $o.ContainsKey('PortName')) { $o.Listen = 'tcp://127.0.0.1:0' }
    $sim = [Provisioning.Core.Node.Simulator.NodeSimulator]::StartAsync([Provisioning.Core.Node.Simulator.NodeSimulatorOptions]$o, $none).GetAwaiter().GetResult()
    $simulators.Add($sim); $sim
}
function Get-Percentile([double[]] $Values, [double] $P) {
    $s = @($Values | Sort-Object); $s[[int][math]::Min($s.Count - 1, [math]::Ceiling($P * $s.Count) - 1)]
}

# The node messages of one provisioning, straight through NodeClient: what the station would send with nothing around it.
function Invoke-BareProvision([string] $Endpoint, [byte[]] $Config) {
    $transport = [Provisioning.Core.Transport.NodeTransport]::OpenAsync($Endpoint, 115200, $none).GetAwaiter().GetResult()
    $client = [Provisioning.Core.Node.NodeClient]::new($transport, [Provisioning.Core.Wrappers.TransportWrappers]::Create('none'), $null)
    try {
        $null = $client.GetInfoAsync($none).GetAwaiter().GetResult()
        $null = $client.WriteImageAsync('FieldConfig', $Config, '1.2.3.4', $null, $none).GetAwaiter().GetResult()
        foreach ($slot in 'Gateway', 'Cdld', 'Root') {
            $key = [byte[]]::new(16)
            $null = $client.WriteKeyAsync($slot, $key, $none).GetAwaiter().GetResult()
        }
        $null = $client.GetKeyCheckValuesAsync($none).GetAwaiter().GetResult()
        $null = $client.LockAsync('HostPort, FlashJtag', $none).GetAwaiter().GetResult()
        $null = $client.ResetAsync($none).GetAwaiter().GetResult()
    }
    finally { $null = $client.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

$server = $null
try {
    $pass = ConvertTo-SecureString 'bench' -AsPlainText -Force
    $kms = New-ProvKmsKeyPair -Path "$work/kms"
    $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $kms.PrivateKeyPath -Passphrase $pass -Path "$work/net" -Iterations 10000
    New-Item -ItemType Directory "$work/in" | Out-Null
    $package = New-ProvPackage -ConfigId 69 -ConfigAlias bench -AppLabel bench -NodeType UNODE -NodeVersion 1.2.3.4 `
        -NodeFirmware (New-File "$work/in/node.bin" ($FirmwareKiB * 1KB)) -NodeFieldConfig (New-File "$work/in/field.cfg" 512) `
        -KmsPublicKeyFile $kms.PublicKeyPath -GatewayKeyFile $gw.Path -Path "$work/bench.tar.gz"
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $listener.Start()
    $port = $listener.LocalEndpoint.Port; $listener.Stop()
    $server = Start-ProvServer -Port $port -DataPath "$work/server" -ErrorAction Stop
    $null = Import-ProvPackage $package.Path -Passphrase $pass
    $fieldConfig = [System.IO.File]::ReadAllBytes("$work/in/field.cfg")

    # ---- overhead per device ----
    $warm = Start-Node 1 '1.2.3.4'
    $null = Invoke-NodeProvision -Port $warm.Endpoint -Batch 1 -ConfigId 69    # JIT and connection pools, as on a running station
    Invoke-BareProvision (Start-Node 2 '1.2.3.4').Endpoint $fieldConfig

    $stationNodes = 1..$Devices | ForEach-Object { Start-Node (0x10000 + $_) '1.2.3.4' }
    $results = @($stationNodes.Endpoint | Invoke-NodeProvision -Batch 10 -ConfigId 69 -ThrottleLimit 1)
    $failed = @($results | Where-Object Code -ne 0)
    if ($failed) { throw "$($failed.Count) devices failed: $($failed[0].Message)" }
    $station = [double[]]($results | ForEach-Object { $_.Duration.TotalMilliseconds })

    $bareNodes = 1..$Devices | ForEach-Object { Start-Node (0x20000 + $_) '1.2.3.4' }
    $bare = [double[]]($bareNodes | ForEach-Object {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        Invoke-BareProvision $_.Endpoint $fieldConfig
        $clock.Elapsed.TotalMilliseconds
    })
    foreach ($s in $simulators) { $null = $s.StopAsync().GetAwaiter().GetResult() }
    $simulators.Clear()

    $bareMedian = Get-Percentile $bare 0.5
    $overhead = [double[]]($station | ForEach-Object { $_ - $bareMedian })
    [pscustomobject]@{
        'Devices'                 = $Devices
        'Baseline median ms'      = [math]::Round($bareMedian, 1)
        'Station median ms'       = [math]::Round((Get-Percentile $station 0.5), 1)
        'Station p99 ms'          = [math]::Round((Get-Percentile $station 0.99), 1)
        'Overhead median ms'      = [math]::Round((Get-Percentile $overhead 0.5), 1)
        'Overhead p99 ms'         = [math]::Round((Get-Percentile $overhead 0.99), 1)
        'Station/baseline median' = [math]::Round((Get-Percentile $station 0.5) / $bareMedian, 2)
        'Goal'                    = 'overhead median <= 50 ms'
    } | Format-List | Out-Host

    # ---- many ports ----
    $serial = [bool](Get-Command socat -ErrorAction Ignore)
    $endpoints = foreach ($i in 1..$Ports) {
        $options = @{ Pace = $true; BaudRate = 115200 }
        if ($serial) {
            $pair = [Provisioning.Core.Transport.VirtualSerialPair]::CreateAsync($work, [timespan]::FromSeconds(10), $none).GetAwaiter().GetResult()
            $pairs.Add($pair)
            $options.PortName = $pair.PortB
            $null = Start-Node (0x30000 + $i) '1.0.0' $options
            $pair.PortA
        }
        else { (Start-Node (0x30000 + $i) '1.0.0' $options).Endpoint }
    }
    # One port: the same device provisioned in turn, firmware rewritten each time (-Force), as a line with one fixture would.
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $one = @(1..$OnePortDevices | ForEach-Object { Invoke-NodeProvision -Port $endpoints[0] -Batch 20 -ConfigId 69 -Force })
    $oneSeconds = $clock.Elapsed.TotalSeconds
    if (@($one | Where-Object Code -ne 0)) { throw "one port: $(@($one | Where-Object Code -ne 0)[0].Message)" }

    $clock.Restart()
    $many = @($endpoints | Invoke-NodeProvision -Batch 21 -ConfigId 69 -Force -ThrottleLimit $Ports)
    $manySeconds = $clock.Elapsed.TotalSeconds
    if (@($many | Where-Object Code -ne 0)) { throw "$Ports ports: $(@($many | Where-Object Code -ne 0)[0].Message)" }

    $oneRate = 3600 * $OnePortDevices / $oneSeconds
    $manyRate = 3600 * $Ports / $manySeconds
    $lineSeconds = ($FirmwareKiB * 1KB + 512) * 10 / 115200
    [pscustomobject]@{
        'Link'                   = if ($serial) { 'socat serial pairs, paced 115200 baud' } else { 'TCP, paced 115200 baud (no socat)' }
        'Firmware KiB'           = $FirmwareKiB
        'Line time s/device'     = [math]::Round($lineSeconds, 2)
        'One port s/device'      = [math]::Round($oneSeconds / $OnePortDevices, 2)
        'One port devices/hour'  = [math]::Round($oneRate)
        "$Ports ports wall s"    = [math]::Round($manySeconds, 2)
        "$Ports ports devices/hour" = [math]::Round($manyRate)
        'Speed-up'               = [math]::Round($manyRate / $oneRate, 1)
        'Goal'                   = "speed-up >= 12x with 16 ports"
    } | Format-List | Out-Host
}
finally {
    foreach ($s in $simulators) { $null = $s.StopAsync().GetAwaiter().GetResult() }
    foreach ($p in $pairs) { $p.Dispose() }
    if ($server) { $server | Stop-ProvServer -ErrorAction Continue }
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
