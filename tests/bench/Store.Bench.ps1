#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The store at factory scale, on SQLite and MariaDB: database size against the payload, 32 stations recording,
    and the key export against a plain SELECT of the same rows, each as a ratio to a baseline of the same run.
.DESCRIPTION
    Size: -Devices confirmed device records of one imported config are seeded straight into the database (in node
      order, as a bulk load does), then the database's size (SQLite: pages x page size; MariaDB: data and index length
      after ANALYZE) is set against the payload it holds: each record's encrypted root key plus its apps' names, IDs,
      keys and extra info (hex counted as the bytes it spells). Goal: <= 2x. The database the station load wrote (in the
      order stations record, through the server) is measured the same way.
    Stations: 32 simulated stations over HTTP, each with its own token and connection, record devices as the real flow
      does (PUT pending with an RSA-OAEP-SHA256 encrypted key, then confirm): confirmed records/s (goal >= 3,000) and
      request p99 (goal < 25 ms); the same load against GET /api/v1/health (no database) is the baseline.
    Export: POST /api/v1/exports to a server started fresh for it, streamed to a file, against
      Provisioning.Bench select: the same rows and columns in the same order through the same driver, in its own
      process (goal <= 1.3x); the server's peak memory (VmHWM) at -Devices/10 and at -Devices (flat: about 1.0x).
    Export times are medians of -Runs (-LargeRuns at a million devices and more); nothing here asserts a time. CPU
    seconds of server, database and client show where the time goes. MariaDB runs in a private instance
    (build/mariadb.sh); without mariadbd that half is skipped, and said so.
.EXAMPLE
    ./tests/bench/Store.Bench.ps1                        # a few minutes: 50,000 devices, 6,000 station records
.EXAMPLE
    ./tests/bench/Store.Bench.ps1 -Devices 1000000 -Records 0    # the size and export figures at a million devices
.EXAMPLE
    ./tests/bench/Store.Bench.ps1 -Devices 0 -Engines sqlite     # the station load on SQLite only
