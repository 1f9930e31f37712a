# Several server instances on one database, as a larger factory runs them behind a load balancer: two instances on the
# MariaDB of PROV_TEST_MYSQL, then two instances on different nodes of a 3-node MariaDB Galera cluster (build/galera.sh)
# with a node killed during a 32-station load. What one instance changes (a revoked token, a disabled account, a
# re-import with a new KMS key) holds from the next request on the other; two imports of one config cannot both run;
# no record a station was told is confirmed is lost or doubled.
BeforeDiscovery {
    . "$PSScriptRoot/ClusterTestHelpers.ps1"
    $script:mariaDbSkip = if (-not $env:PROV_TEST_MYSQL -and $env:PROV_TEST_REQUIRE_MYSQL -ne '1') { Get-MariaDbSkipReason }
    $script:galeraSkip = Get-GaleraSkipReason
    if ($galeraSkip -and $env:PROV_TEST_REQUIRE_MYSQL -eq '1') { $script:galeraSkip = $null }  # then BeforeAll fails, saying why
}

BeforeAll {
    . "$PSScriptRoot/ClusterTestHelpers.ps1"
    . "$PSScriptRoot/AccountTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
    # The same config 69 for a network with another KMS key pair: a re-import that changes the key stations encrypt for.
    $script:rekeyed = New-TestServerPackage -Root "$TestDrive/pkg2" -Network (New-TestNetwork -Root "$TestDrive/net2")
}

Describe 'Two server instances on one MariaDB' -Skip:([bool]$mariaDbSkip) {
    BeforeAll {
        if (-not $env:PROV_TEST_MYSQL) { throw 'PROV_TEST_REQUIRE_MYSQL=1 but PROV_TEST_MYSQL is not set.' }
        $script:db = New-TestMariaDbDatabase
        $pair = Start-ClusterPair "$TestDrive/m" @($db) $pkg
        $script:a = $pair.A; $script:b = $pair.B; $script:onA = $pair.OnA; $script:onB = $pair.OnB
        $script:token = New-ProvStationToken -Name 'line' -Server $onA
        $script:stationA = Connect-ProvServer -Uri $a.Uri -Token $token.Token -PassThru
        $script:stationB = Connect-ProvServer -Uri $b.Uri -Token $token.Token -PassThru
    }
    AfterAll {
        try { Stop-ClusterInstance $b; Stop-ClusterInstance $a }
        finally { if ($db) { Invoke-TestMariaDb "DROP DATABASE IF EXISTS ``$($db.Name)``" } }
    }

    It 'records the devices of stations split across both instances once each, in one export' {
        $runs = @(
            Invoke-ClusterStation $stationA (0x3101..0x3104) -Batch 31
            Invoke-ClusterStation $stationB (0x3105..0x3108) -Batch 31)
        $runs.ExitCode | Should -Be (@(0) * 8)
        $exported = Get-ClusterExport $onB "$TestDrive/split.xml" $pkg.Network.Kms.PrivateKeyPath
        ($exported.NodeId | Sort-Object) | Should -Be (0x3101..0x3108)
        foreach ($run in $runs) { ($exported | Where-Object NodeId -EQ $run.NodeId).Key | Should -Be $run.HeldKey }
    }

    It 'lets only one of two imports of one config running at once on the two instances go on: the other gets 409' {
        $held = Start-HeldImport -Server $a -PackagePath $pkg.Path -Passphrase $pkg.Passphrase
        try {
            # Instance A has read the manifest and claimed config 69 in the database.
            Wait-ClusterCondition { @(Get-TestMariaDbRows "SELECT config_id FROM ``$($db.Name)``.import_claims") -contains '69' } 'the claim of the held import'
            $e = Get-ErrorText { Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase -Server $onB }
            $e | Should -Match 'Another import of config 69 is in progress'
        }
        finally { $done = Complete-HeldImport $held }
        $done.Status | Should -Be 201
        # Exactly one new revision; the claim is gone, so the next import goes on.
        @(Get-ProvPackage -History -Server $onB | Where-Object ConfigId -EQ 69).Count | Should -Be 2
        @(Get-TestMariaDbRows "SELECT config_id FROM ``$($db.Name)``.import_claims") | Should -BeNullOrEmpty
    }

    It 'refuses a token revoked through one instance on the very next request to the other' {
        $t = New-ProvStationToken -Name 'to revoke' -Server $onA
        (Connect-ProvServer -Uri $b.Uri -Token $t.Token -PassThru).Role | Should -Be 'station'   # now in B's cache
        Revoke-ProvStationToken -Id $t.Id -Server $onA -Confirm:$false
        Get-ErrorText { Connect-ProvServer -Uri $b.Uri -Token $t.Token } | Should -Match 'unknown or revoked|401'
    }

    It 'ends a web session on one instance as soon as its account is disabled through the other, and refuses its sign-in there' {
        $good = ConvertTo-TestSecret 'a long cluster password'
        $null = New-ProvUser -Name erin -Role Exporter -Password $good -Server $onA
        $signIn = Invoke-TestWebSignIn $b -Name erin -Password $good
        $signIn.Status | Should -Be 302
        $pages = "$($b.Uri.AbsoluteUri.TrimEnd('/'))/provisioning/"
        (Invoke-WebRequest $pages -WebSession $signIn.Session -MaximumRedirection 0 -SkipHttpErrorCheck).StatusCode | Should -Be 200
        Set-ProvUser erin -Disabled -Server $onA
        $after = Invoke-WebRequest $pages -WebSession $signIn.Session -MaximumRedirection 0 -SkipHttpErrorCheck -ErrorAction SilentlyContinue
        $after.StatusCode | Should -Be 302
        [string]$after.Headers.Location | Should -Match '/provisioning/login'
        (Invoke-TestWebSignIn $b -Name erin -Password $good).Status | Should -Be 401
    }

    It 'takes records encrypted for the new KMS key on one instance as soon as the other imported it' {
        # B knows config 69's current KMS key from a station's record.
        (Invoke-ClusterStation $stationB 0x3201 -Batch 32).ExitCode | Should -Be 0
        $null = Import-ProvPackage $rekeyed.Path -Passphrase $rekeyed.Passphrase -Server $onA
        # The next station run on B fetches the new config and encrypts for the new key; B must take it at once.
        $run = Invoke-ClusterStation $stationB 0x3202 -Batch 32
        $run.ExitCode | Should -Be 0 -Because $run.Message
        $exported = Get-ClusterExport $onA "$TestDrive/rekeyed.xml" $rekeyed.Network.Kms.PrivateKeyPath @{ NodeId = "$(0x3202)" }
        ($exported | Where-Object NodeId -EQ 0x3202).Key | Should -Be $run.HeldKey
    }
}

