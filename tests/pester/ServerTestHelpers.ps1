# Shared set-up for the suites that run against a real server started with Start-ProvServer.
# Each suite runs once per engine: SQLite always, MariaDB when PROV_TEST_MYSQL holds a MySqlConnector connection
# string (with a password, for a user that may create databases). Every server gets a fresh database of its own.
. "$PSScriptRoot/TestHelpers.ps1"

function Get-TestEngine {
    $engines = @(@{ Engine = 'SQLite' })
    if ($env:PROV_TEST_MYSQL -or $env:PROV_TEST_REQUIRE_MYSQL -eq '1') { $engines += @{ Engine = 'MariaDB' } }
    $engines
}

# Why the MariaDB runs are left out, or nothing when they run.
function Get-MariaDbSkipReason {
    if ($env:PROV_TEST_MYSQL) { return $null }
    if ($env:PROV_TEST_REQUIRE_MYSQL -eq '1') { return $null }
    'PROV_TEST_MYSQL is not set, so the server suites ran on SQLite only. Set it to a MySqlConnector connection string ' +
    '(Server=127.0.0.1;Port=13306;User ID=root;Password=...) of a MariaDB whose user may create databases to run them on MariaDB too.'
}

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

# Runs SQL on the MariaDB of PROV_TEST_MYSQL with the mariadb client; the password travels in the environment.
function Invoke-TestMariaDb([string] $Sql) {
    if (-not $env:PROV_TEST_MYSQL) { throw 'PROV_TEST_REQUIRE_MYSQL=1 but PROV_TEST_MYSQL is not set: start MariaDB and export its connection string.' }
    $b = [System.Data.Common.DbConnectionStringBuilder]::new()
    $b.set_ConnectionString($env:PROV_TEST_MYSQL)  # a property assignment would add a key: the builder is a dictionary
    function Get-Key([string[]] $Names) { foreach ($n in $Names) { if ($b.ContainsKey($n)) { return [string]$b[$n] } } }
    $arguments = @('--protocol=TCP', "--host=$(Get-Key 'Server', 'Host', 'Data Source', 'Address')", "--user=$(Get-Key 'User ID', 'UserID', 'Uid', 'User', 'Username')", '-e', $Sql)
    if ($port = Get-Key 'Port') { $arguments += "--port=$port" }
    $env:MYSQL_PWD = Get-Key 'Password', 'Pwd'
    try {
        $output = & mariadb @arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "mariadb failed ($LASTEXITCODE): $output" }
    }
    finally { Remove-Item Env:MYSQL_PWD -ErrorAction Ignore }
}

function Get-TestMariaDbPassword {
    $b = [System.Data.Common.DbConnectionStringBuilder]::new()
    $b.set_ConnectionString($env:PROV_TEST_MYSQL)  # a property assignment would add a key: the builder is a dictionary
    foreach ($n in 'Password', 'Pwd') { if ($b.ContainsKey($n)) { return [string]$b[$n] } }
}

# A fresh database on the MariaDB: the spec without its password, and the credential that carries it.
function New-TestMariaDbDatabase {
    $name = 'prov_ps_' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    Invoke-TestMariaDb "CREATE DATABASE ``$name`` CHARACTER SET utf8mb4"
    $b = [System.Data.Common.DbConnectionStringBuilder]::new()
    $b.set_ConnectionString($env:PROV_TEST_MYSQL)  # a property assignment would add a key: the builder is a dictionary
    $user = foreach ($n in 'User ID', 'UserID', 'Uid', 'User', 'Username') { if ($b.ContainsKey($n)) { [string]$b[$n]; break } }
    $password = foreach ($n in 'Password', 'Pwd') { if ($b.ContainsKey($n)) { [string]$b[$n]; break } }
    foreach ($n in 'Password', 'Pwd', 'Database', 'Initial Catalog') { [void]$b.Remove($n) }
    $b['Database'] = $name
    $secret = if ($password) { ConvertTo-TestSecret $password } else { [securestring]::new() }
    [pscustomobject]@{ Name = $name; Spec = "mysql:$($b.get_ConnectionString())"; Credential = [pscredential]::new($user, $secret) }
}

