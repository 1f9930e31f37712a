# Several server instances sharing one database, as a larger factory runs them: helpers for Cluster.Tests.ps1 and
# tests/bench/Cluster.Bench.ps1. The instances share the database, the master key (copied, as docs/security.md says) and
# the file repository (one folder: the second instance's files folder is a link to the first's).
. "$PSScriptRoot/ServerTestHelpers.ps1"

# Starts a server instance on $Spec; with -Like, one that shares $Like's master key and file repository.
function Start-ClusterInstance {
    param([Parameter(Mandatory)] [string] $Root, [Parameter(Mandatory)] [string] $Spec, [pscredential] $Credential, $Like)
    $data = Join-Path $Root 'data'
    $arguments = @{ Port = Get-FreeTcpPort; DataPath = $data; Database = $Spec }
    if ($Credential) { $arguments.DatabaseCredential = $Credential }
    if ($Like) {
        New-Item -ItemType Directory -Force $data | Out-Null
        Copy-Item (Join-Path $Like.DataPath 'master.key') $data
        New-Item -ItemType SymbolicLink -Path (Join-Path $data 'files') -Target (Join-Path $Like.DataPath 'files') | Out-Null
        # It writes no admin.token (the database has an admin token already) and says so; the first's token serves.
        $arguments.WarningAction = 'SilentlyContinue'
    }
    $server = Start-ProvServer @arguments
    if ($Like) { $server | Add-Member -NotePropertyName AdminToken -NotePropertyValue $Like.AdminToken -Force }
    $server
}

# Two instances on one database ($Specs: one spec for both, or one each), the second sharing the first's master key
# and files; connected as admin, with $Package imported through the first.
function Start-ClusterPair([string] $Root, [object[]] $Specs, $Package) {
    $a = Start-ClusterInstance -Root "$Root-a" -Spec $Specs[0].Spec -Credential $Specs[0].Credential
    try { $b = Start-ClusterInstance -Root "$Root-b" -Spec $Specs[-1].Spec -Credential $Specs[-1].Credential -Like $a }
    catch { Stop-ClusterInstance $a; throw }
    $onA = Connect-ProvServer -Uri $a.Uri -Token $a.AdminToken -PassThru
    $onB = Connect-ProvServer -Uri $b.Uri -Token $a.AdminToken -PassThru
    $imported = Import-ProvPackage $Package.Path -Passphrase $Package.Passphrase -Server $onA
    [pscustomobject]@{ A = $a; B = $b; OnA = $onA; OnB = $onB; Imported = $imported }
}

function Stop-ClusterInstance($Server) {
    if (-not $Server -or -not (Get-Process -Id $Server.ProcessId -ErrorAction Ignore)) { return }
    try { $null = Stop-ProvServer -Server (Connect-ProvServer -Uri $Server.Uri -Token $Server.AdminToken -PassThru) -ErrorAction Stop }
    catch {
        # Its database is gone (a cluster test's last act): it cannot record the stop in the audit log.
        Write-Warning "Stopping the server at $($Server.Uri) failed ($_); ending its process."
        Stop-Process -Id $Server.ProcessId -Force -ErrorAction Ignore
    }
}

# A MySqlConnector connection string with the database and without the password; the credential carries the password.
function Split-ClusterConnection([string] $ConnectionString, [string] $Database) {
    $b = [System.Data.Common.DbConnectionStringBuilder]::new()
    $b.set_ConnectionString($ConnectionString)  # a property assignment would add a key: the builder is a dictionary
    $user = foreach ($n in 'User ID', 'UserID', 'Uid', 'User', 'Username') { if ($b.ContainsKey($n)) { [string]$b[$n]; break } }
    $password = foreach ($n in 'Password', 'Pwd') { if ($b.ContainsKey($n)) { [string]$b[$n]; break } }
    foreach ($n in 'Password', 'Pwd', 'Database') { [void]$b.Remove($n) }
    $b['Database'] = $Database
    [pscustomobject]@{ Spec = "mysql:$($b.get_ConnectionString())"; Credential = [pscredential]::new($user, (ConvertTo-TestSecret $password)) }
}

# Whether a Galera cluster can be started here (mariadbd, the galera-4 provider and rsync); the reason when not.
function Get-GaleraSkipReason {
    if (-not (Get-Command mariadbd -ErrorAction Ignore) -and -not (Test-Path /usr/sbin/mariadbd)) { return 'mariadbd is not installed (apt-get install -y mariadb-server galera-4 rsync)' }
    if (-not (Test-Path /usr/lib/galera/libgalera_smm.so)) { return 'the Galera provider is not installed (apt-get install -y galera-4)' }
    if (-not (Get-Command rsync -ErrorAction Ignore)) { return 'rsync is not installed (apt-get install -y rsync)' }
    $null
}