#>
param(
    [int] $Devices = 50000,
    [ValidateSet('sqlite', 'mysql')] [string[]] $Engines = @('sqlite', 'mysql'),
    [int] $Records = 6000,
    [int] $Warmup = 1000,
    [int] $Stations = 32,
    # Export runs per count (the median is reported); a million devices and more take a minute a run, so they get -LargeRuns.
    [int] $Runs = 3,
    [int] $LargeRuns = 1
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = (Resolve-Path "$PSScriptRoot/../..").Path
Import-Module "$root/Provisioning.psd1" -Force

. "$PSScriptRoot/BenchTool.ps1"
# The published server if the build laid one out, else the build output; the newer of the two when both exist.
$serverDll = @("$root/out/module/server/Provisioning.Server.dll", "$root/src/Provisioning.Server/bin/Release/net10.0/Provisioning.Server.dll") |
    Where-Object { Test-Path $_ } | Get-Item | Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
if (-not $serverDll) { throw 'The server is not built: run ./build.ps1 Build (or dotnet build -c Release).' }

$work = Join-Path ([System.IO.Path]::GetTempPath()) "prov-store-bench-$PID"
# The export at a tenth of the devices too, to show the server's memory stays flat as the export grows.
$Counts = if ($Devices -gt 0) { @([math]::Max(1000, [int]($Devices / 10)), $Devices) | Sort-Object -Unique } else { @() }
New-Item -ItemType Directory $work | Out-Null
$script:mysql = $null   # the private MariaDB: Dir, Pid, Server (its connection string without the password)
$script:stationSizes = @()

# CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (USER_HZ 100).
function Get-CpuSeconds([int] $ProcessId) {
    $stat = Get-Content "/proc/$ProcessId/stat" -Raw
    $fields = $stat.Substring($stat.LastIndexOf(')') + 2) -split ' '
    ([double]$fields[11] + [double]$fields[12]) / 100
}
function Get-Median([double[]] $Values) { $s = @($Values | Sort-Object); $s[[int][math]::Floor(($s.Count - 1) / 2)] }
# Peak resident memory of a running process (VmHWM), MiB.
function Get-PeakMiB([int] $ProcessId) {
    $line = Get-Content "/proc/$ProcessId/status" | Where-Object { $_ -like 'VmHWM:*' }
    [math]::Round([double](($line -split '\s+')[1]) / 1024, 1)
}


# The server spec and the bench tool's name for one fresh database of an engine.
function New-BenchDatabase([string] $Engine, [string] $Name, [string] $DataPath) {
    if ($Engine -eq 'sqlite') {
        return [pscustomobject]@{ ServerSpec = 'sqlite'; BenchSpec = "sqlite:$DataPath/provisioning.db" }
    }
    Invoke-Bench @('mysql-create', $Name) | Out-Null
    [pscustomobject]@{ ServerSpec = "mysql:$($script:mysql.Server)Database=$Name"; BenchSpec = "mysql:$Name" }
}

function Start-BenchServer([string] $DataPath, [string] $DatabaseSpec) {
    $port = Get-FreePort
    $uri = "http://127.0.0.1:$port"
    # ArgumentList quotes each argument (a MySQL connection string holds spaces: "User ID=…"). The server's console
    # is this one: with ConsoleLog=false it prints only a reason for not starting.
    $start = [System.Diagnostics.ProcessStartInfo]::new($dotnet)
    foreach ($a in @($serverDll.FullName, '--urls', $uri, "--Provisioning:DataPath=$DataPath", '--Provisioning:ConsoleLog=false',
            "--Provisioning:Database=$DatabaseSpec")) { $start.ArgumentList.Add($a) }
    $process = [System.Diagnostics.Process]::Start($start)
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while ($true) {
        if ($process.HasExited) { throw "The server exited at start (code $($process.ExitCode)); its reason is above." }
        $health = $null
        try { $health = Invoke-RestMethod "$uri/api/v1/health" -TimeoutSec 2 } catch { $health = $null }
        if ($health -and $health.processId -eq $process.Id) { break }
        if ([DateTime]::UtcNow -gt $deadline) { throw "The server on $uri (process $($process.Id)) did not answer its health endpoint within 60 s; see $DataPath/logs/server.log." }
        $process.WaitForExit(100) | Out-Null   # a short poll interval, not a fixed wait
    }
    [pscustomobject]@{ Process = $process; Uri = $uri; DataPath = $DataPath; Token = (Get-Content "$DataPath/admin.token" -Raw).Trim() }
}

function Stop-BenchServer($Server) {
    try { Invoke-RestMethod "$($Server.Uri)/api/v1/server/stop" -Method Post -Headers @{ Authorization = "Bearer $($Server.Token)" } | Out-Null }
    catch { Write-Warning "The server did not take the stop request ($($_.Exception.Message)); killing process $($Server.Process.Id)." }
    if (-not $Server.Process.WaitForExit(30000)) { $Server.Process.Kill() ; $Server.Process.WaitForExit() }
}

# Imports the bench package the way an admin does (multipart upload: passphrase, comment, package).
function Import-BenchPackage($Server) {
    $connection = Connect-ProvServer -Uri $Server.Uri -Token (ConvertTo-SecureString $Server.Token -AsPlainText -Force) -PassThru
    Import-ProvPackage -Path $script:package.Path -Passphrase $script:passphrase -Comment 'Store.Bench.ps1' -Server $connection
}

# A started server with the bench package imported; the caller stops it.
function Start-ImportedServer([string] $Engine, [string] $Name) {
    $dataPath = (New-Item -ItemType Directory (Join-Path $work $Name)).FullName
    $database = New-BenchDatabase $Engine "prov_bench_${PID}_$Name" $dataPath
    $server = Start-BenchServer $dataPath $database.ServerSpec
    $package = Import-BenchPackage $server
    $server | Add-Member -NotePropertyMembers @{ Database = $database; ConfigId = $package.ConfigId; Fingerprint = $package.KmsKeyFingerprint } -PassThru
}

function Start-BenchMariaDb {
    if (-not (Get-Command mariadbd -ErrorAction Ignore) -and -not (Test-Path /usr/sbin/mariadbd)) {
        return 'mariadbd is not installed (apt-get install -y mariadb-server)'
    }
    $mariadbScript = Join-Path $root 'build/mariadb.sh'
    if (-not (Test-Path $mariadbScript)) { return "$mariadbScript is missing (it comes with the MariaDB store)" }
    # Under /var/tmp with a traversable folder: the server runs as the mysql user, which cannot reach a private temp folder.
    $dir = "/var/tmp/prov-store-bench-mariadb-$PID"
    New-Item -ItemType Directory -Force $dir | Out-Null
    & chmod 755 $dir
    $env:PROV_MYSQL_PORT = Get-FreePort
    $line = & bash $mariadbScript start $dir | Where-Object { $_ -like 'PROV_TEST_MYSQL=*' }
    Remove-Item Env:PROV_MYSQL_PORT
    if ($LASTEXITCODE -ne 0 -or -not $line) { throw "build/mariadb.sh start $dir failed; see $dir/mariadb.err" }
    $connection = $line.Substring('PROV_TEST_MYSQL='.Length)
    # The server gets the password through its environment, never on its command line (docs/server-api.md).
    $parts = $connection -split ';' | Where-Object { $_ }
    $password = ($parts | Where-Object { $_ -like 'Password=*' }) -replace '^Password=', ''
    $server = ($parts | Where-Object { $_ -notlike 'Password=*' } | ForEach-Object { "$_;" }) -join ''
    $env:PROV_TEST_MYSQL = $connection
    $env:Provisioning__DatabasePassword = $password
    $script:mysql = [pscustomobject]@{ Dir = $dir; Pid = [int](Get-Content "$dir/mariadb.pid"); Server = $server }
    $null
}

function Stop-BenchMariaDb {
    if (-not $script:mysql) { return }
    & bash (Join-Path $root 'build/mariadb.sh') stop $script:mysql.Dir | Out-Host
    Remove-Item $script:mysql.Dir -Recurse -Force -ErrorAction Ignore
    Remove-Item Env:PROV_TEST_MYSQL, Env:Provisioning__DatabasePassword -ErrorAction Ignore
    $script:mysql = $null
}

function Measure-Export([string] $Engine) {
    $server = Start-ImportedServer $Engine "${Engine}_export"
    Stop-BenchServer $server
    $seeded = 0
    # The schema with one package and no devices: what any database takes before the first device (tables, indexes).
    $empty = Invoke-Bench @('size', $server.Database.BenchSpec)
    foreach ($count in $Counts | Sort-Object) {
        Write-Host "  $Engine export: seeding $($count - $seeded) devices (to $count)..."
        $seed = Invoke-Bench @('seed', $server.Database.BenchSpec, $server.ConfigId, $server.Fingerprint, $seeded, ($count - $seeded))
        $seeded = $count
        $size = Invoke-Bench @('size', $server.Database.BenchSpec)
        $unordered = Invoke-Bench @('select', $server.Database.BenchSpec, $server.ConfigId, 'unordered')
        $runCount = if ($count -ge 1000000) { $LargeRuns } else { $Runs }
        $measured = foreach ($run in 1..$runCount) {
            $select = Invoke-Bench @('select', $server.Database.BenchSpec, $server.ConfigId)
            $fresh = Start-BenchServer $server.DataPath $server.Database.ServerSpec
            try {
                $idle = Get-PeakMiB $fresh.Process.Id
                $file = Join-Path $work 'device_keys.xml'
                $cpu = Get-CpuSeconds $fresh.Process.Id
                $export = Invoke-Bench @('export', $fresh.Uri, $fresh.DataPath, $server.ConfigId, $file)
                $serverCpu = (Get-CpuSeconds $fresh.Process.Id) - $cpu
                $peak = Get-PeakMiB $fresh.Process.Id
                # The same export again on the now warm server: how much of the first was start-up (JIT, caches).
                $warm = Invoke-Bench @('export', $fresh.Uri, $fresh.DataPath, $server.ConfigId, $file)
                Remove-Item $file
            }
            finally { Stop-BenchServer $fresh }
            if ($select.rows -ne $count -or $export.devices -ne $count) {
                throw "Expected $count devices, but the SELECT read $($select.rows) and the export wrote $($export.devices)."
            }
            [pscustomobject]@{ Select = $select.seconds; Export = $export.seconds; Warm = $warm.seconds; FirstByte = $export.firstByteSeconds
                ServerCpu = $serverCpu; ClientCpu = $export.clientCpu; SelectCpu = $select.cpu; Bytes = $export.bytes
                IdleMiB = $idle; PeakMiB = $peak }
        }
        $selectS = Get-Median $measured.Select; $exportS = Get-Median $measured.Export
        [pscustomobject]@{
            Engine = $Engine; Devices = $count; Runs = $runCount
            'Seed s' = [math]::Round($seed.seconds, 1)
            'Database MiB' = [math]::Round($size.databaseBytes / 1MB, 1)
            'Payload MiB' = [math]::Round($size.payloadBytes / 1MB, 1)
            'Bytes/device' = [math]::Round($size.databaseBytes / $count, 0)
            'Database/payload' = [math]::Round($size.databaseBytes / $size.payloadBytes, 2)
            'Empty MiB' = [math]::Round($empty.databaseBytes / 1MB, 1)
            'Growth/payload' = [math]::Round(($size.databaseBytes - $empty.databaseBytes) / $size.payloadBytes, 2)
            'SELECT s' = [math]::Round($selectS, 2)
            'SELECT unordered s' = [math]::Round($unordered.seconds, 2)
            'Export s' = [math]::Round($exportS, 2)
            'First byte s' = [math]::Round((Get-Median $measured.FirstByte), 2)
            'Server CPU s' = [math]::Round((Get-Median $measured.ServerCpu), 1)
            'Client CPU s' = [math]::Round((Get-Median $measured.ClientCpu), 1)
            'SELECT CPU s' = [math]::Round((Get-Median $measured.SelectCpu), 1)
            'Export/SELECT' = [math]::Round($exportS / $selectS, 2)
            'Warm export s' = [math]::Round((Get-Median $measured.Warm), 2)
            'Warm/SELECT' = [math]::Round((Get-Median $measured.Warm) / $selectS, 2)
            'File MiB' = [math]::Round(($measured | Select-Object -First 1).Bytes / 1MB, 0)
            'Server idle MiB' = (Get-Median $measured.IdleMiB)
            'Server peak MiB' = ($measured.PeakMiB | Measure-Object -Maximum).Maximum
        }
    }
}

function Measure-Stations([string] $Engine) {
    $server = Start-ImportedServer $Engine "${Engine}_stations"
    try {
        $arguments = @('stations', $server.Uri, $server.DataPath, $server.ConfigId, $script:kms.PublicKeyPath, $server.Fingerprint, $Stations, $Warmup, $Records)
        if ($Engine -eq 'mysql') { $arguments += $script:mysql.Pid }
        $phases = Invoke-Bench $arguments
        $peak = Get-PeakMiB $server.Process.Id
    }
    finally { Stop-BenchServer $server }
    $size = Invoke-Bench @('size', $server.Database.BenchSpec)
    $script:stationSizes += [pscustomobject]@{
        Engine = $Engine; Records = $size.records; 'Database MiB' = [math]::Round($size.databaseBytes / 1MB, 1)
        'Payload MiB' = [math]::Round($size.payloadBytes / 1MB, 1); 'Bytes/record' = [math]::Round($size.databaseBytes / $size.records, 0)
        'Database/payload' = [math]::Round($size.databaseBytes / $size.payloadBytes, 2)
    }
    foreach ($phase in $phases) {
        [pscustomobject]@{
            Engine = $Engine; Load = if ($phase.phase -eq 'health') { 'GET health x2' } else { 'PUT + confirm' }
            'Records/s' = [math]::Round($phase.recordsPerSecond, 0)
            'Record p50 ms' = [math]::Round($phase.recordP50, 1); 'Record p99 ms' = [math]::Round($phase.recordP99, 1)
            'PUT ms' = [math]::Round($phase.firstP50, 1), [math]::Round($phase.firstP99, 1) -join ' / '
            'Confirm ms' = [math]::Round($phase.secondP50, 1), [math]::Round($phase.secondP99, 1) -join ' / '
            'Request p50 ms' = [math]::Round($phase.requestP50, 1); 'Request p99 ms' = [math]::Round($phase.requestP99, 1)
            'Request max ms' = [math]::Round($phase.requestMax, 0)
            'Wall s' = [math]::Round($phase.seconds, 1); 'Server CPU s' = $phase.serverCpu; 'DB CPU s' = $phase.databaseCpu; 'Client CPU s' = $phase.clientCpu
            'Server peak MiB' = $peak
        }
    }
}

function Write-SizeReport($Rows) {
    Write-Host ''
    Write-Host 'Database size against the payload it holds (each record''s encrypted root key and its apps'' names, IDs, keys and extra'
    Write-Host 'info, hex counted as bytes): seeded in node order as a bulk load writes them; below, what the station load wrote.'
    Write-Host 'Empty: the schema with the package and no device; growth: the database less that, against the payload.'
    $Rows | Format-Table -AutoSize -Property Engine, Devices, 'Database MiB', 'Payload MiB', 'Bytes/device', 'Database/payload', 'Empty MiB', 'Growth/payload' |
        Out-String -Width 300 | Write-Host
    if ($script:stationSizes) { $script:stationSizes | Format-Table -AutoSize | Out-String -Width 300 | Write-Host }
    foreach ($group in $Rows | Group-Object Engine) {
        $last = $group.Group | Select-Object -Last 1
        Write-Host ("{0}: {1:N0} devices take {2} MiB, {3}x their payload (goal <= 2x)" -f $group.Name, $last.Devices, $last.'Database MiB', $last.'Database/payload')
    }
}

function Write-ExportReport($Rows) {
    Write-Host ''
    Write-Host 'Key export of every confirmed device of one config: median seconds of the runs, each export from a freshly started server'
    Write-Host '(warm: the same export again from that server); first byte: until the response headers arrived.'
    Write-Host 'SELECT = the same rows and columns in node order through the same driver, in its own process.'
    if ($Rows.Engine -contains 'mysql') { Write-Host 'MariaDB: a private instance on this machine with its stock settings (InnoDB buffer pool 128 MiB).' }
    $Rows | Format-Table -AutoSize -Property Engine, Devices, Runs, 'SELECT s', 'Export s', 'Export/SELECT', 'Warm export s', 'Warm/SELECT', 'First byte s' |
        Out-String -Width 300 | Write-Host
    Write-Host 'Where the time goes: CPU seconds of the server and of the receiving client during the first export, and of the SELECT'
    Write-Host 'process (on SQLite that is all the database work; MariaDB works in its own process); 2 cores:'
    $Rows | Format-Table -AutoSize -Property Engine, Devices, 'Export s', 'Server CPU s', 'Client CPU s', 'SELECT s', 'SELECT CPU s' |
        Out-String -Width 300 | Write-Host
    Write-Host 'Seeding, the database size after it, the SELECT without ORDER BY (what node order costs), the export file, and the'
    Write-Host 'server process memory (VmHWM, MiB) after start and right after the export (the largest of the runs):'
    $Rows | Format-Table -AutoSize -Property Engine, Devices, 'Seed s', 'Database MiB', 'SELECT unordered s', 'File MiB', 'Server idle MiB', 'Server peak MiB' |
        Out-String -Width 300 | Write-Host
    foreach ($group in $Rows | Group-Object Engine) {
        $first = $group.Group | Select-Object -First 1; $last = $group.Group | Select-Object -Last 1
        Write-Host ("{0}: export {1}x the SELECT at {2:N0} devices (goal <= 1.3x); server peak {3} MiB (goal < 200 MB), {4}x its peak at {5:N0} devices (flat = 1.0)" -f `
            $group.Name, $last.'Export/SELECT', $last.Devices, $last.'Server peak MiB',
            [math]::Round($last.'Server peak MiB' / $first.'Server peak MiB', 2), $first.Devices)
    }
}

function Write-StationReport($Rows) {
    Write-Host ''
    Write-Host "Device records from $Stations concurrent stations over HTTP, $Records records after $Warmup warm-up; PUT and Confirm as p50 / p99 ms."
    Write-Host 'The baseline does the same with two GET /api/v1/health per record (no token check, no database):'
    $Rows | Format-Table -AutoSize -Property Engine, Load, 'Records/s', 'Record p50 ms', 'Record p99 ms', 'PUT ms', 'Confirm ms', 'Request p50 ms', 'Request p99 ms', 'Request max ms' |
        Out-String -Width 300 | Write-Host
    Write-Host 'Where the time goes: CPU seconds each process used during the measured phase (2 cores: at most 2x wall), server memory after the run:'
    $Rows | Format-Table -AutoSize -Property Engine, Load, 'Wall s', 'Server CPU s', 'DB CPU s', 'Client CPU s', 'Server peak MiB' |
        Out-String -Width 300 | Write-Host
    foreach ($group in $Rows | Group-Object Engine) {
        $health = $group.Group | Where-Object Load -like 'GET*'; $store = $group.Group | Where-Object Load -like 'PUT*'
        Write-Host ("{0}: {1} confirmed records/s (goal >= 3,000), {2:N2}x the health baseline's rate; request p99 {3} ms (goal < 25), {4}x the baseline's" -f `
            $group.Name, $store.'Records/s', ($store.'Records/s' / $health.'Records/s'), $store.'Request p99 ms',
            [math]::Round($store.'Request p99 ms' / [math]::Max($health.'Request p99 ms', 0.1), 1))
    }
}

try {
    # One package for every run: a 3072-bit KMS key (384-byte root key blocks), two application bundles.
    $script:passphrase = ConvertTo-SecureString ([Convert]::ToBase64String([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(18))) -AsPlainText -Force
    $script:kms = New-ProvKmsKeyPair -Path "$work/kms"
    $gw = New-ProvGatewayKeyFile -KmsPrivateKeyFile $script:kms.PrivateKeyPath -Passphrase $script:passphrase -Path "$work/net" -Iterations 10000
    $hes = New-ProvKmsKeyPair -Path "$work/hes" -KeySize 2048
    $files = @{}
    foreach ($f in @{ 'node.bin' = 262144; 'field.cfg' = 512; 'factory.cfg' = 512; 'emcm.bin' = 65536; 'emcm.cfg' = 300; 'zigbee.bin' = 32768 }.GetEnumerator()) {
        $files[$f.Key] = Join-Path $work $f.Key
        [System.IO.File]::WriteAllBytes($files[$f.Key], [System.Security.Cryptography.RandomNumberGenerator]::GetBytes($f.Value))
    }
    $script:package = New-ProvPackage -Path "$work/bench_69.tar.gz" -ConfigId 69 -ConfigAlias bench_69 -AppLabel bench_meter -NodeType UNODE -NodeVersion 1.2.3.4 `
        -NodeFirmware $files['node.bin'] -NodeFieldConfig $files['field.cfg'] -NodeFactoryConfig $files['factory.cfg'] `
        -KmsPublicKeyFile $script:kms.PublicKeyPath -GatewayKeyFile $gw.Path -App @(
            @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = $files['emcm.bin']; FieldConfig = $files['emcm.cfg']; PublicKeyFile = $hes.PublicKeyPath }
            @{ Name = 'zigbee'; Version = '1.2.3.4'; Firmware = $files['zigbee.bin'] })

    $skipped = $null
    if ($Engines -contains 'mysql') {
        $skipped = Start-BenchMariaDb
        if ($skipped) { Write-Host "The MariaDB half is skipped: $skipped." }
    }
    $enginesToRun = $Engines | Where-Object { $_ -eq 'sqlite' -or -not $skipped }

    Write-Host "Store.Bench: $Devices devices (export also at $(@($Counts)[0])), $Stations stations x $Records records after $Warmup warm-up, engines $($Engines -join ', ')."
    # -Devices 0 leaves the size and export half out, -Records 0 the station half (for a quick check of the other).
    $exportRows = foreach ($engine in $enginesToRun | Where-Object { $Counts }) { Measure-Export $engine }
    $stationRows = foreach ($engine in $enginesToRun | Where-Object { $Records -gt 0 }) {
        Write-Host "  $engine stations: $Stations stations, $Records records after $Warmup warm-up..."
        Measure-Stations $engine
    }
    if ($exportRows) { Write-SizeReport $exportRows; Write-ExportReport $exportRows }
    if ($stationRows) { Write-StationReport $stationRows }
    if ($skipped) { Write-Host "MariaDB was skipped: $skipped." }
}
finally {
    Stop-BenchMariaDb
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
