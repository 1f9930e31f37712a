#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Two server instances sharing one database: a 3-node MariaDB Galera cluster (each instance on its own node), and
    for comparison one plain MariaDB; 32 stations spread over the two instances, against same-run baselines.
.DESCRIPTION
    For each database, the stations (tests/bench/Provisioning.Bench cluster-stations; each its own token and
    connection, half on each instance) run three loads of the same shape, two requests per "record":
      health   two GET /api/v1/health (no token check, no database): the baseline
      whoami   two GET /api/v1/whoami: a token check, which reads the database's change count once per request (the
               read that keeps the instances' caches coherent: revocations and re-imports hold at once everywhere)
      records  PUT the record as pending (root key RSA-OAEP encrypted for the KMS key), then confirm it
    reported as confirmed records/s and request p99, each as a ratio to the health baseline. Nothing here asserts a
    time. The Galera cluster is build/galera.sh's (loopback, one machine: the three nodes share its cores); without
    mariadbd, galera-4 or rsync that part is skipped, and said so.
.EXAMPLE
    ./tests/bench/Cluster.Bench.ps1 -Records 2000 -Databases galera    # a quick check
#>
param(
    [int] $Stations = 32,
    [int] $Records = 5000,
    [int] $Warmup = 500,
    [ValidateSet('galera', 'mariadb')] [string[]] $Databases = @('galera', 'mariadb')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
. "$PSScriptRoot/BenchTool.ps1"
# The cluster helpers of the tests: the Galera cluster, instances sharing a database, a test package.
. "$PSScriptRoot/../pester/ClusterTestHelpers.ps1"

$work = Join-Path ([System.IO.Path]::GetTempPath()) "prov-cluster-bench-$PID"
New-Item -ItemType Directory $work | Out-Null

# Two instances on one database ($Specs: one spec, or one per instance), the package imported; runs the loads; stops them.
function Measure-Cluster([string] $Name, [object[]] $Specs) {
    $pair = Start-ClusterPair "$work/$Name" $Specs $script:pkg
    try {
        $urls = ($pair.A.Uri, $pair.B.Uri | ForEach-Object { $_.AbsoluteUri.TrimEnd('/') }) -join ','
        $phases = Invoke-Bench @('cluster-stations', $urls, $pair.A.DataPath, $pair.Imported.ConfigId, $script:pkg.Network.Kms.PublicKeyPath,
            $pair.Imported.KmsKeyFingerprint, $Stations, $Warmup, $Records)
    }
    finally {
        Stop-ClusterInstance $pair.B
        Stop-ClusterInstance $pair.A
    }
    $health = $phases | Where-Object phase -EQ 'health'
    foreach ($phase in $phases) {
        [pscustomobject]@{
            Database = $Name; Load = $phase.phase
            'Records/s' = [math]::Round($phase.recordsPerSecond, 0)
            'x health rate' = [math]::Round($phase.recordsPerSecond / $health.recordsPerSecond, 3)
            'Request p50 ms' = [math]::Round($phase.requestP50, 1)
            'Request p99 ms' = [math]::Round($phase.requestP99, 1)
            'x health p99' = [math]::Round($phase.requestP99 / [math]::Max($health.requestP99, 0.1), 1)
            'PUT p99 ms' = [math]::Round($phase.firstP99, 1); 'Confirm p99 ms' = [math]::Round($phase.secondP99, 1)
            'Request max ms' = [math]::Round($phase.requestMax, 0); 'Wall s' = [math]::Round($phase.seconds, 1)
        }
    }
}

$galera = $null; $mariaDir = $null
try {
    # One package: config 69 with a 2048-bit KMS key and two application bundles (the tests' package).
    $script:pkg = New-TestServerPackage -Root "$work/pkg"
    $rows = @()
    if ($Databases -contains 'galera') {
        if ($reason = Get-GaleraSkipReason) { Write-Host "Galera is skipped: $reason." }
        else {
            Write-Host '  starting a 3-node Galera cluster (build/galera.sh)...'
            $galera = Start-TestGalera
            $null = Invoke-GaleraSql $galera 1 'CREATE DATABASE prov_cluster_bench CHARACTER SET utf8mb4'
            # Each instance prefers its own node and fails over to the others.
            $specs = @(Get-GaleraInstanceSpec $galera 'prov_cluster_bench')
            Write-Host "  Galera: $Stations stations on two instances (nodes 1 and 2), $Records records after $Warmup warm-up per load..."
            $rows += Measure-Cluster 'Galera (3 nodes)' $specs
            Stop-TestGalera $galera; $galera = $null
        }
    }
    if ($Databases -contains 'mariadb') {
        if (-not (Get-Command mariadbd -ErrorAction Ignore) -and -not (Test-Path /usr/sbin/mariadbd)) { Write-Host 'MariaDB is skipped: mariadbd is not installed.' }
        else {
            $mariaDir = "/var/tmp/prov-cluster-bench-mariadb-$PID"
            New-Item -ItemType Directory -Force $mariaDir | Out-Null
            & chmod 755 $mariaDir
            $env:PROV_MYSQL_PORT = Get-FreePort
            try { $line = & bash "$RepoRoot/build/mariadb.sh" start $mariaDir | Where-Object { $_ -like 'PROV_TEST_MYSQL=*' } }
            finally { Remove-Item Env:PROV_MYSQL_PORT }
            if (-not $line) { throw "build/mariadb.sh start $mariaDir failed; see $mariaDir/mariadb.err" }
            $connection = $line.Substring('PROV_TEST_MYSQL='.Length)
            & mariadb --no-defaults --protocol=socket "--socket=$mariaDir/mariadb.sock" -uroot -e 'CREATE DATABASE prov_cluster_bench CHARACTER SET utf8mb4'
            $spec = Split-ClusterConnection $connection 'prov_cluster_bench'
            Write-Host "  MariaDB: $Stations stations on two instances, $Records records after $Warmup warm-up per load..."
            $rows += Measure-Cluster 'MariaDB (1 server)' @($spec)
        }
    }
    if ($rows) {
        Write-Host ''
        Write-Host "$Stations stations over HTTP, spread over two server instances sharing one database; two requests per record (PUT + confirm),"
        Write-Host 'the same shape against GET /health (the baseline) and GET /whoami (a token check: one change-count read per request):'
        $rows | Format-Table -AutoSize -Property Database, Load, 'Records/s', 'x health rate', 'Request p50 ms', 'Request p99 ms', 'x health p99', 'PUT p99 ms', 'Confirm p99 ms', 'Request max ms', 'Wall s' |
            Out-String -Width 300 | Write-Host
        foreach ($group in $rows | Group-Object Database) {
            $recorded = $group.Group | Where-Object Load -EQ 'records'; $whoami = $group.Group | Where-Object Load -EQ 'whoami'
            Write-Host ("{0}: {1} confirmed records/s ({2}x the health baseline's rate), request p99 {3} ms ({4}x the baseline's); " -f `
                $group.Name, $recorded.'Records/s', $recorded.'x health rate', $recorded.'Request p99 ms', $recorded.'x health p99') -NoNewline
            Write-Host ("a token check with the change-count read: {0}x the baseline's rate, p99 {1} ms" -f $whoami.'x health rate', $whoami.'Request p99 ms')
        }
    }
}
finally {
    if ($galera) { Stop-TestGalera $galera }
    if ($mariaDir) { & bash "$RepoRoot/build/mariadb.sh" stop $mariaDir | Out-Host; Remove-Item $mariaDir -Recurse -Force -ErrorAction Ignore }
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