# Starts the 3-node cluster of build/galera.sh under a new folder; returns the folder, the connection strings and the
# node process IDs.
function Start-TestGalera {
    $folder = Join-Path '/var/tmp' ('prov-galera-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $folder | Out-Null
    if (-not $IsWindows) { chmod 755 $folder }
    $port = if ($env:PROV_GALERA_PORT) { [int]$env:PROV_GALERA_PORT } else { 13450 }
    while (-not (Test-ClusterPortsFree $port)) { $port += 4 }
    $env:PROV_GALERA_PORT = "$port"
    try { $lines = & "$RepoRoot/build/galera.sh" start $folder 2>&1 }
    finally { Remove-Item Env:PROV_GALERA_PORT }
    if ($LASTEXITCODE -ne 0) { throw "build/galera.sh start failed: $($lines -join "`n")" }
    $values = @{}
    foreach ($line in $lines) { if ("$line" -match '^(PROV_TEST_GALERA\w*)=(.*)$') { $values[$Matches[1]] = $Matches[2] } }
    [pscustomobject]@{
        Folder = $folder; Port = $port; All = $values['PROV_TEST_GALERA']
        Nodes = @(1..3 | ForEach-Object { $values["PROV_TEST_GALERA_NODE$_"] })
    }
}

function Test-ClusterPortsFree([int] $Port) {
    foreach ($n in 1..3) {
        foreach ($p in $Port..($Port + 3)) {
            $client = [System.Net.Sockets.TcpClient]::new()
            try { $client.Connect("127.0.0.$n", $p); return $false } catch { } finally { $client.Dispose() }
        }
    }
    $true
}

function Stop-TestGalera($Galera) {
    if (-not $Galera) { return }
    $null = & "$RepoRoot/build/galera.sh" stop $Galera.Folder 2>&1
    Remove-Item -Recurse -Force $Galera.Folder -ErrorAction Ignore
}

# The specs of two instances on the Galera cluster's database $Database: the first prefers node 1, the second node 2,
# each failing over to the other nodes in order.
function Get-GaleraInstanceSpec($Galera, [string] $Database) {
    $login = ($Galera.Nodes[0] -split ';' | Where-Object { $_ -match '^(User ID|Password)=' }) -join ';'
    'Server=127.0.0.1,127.0.0.2,127.0.0.3', 'Server=127.0.0.2,127.0.0.3,127.0.0.1' | ForEach-Object {
        Split-ClusterConnection "$_;Port=$($Galera.Port);Load Balance=FailOver;$login" $Database }
}

# The process ID of Galera node $Node (1-3), from its pid file.
function Get-GaleraNodeProcessId($Galera, [int] $Node) { [int](Get-Content (Join-Path $Galera.Folder "node$Node/mariadb.pid")) }

# Runs SQL as root on one Galera node, through its socket; returns the output rows (tab-separated).
function Invoke-GaleraSql($Galera, [int] $Node, [string] $Sql) {
    $output = & mariadb --no-defaults --protocol=socket "--socket=$(Join-Path $Galera.Folder "node$Node/mariadb.sock")" -uroot -N -e $Sql 2>&1
    if ($LASTEXITCODE -ne 0) { throw "mariadb on node $Node failed ($LASTEXITCODE): $output" }
    $output
}

# Runs SQL on the MariaDB of PROV_TEST_MYSQL and returns the output rows.
function Get-TestMariaDbRows([string] $Sql) {
    $b = [System.Data.Common.DbConnectionStringBuilder]::new()
    $b.set_ConnectionString($env:PROV_TEST_MYSQL)
    function Get-Key([string[]] $Names) { foreach ($n in $Names) { if ($b.ContainsKey($n)) { return [string]$b[$n] } } }
    $arguments = @('--protocol=TCP', "--host=$(Get-Key 'Server', 'Host')", "--user=$(Get-Key 'User ID', 'UserID', 'Uid', 'User')", '-N', '-e', $Sql)
    if ($port = Get-Key 'Port') { $arguments += "--port=$port" }
    $env:MYSQL_PWD = Get-Key 'Password', 'Pwd'
    try {
        $output = & mariadb @arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "mariadb failed ($LASTEXITCODE): $output" }
        $output
    }
    finally { Remove-Item Env:MYSQL_PWD -ErrorAction Ignore }
}

# Waits for $Condition to hold, polling; throws with $What after $Seconds.
function Wait-ClusterCondition([scriptblock] $Condition, [string] $What, [int] $Seconds = 30) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "$What did not happen within $Seconds s" }
        Start-Sleep -Milliseconds 100
    }
}

# An import upload that sends all of its body but the last bytes, and waits: the server has read the manifest (and
# claimed the config) but cannot finish. Complete-HeldImport sends the rest and returns the HTTP status and answer.
function Start-HeldImport {
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $PackagePath, [Parameter(Mandatory)] [securestring] $Passphrase, [int] $HoldBack = 64)
    $form = [System.Net.Http.MultipartFormDataContent]::new()
    $form.Add([System.Net.Http.StringContent]::new((ConvertFrom-SecureString $Passphrase -AsPlainText)), 'passphrase')
    $form.Add([System.Net.Http.StringContent]::new('held import'), 'comment')
    $file = [System.Net.Http.ByteArrayContent]::new([System.IO.File]::ReadAllBytes($PackagePath))
    $form.Add($file, 'package', (Split-Path $PackagePath -Leaf))
    $body = $form.ReadAsByteArrayAsync().GetAwaiter().GetResult()
    $pipe = [System.IO.Pipes.AnonymousPipeServerStream]::new([System.IO.Pipes.PipeDirection]::Out)
    $reader = [System.IO.Pipes.AnonymousPipeClientStream]::new([System.IO.Pipes.PipeDirection]::In, $pipe.ClientSafePipeHandle)
    $content = [System.Net.Http.StreamContent]::new($reader)
    $content.Headers.ContentType = $form.Headers.ContentType
    $content.Headers.ContentLength = $body.Length
    $client = [System.Net.Http.HttpClient]::new()
    $client.Timeout = [TimeSpan]::FromMinutes(2)
    $request = [System.Net.Http.HttpRequestMessage]::new('Post', "$($Server.Uri.AbsoluteUri.TrimEnd('/'))/api/v1/packages")
    $request.Headers.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', (ConvertFrom-SecureString $Server.AdminToken -AsPlainText))
    $request.Content = $content
    $sending = $client.SendAsync($request)
    # A pipe write blocks until the request reads it; write from a task so this thread goes on.
    $first = $body.Length - $HoldBack
    $written = $pipe.WriteAsync($body, 0, $first)
    [pscustomobject]@{ Client = $client; Pipe = $pipe; Reader = $reader; Sending = $sending; Written = $written; Body = $body; Rest = $first }
}

function Complete-HeldImport($Held) {
    try {
        $Held.Written.GetAwaiter().GetResult()
        $Held.Pipe.Write($Held.Body, $Held.Rest, $Held.Body.Length - $Held.Rest)
        $Held.Pipe.Flush()
        $Held.Pipe.Dispose()
        $response = $Held.Sending.GetAwaiter().GetResult()
        [pscustomobject]@{ Status = [int]$response.StatusCode; Text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() }
    }
    finally { $Held.Client.Dispose(); $Held.Reader.Dispose() }
}

# Provisions simulated nodes (TCP) through a connection; one result per node, with the root key the node holds.
function Invoke-ClusterStation($Connection, [uint32[]] $NodeIds, [uint32] $Batch, [int] $ThrottleLimit = 8) {
    $sims = @($NodeIds | ForEach-Object { Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId $_ -NodeType UNODE })
    try {
        $errors = $null
        $results = @($sims | ForEach-Object { [pscustomobject]@{ Port = $_.Endpoint } } |
            Invoke-NodeProvision -ConfigId 69 -Batch $Batch -Server $Connection -ThrottleLimit $ThrottleLimit -ErrorVariable errors -ErrorAction SilentlyContinue)
        foreach ($i in 0..($sims.Count - 1)) {
            $key = $sims[$i].ReadKey('Root')
            [pscustomobject]@{
                NodeId = $NodeIds[$i]; ExitCode = [int]($results | Where-Object Port -EQ $sims[$i].Endpoint | Select-Object -First 1).ExitCode
                Message = ($results | Where-Object Port -EQ $sims[$i].Endpoint | Select-Object -First 1).Message
                HeldKey = if ($key) { [Convert]::ToHexString($key) }
                Results = @($results | Where-Object Port -EQ $sims[$i].Endpoint).Count
            }
        }
    }
    finally { $sims | Stop-ProvNodeSimulator }
}

# Exports config 69 and decrypts it as the KMS does: node ID → root key (hex).
function Get-ClusterExport($Connection, [string] $Path, [string] $KmsPrivateKeyPath, [hashtable] $Filter = @{}) {
    $null = Export-ProvKey -ConfigId 69 -Path $Path -Server $Connection -Force -WarningAction SilentlyContinue @Filter
    @(Read-ProvKeyFile -Path $Path -KmsPrivateKeyFile $KmsPrivateKeyPath -AsPlainBytes | ForEach-Object {
        [pscustomobject]@{ NodeId = $_.NodeId; Key = [Convert]::ToHexString($_.RootKeyBytes) } })
}