Describe 'Two server instances on a 3-node MariaDB Galera cluster' -Skip:([bool]$galeraSkip) {
    BeforeAll {
        if ($reason = Get-GaleraSkipReason) { throw "PROV_TEST_REQUIRE_MYSQL=1 but Galera cannot run here: $reason" }
        $script:galera = Start-TestGalera
        $name = 'prov_galera_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $null = Invoke-GaleraSql $galera 1 "CREATE DATABASE ``$name`` CHARACTER SET utf8mb4"
        # Each instance prefers its own node and fails over to the others in order.
        $pair = Start-ClusterPair "$TestDrive/g" @(Get-GaleraInstanceSpec $galera $name) $pkg
        $script:a = $pair.A; $script:b = $pair.B; $script:onA = $pair.OnA; $script:onB = $pair.OnB
        $script:token = New-ProvStationToken -Name 'galera line' -Server $onA
        $script:dbName = $name
    }
    AfterAll {
        try { Stop-ClusterInstance $b; Stop-ClusterInstance $a }
        finally { Stop-TestGalera $galera }
    }

    It 'refuses a token revoked through the instance on node 1 at once on the instance on node 2' {
        $t = New-ProvStationToken -Name 'galera revoke' -Server $onA
        (Connect-ProvServer -Uri $b.Uri -Token $t.Token -PassThru).Role | Should -Be 'station'
        Revoke-ProvStationToken -Id $t.Id -Server $onA -Confirm:$false
        Get-ErrorText { Connect-ProvServer -Uri $b.Uri -Token $t.Token } | Should -Match 'unknown or revoked|401'
    }

    It 'retries the transactions Galera refuses at commit (certification conflicts between nodes)' {
        # Confirms of records of the same three nodes through both instances at once: both database nodes change the
        # same rows, so Galera refuses some commits (error 1213), which the server runs again; every confirm must land.
        $config = Get-ProvConfig -ConfigId 69 -Server $onA
        $counters = "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')"
        $conflicts = { $sum = 0; foreach ($n in 1..3) { foreach ($row in Invoke-GaleraSql $galera $n $counters) { $sum += [long]($row -split "`t")[1] } }; $sum }
        $before = & $conflicts
        $rsa = [System.Security.Cryptography.RSA]::Create(); $rsa.ImportFromPem($config.KmsPublicKey)
        $client = [System.Net.Http.HttpClient]::new()
        $client.DefaultRequestHeaders.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Bearer', (ConvertFrom-SecureString $token.Token -AsPlainText))
        try {
            $records = foreach ($i in 0..47) {
                $key = [byte[]]::new(16); [System.Security.Cryptography.RandomNumberGenerator]::Fill($key)
                $body = @{ configId = '69'; batch = 77; timestamp = [DateTimeOffset]::UtcNow.ToString('o'); keyAlgorithm = 'RSA-OAEP-SHA256'
                    encryptedRootKey = [Convert]::ToBase64String($rsa.Encrypt($key, [System.Security.Cryptography.RSAEncryptionPadding]::OaepSHA256))
                    kmsKeyFingerprint = $config.KmsKeyFingerprint; station = 'conflicts'; kcv = (Get-TestKeyCheckValue $key) } | ConvertTo-Json
                $server = if ($i % 2) { $b } else { $a }
                $uri = "$($server.Uri.AbsoluteUri.TrimEnd('/'))/api/v1/devices/$(0x3300 + $i % 3)/records/$([guid]::NewGuid())"
                [int]$client.PutAsync($uri, [System.Net.Http.StringContent]::new($body, [Text.Encoding]::UTF8, 'application/json')).GetAwaiter().GetResult().StatusCode | Should -Be 201
                $uri
            }
            $tasks = foreach ($uri in $records) { $client.PostAsync("$uri/confirm", $null) }
            $statuses = foreach ($t in $tasks) { [int]$t.GetAwaiter().GetResult().StatusCode }
        }
        finally { $client.Dispose(); $rsa.Dispose() }
        $statuses | Sort-Object -Unique | Should -Be 200
        # Each node ends with one confirmed record.
        foreach ($node in 0x3300..0x3302) {
            $device = Get-ProvDevice -NodeId $node -Server $onB
            $device.Status | Should -Be 'confirmed'
            @($device.History | Where-Object Status -EQ 'confirmed').Count | Should -Be 1
            @($device.History).Count | Should -Be 16
        }
        Write-Host "Galera refused $((& $conflicts) - $before) commits at certification; the server ran them again"
    }

    It 'loses and doubles no confirmed record when a database node is killed during a 32-station load' {
        $kms = $pkg.Network.Kms.PrivateKeyPath
        $load = @(
            @{ Uri = $a.Uri; Base = 0x4000 }
            @{ Uri = $b.Uri; Base = 0x5000 }
        ) | ForEach-Object -AsJob -ThrottleLimit 2 -Parallel {
            $line = $_
            . "$using:PSScriptRoot/ClusterTestHelpers.ps1"
            $station = Connect-ProvServer -Uri $line.Uri -Token ($using:token).Token -PassThru
            foreach ($round in 0..2) {
                Invoke-ClusterStation $station ([uint32[]]@(0..15 | ForEach-Object { $_ + $line.Base + 0x100 * $round })) -Batch 40 -ThrottleLimit 16
            }
        }
        try {
            # Kill node 1 (instance A's) once the load is under way: some devices are confirmed, more are coming.
            $nodePid = Get-GaleraNodeProcessId $galera 1
            Wait-ClusterCondition { $load.State -ne 'Running' -or
                [int](Invoke-GaleraSql $galera 2 "SELECT COUNT(*) FROM ``$dbName``.device_records WHERE status = 'confirmed' AND batch = 40") -ge 12 } 'the first confirmed records' -Seconds 120
            $load.State | Should -Be 'Running' -Because ($load.ChildJobs.Error | Out-String)
            Stop-Process -Id $nodePid -Force   # SIGKILL, as kill -9
            $null = $load | Wait-Job -Timeout 150
            $load.State | Should -Be 'Completed'
            $runs = @($load | Receive-Job)
        }
        finally { $load | Stop-Job -PassThru | Remove-Job -Force }

        # Every device has one result; a failure says why with the server's code (100 unreachable, 101 error answer).
        $runs.Count | Should -Be 96
        $runs | Where-Object Results -NE 1 | Should -BeNullOrEmpty
        $failed = @($runs | Where-Object ExitCode -NE 0)
        $failed | Where-Object { $_.ExitCode -notin 100, 101 } | ForEach-Object { "0x$('{0:X}' -f $_.NodeId): $($_.ExitCode) $($_.Message)" } | Should -BeNullOrEmpty
        Write-Host "Galera node 1 killed during the load: $($runs.Count - $failed.Count) devices confirmed, $($failed.Count) refused with 100/101"

        # The export (through the instance whose node survived) holds every device a station was told is confirmed,
        # once, with the key the device holds; a device whose confirm failed is there only with the key it holds.
        $exported = Get-ClusterExport $onB "$TestDrive/galera.xml" $kms
        ($exported.NodeId | Group-Object | Where-Object Count -GT 1) | Should -BeNullOrEmpty
        foreach ($run in $runs | Where-Object ExitCode -EQ 0) {
            ($exported | Where-Object NodeId -EQ $run.NodeId).Key | Should -Be $run.HeldKey -Because "node 0x$('{0:X}' -f $run.NodeId) was confirmed"
        }
        foreach ($entry in $exported | Where-Object NodeId -In $failed.NodeId) {
            $entry.Key | Should -Be ($failed | Where-Object NodeId -EQ $entry.NodeId).HeldKey
        }
        $exported.NodeId | Where-Object { $_ -notin $runs.NodeId -and $_ -lt 0x3300 -or $_ -gt 0x3302 -and $_ -notin $runs.NodeId } | Should -BeNullOrEmpty
    }
}