# Starts a server on a free port with a fresh database of the engine; Stop-TestServer stops it and drops the database.
function Start-TestServer {
    param([Parameter(Mandatory)] [string] $Engine, [Parameter(Mandatory)] [string] $Root, [hashtable] $Extra = @{})
    $arguments = @{ Port = Get-FreeTcpPort; DataPath = Join-Path $Root 'data' } + $Extra
    $database = $null
    if ($Engine -eq 'MariaDB') {
        $database = New-TestMariaDbDatabase
        $arguments.Database = $database.Spec
        $arguments.DatabaseCredential = $database.Credential
    }
    $server = Start-ProvServer @arguments
    $server | Add-Member -NotePropertyName TestDatabase -NotePropertyValue $database.Name -PassThru
}

function Stop-TestServer($Server) {
    if (-not $Server) { return }
    if (Get-Process -Id $Server.ProcessId -ErrorAction Ignore) { $Server | Stop-ProvServer -ErrorAction Continue }
    if ($Server.TestDatabase) { Invoke-TestMariaDb "DROP DATABASE IF EXISTS ``$($Server.TestDatabase)``" }
}

# A test network and a good package for config 69 (aliases kite_170, meter_69), built through the cmdlets.
function New-TestServerPackage {
    param([string] $Root, [string] $ConfigId = '69', [string[]] $ConfigAlias = @('kite_170', 'meter_69'), $Network, [string[]] $HardwareType)
    if (-not $Network) { $Network = New-TestNetwork -Root (Join-Path $Root 'net') }
    $in = New-TestPackageInput -Root (Join-Path $Root "in-$ConfigId-$([guid]::NewGuid().ToString('N').Substring(0, 6))") -Network $Network
    $in.ConfigId = $ConfigId
    $in.ConfigAlias = $ConfigAlias
    if ($HardwareType) { $in.HardwareType = $HardwareType }
    $package = New-ProvPackage @in -Path (Join-Path $Root "config-$ConfigId-$([guid]::NewGuid().ToString('N').Substring(0, 6)).tar.gz")
    [pscustomobject]@{ Path = $package.Path; Network = $Network; Passphrase = ConvertTo-TestSecret $Network.Passphrase; Input = $in }
}

# The key check value of a key: the first 3 bytes of AES-ECB of a zero block, in hex (as GetInfo and the server carry it).
function Get-TestKeyCheckValue([byte[]] $Key) {
    $aes = [System.Security.Cryptography.Aes]::Create()
    try { $aes.Key = $Key; [Convert]::ToHexString($aes.EncryptEcb([byte[]]::new(16), 'None'), 0, 3) } finally { $aes.Dispose() }
}

# Records a device through the documented API, as a station does (PUT, then confirm unless -Pending).
function Add-TestDeviceRecord {
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [securestring] $Token, [Parameter(Mandatory)] $Config,
          [uint32] $NodeId, [uint32] $Batch, [DateTimeOffset] $Timestamp = [DateTimeOffset]::UtcNow, [switch] $Pending, [string] $KmsPublicKeyPem,
          [byte[]] $RootKey, [object[]] $Apps)
    $rsa = [System.Security.Cryptography.RSA]::Create()
    try {
        $rsa.ImportFromPem($Config.KmsPublicKey)
        # A given -RootKey lets a test check what the KMS decrypts later.
        if (-not $RootKey) { $RootKey = [byte[]]::new(16); [System.Security.Cryptography.RandomNumberGenerator]::Fill($RootKey) }
        $encrypted = [Convert]::ToBase64String($rsa.Encrypt($RootKey, [System.Security.Cryptography.RSAEncryptionPadding]::OaepSHA256))
    }
    finally { $rsa.Dispose() }
    $kcv = Get-TestKeyCheckValue $RootKey
    $body = @{
        configId = "$($Config.ConfigId)"; batch = $Batch; timestamp = $Timestamp.ToString('o')
        encryptedRootKey = $encrypted; keyAlgorithm = 'RSA-OAEP-SHA256'; kmsKeyFingerprint = $Config.KmsKeyFingerprint
        station = 'pester'; kcv = $kcv
    }
    # -Apps: @{ name; id; key; extra } per application, as a station records them (guide C.5).
    if ($Apps) { $body.apps = @($Apps) }
    $body = $body | ConvertTo-Json -Depth 4
    $request = [guid]::NewGuid()
    $base = "$($Server.Uri.AbsoluteUri.TrimEnd('/'))/api/v1/devices/$NodeId/records/$request"
    $headers = @{ Authorization = "Bearer $(ConvertFrom-SecureString $Token -AsPlainText)" }
    $record = Invoke-RestMethod -Method Put -Uri $base -Headers $headers -Body $body -ContentType 'application/json'
    if (-not $Pending) { $record = Invoke-RestMethod -Method Post -Uri "$base/confirm" -Headers $headers }
    $record
}
