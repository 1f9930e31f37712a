# Station client certificates as an admin and a station operator meet them: New-/Get-/Revoke-ProvStationCertificate
# against a real HTTPS server started with Start-ProvServer -Tls -RequireClientCertificate, stations provisioning real
# node simulators over mutual TLS, revocation holding at once (also on a second server instance sharing the MariaDB
# database), and station tokens refused where certificates are required.
BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}

BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:password = ConvertTo-TestSecret 'station pfx password'
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"

    # Provisions simulated nodes over TCP through a station connection; returns the results and the errors written.
    function script:Invoke-CertificateStation($Connection, [int[]] $NodeIds, [uint32] $Batch) {
        $sims = @($NodeIds | ForEach-Object { Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeId $_ -NodeType UNODE })
        try {
            $errors = $null
            $results = $sims | ForEach-Object { [pscustomobject]@{ Port = $_.Endpoint } } |
                Invoke-NodeProvision -ConfigId 69 -Batch $Batch -Server $Connection -ErrorVariable errors -ErrorAction SilentlyContinue
            [pscustomobject]@{ Results = @($results); Errors = @($errors); Simulators = $sims }
        }
        finally { $sims | Stop-ProvNodeSimulator }
    }

    # Starts an HTTPS server requiring station certificates, on a fresh database of the engine; with -Like, a second
    # instance sharing $Like's database, master key and CA files (copied into its own data folder, as docs/security.md
    # says) and its file repository (copied: instances behind a load balancer share one).
    function script:Start-CertificateServer([string] $Engine, [string] $Root, $Like) {
        $data = Join-Path $Root 'data'
        $arguments = @{ Port = Get-FreeTcpPort; DataPath = $data; Tls = $true; RequireClientCertificate = $true }
        $database = $null
        if ($Like) {
            New-Item -ItemType Directory -Force (Join-Path $data 'tls') | Out-Null
            Copy-Item (Join-Path $Like.DataPath 'master.key') $data
            Copy-Item (Join-Path $Like.DataPath 'tls/ca.crt'), (Join-Path $Like.DataPath 'tls/ca.key.sealed') (Join-Path $data 'tls')
            Copy-Item (Join-Path $Like.DataPath 'files') $data -Recurse
            $arguments.Database = $Like.TestSpec.Spec
            $arguments.DatabaseCredential = $Like.TestSpec.Credential
            # It writes no admin.token (the database has an admin token already) and says so; the first's token serves.
            $arguments.WarningAction = 'SilentlyContinue'
        }
        elseif ($Engine -eq 'MariaDB') {
            $database = New-TestMariaDbDatabase
            $arguments.Database = $database.Spec
            $arguments.DatabaseCredential = $database.Credential
        }
        $handle = Start-ProvServer @arguments
        # Only the first instance drops the database when it stops (Stop-TestServer).
        $handle | Add-Member -NotePropertyMembers @{ TestSpec = $database; TestDatabase = $database.Name } -PassThru
    }
}

Describe 'Station certificates on <Engine>' -ForEach $engines {
    BeforeAll {
        if ($Engine -eq 'MariaDB' -and -not $env:PROV_TEST_MYSQL) { throw 'PROV_TEST_REQUIRE_MYSQL=1 but PROV_TEST_MYSQL is not set.' }
        $script:server = Start-CertificateServer -Engine $Engine -Root "$TestDrive/$Engine/one"
        $script:admin = Connect-ProvServer -Uri $server.Uri -Token $server.AdminToken -CaCertificatePath (Join-Path $server.DataPath 'tls/ca.crt') -PassThru
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase -Server $admin
        $script:second = $null
    }
    AfterAll {
        if ($second -and (Get-Process -Id $second.ProcessId -ErrorAction Ignore)) {
            # The second instance wrote no admin.token (the shared database has an admin token): stop it with the first's.
            $null = Stop-ProvServer -Server (Connect-ProvServer -Uri $second.Uri -Token $server.AdminToken -PassThru) -ErrorAction Continue
        }
        Stop-TestServer $server
    }

    It 'issues a certificate whose key stays in a password-protected, owner-only PFX' {
        $path = "$TestDrive/$Engine/line1.pfx"
        $cert = New-ProvStationCertificate -Name 'line 1' -Path $path -Password $password -ValidDays 30 -Server $admin
        $cert.Name | Should -Be 'line 1'
        $cert.Status | Should -Be 'Valid'
        $cert.Path | Should -Be $path
        $cert.Thumbprint | Should -Match '^[0-9A-F]{64}$'
        ($cert.NotAfter - [DateTimeOffset]::UtcNow).TotalDays | Should -BeGreaterThan 29.9
        $cert.CaThumbprint | Should -Be (Get-FileHash -Algorithm SHA256 -InputStream ([IO.MemoryStream]::new(
            [Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem((Get-Content (Join-Path $server.DataPath 'tls/ca.crt') -Raw)).RawData))).Hash
        if (-not $IsWindows) { (Get-Item $path).UnixMode | Should -Be '-rw-------' }

        $loaded = [Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12CollectionFromFile($path, 'station pfx password')
        $leaf = @($loaded | Where-Object HasPrivateKey)
        $leaf.Count | Should -Be 1
        $leaf[0].GetNameInfo('SimpleName', $false) | Should -Be 'line 1'
        [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($leaf[0].RawData)) | Should -Be $cert.Thumbprint
        $loaded.Count | Should -Be 2   # with the CA certificate
        { [Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile($path, 'wrong') } | Should -Throw
        # Nothing of the key reached the server: its data folder and log hold no private key of the station.
        $leafKey = [Convert]::ToBase64String([Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::GetECDsaPrivateKey($leaf[0]).ExportPkcs8PrivateKey())
        Get-ChildItem $server.DataPath -Recurse -File | Where-Object { -not (Test-DotnetIpcEndpoint $_) } | ForEach-Object {
            [IO.File]::ReadAllText($_.FullName) | Should -Not -Match ([regex]::Escape($leafKey.Substring(0, 40)))
        }

        Get-ProvStationCertificate -Server $admin | Where-Object Name -eq 'line 1' | Select-Object -ExpandProperty Thumbprint | Should -Be $cert.Thumbprint
        $table = Get-ProvStationCertificate 'line*' -Server $admin | Format-Table | Out-String -Width 80
        $table | Should -Match 'line 1\s+Valid'
    }

    It 'refuses an existing file unless -Force and a missing folder, and revokes a certificate no file could be written for' {
        $path = "$TestDrive/$Engine/exists.pfx"
        Set-Content $path 'keep me'
        $e = Get-ErrorText { New-ProvStationCertificate -Name 'exists' -Path $path -Password $password -Server $admin }
        $e | Should -Match 'already exists; use -Force'
        Get-Content $path | Should -Be 'keep me'
        $e = Get-ErrorText { New-ProvStationCertificate -Name 'nowhere' -Path "$TestDrive/$Engine/no-such-folder/x.pfx" -Password $password -Server $admin }
        $e | Should -Match "The folder '.*no-such-folder' does not exist"
        Get-ProvStationCertificate 'nowhere' -IncludeRevoked -Server $admin | Should -BeNullOrEmpty   # nothing was issued
        if (-not $IsLinux) { return }
        # A folder nobody may create files in, not even root: the certificate is issued, then cannot be written.
        $e = Get-ErrorText { New-ProvStationCertificate -Name 'unwritable' -Path /proc/station.pfx -Password $password -Server $admin }
        $e | Should -Match 'was not written'
        $e | Should -Match 'was revoked, since its key is lost'
        (Get-ProvStationCertificate 'unwritable' -IncludeRevoked -Server $admin).Status | Should -Be 'Revoked'
        Get-ProvStationCertificate 'unwritable' -Server $admin | Should -BeNullOrEmpty
    }

    It 'provisions real nodes over mutual TLS with the certificate, and a revocation holds from the next request' {
        $station = Connect-ProvServer -Uri $server.Uri -Certificate "$TestDrive/$Engine/line1.pfx" -CertificatePassword $password `
            -CaCertificatePath (Join-Path $server.DataPath 'tls/ca.crt') -PassThru
        $station.Role | Should -Be 'station'
        $station.TokenName | Should -Be 'line 1'

        $run = Invoke-CertificateStation $station 0x2001, 0x2002 -Batch 4100
        $run.Errors | Should -BeNullOrEmpty
        $run.Results.ExitCode | Should -Be @(0, 0)
        (Get-ProvDevice 0x2001 -Server $admin).Current.Batch | Should -Be 4100

        Get-ProvStationCertificate 'line 1' -Server $admin | Revoke-ProvStationCertificate -Server $admin
        $revoked = Get-ProvStationCertificate 'line 1' -IncludeRevoked -Server $admin
        $revoked.Status | Should -Be 'Revoked'
        $revoked.RevokedBy | Should -Be 'admin (created on first start)'

        $run = Invoke-CertificateStation $station 0x2003 -Batch 4100
        [int]$run.Results[0].ExitCode | Should -Be 101
        $run.Results[0].Message | Should -Match '^Provisioning server returned error response: '
        $run.Results[0].Message | Should -Match "The client certificate 'line 1' \(ID \d+\) was revoked on"
        $run.Simulators[0].State.KeyCheckValues.Count | Should -Be 0   # nothing reached the node
        Get-ProvDevice 0x2003 -Server $admin -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses a certificate of another CA when connecting, naming the problem' {
        if (-not (Get-Command openssl -ErrorAction Ignore)) { Set-ItResult -Skipped -Because 'openssl is not installed'; return }
        $dir = New-Item -ItemType Directory "$TestDrive/$Engine/foreign"
        & openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=Foreign CA' -days 2 `
            -keyout "$dir/ca.key" -out "$dir/ca.crt" -addext 'basicConstraints=critical,CA:TRUE' 2>&1 | Out-Null
        & openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=line 1' -keyout "$dir/st.key" -out "$dir/st.csr" 2>&1 | Out-Null
        Set-Content "$dir/ext.cnf" 'extendedKeyUsage=clientAuth'
        & openssl x509 -req -in "$dir/st.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 1 -extfile "$dir/ext.cnf" -out "$dir/st.crt" 2>&1 | Out-Null
        & openssl pkcs12 -export -inkey "$dir/st.key" -in "$dir/st.crt" -out "$dir/st.pfx" -passout pass:foreign 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0

        $e = Get-ErrorText { Connect-ProvServer -Uri $server.Uri -Certificate "$dir/st.pfx" -CertificatePassword (ConvertTo-TestSecret 'foreign') `
                -CaCertificatePath (Join-Path $server.DataPath 'tls/ca.crt') }
        $e | Should -Match "The client certificate 'line 1' \(issued by 'Foreign CA'\) was not issued by this server's CA"
    }

    It 'accepts a certificate issued by one instance on a second instance sharing the database, and refuses it there at once once revoked' {
        if ($Engine -ne 'MariaDB') { Set-ItResult -Skipped -Because 'several instances share a MySQL/MariaDB database; SQLite is one server''s own file'; return }
        $script:second = Start-CertificateServer -Engine $Engine -Root "$TestDrive/$Engine/two" -Like $server
        $null = New-ProvStationCertificate -Name 'line 2' -Path "$TestDrive/$Engine/line2.pfx" -Password $password -Server $admin
        $onSecond = Connect-ProvServer -Uri $second.Uri -Certificate "$TestDrive/$Engine/line2.pfx" -CertificatePassword $password `
            -CaCertificatePath (Join-Path $server.DataPath 'tls/ca.crt') -PassThru
        $onSecond.TokenName | Should -Be 'line 2'
        (Invoke-CertificateStation $onSecond 0x2101 -Batch 4200).Results.ExitCode | Should -Be 0

        # Revoked through the first instance: the second refuses it on its very next request.
        Revoke-ProvStationCertificate -Name 'line 2' -Server $admin
        $run = Invoke-CertificateStation $onSecond 0x2102 -Batch 4200
        [int]$run.Results[0].ExitCode | Should -Be 101
        $run.Results[0].Message | Should -Match "The client certificate 'line 2' \(ID \d+\) was revoked on"
    }

    It 'revokes certificates from the pipeline, and refuses a token piped in instead of revoking a certificate by its ID' {
        $certificate = New-ProvStationCertificate -Name 'pipe' -Path "$TestDrive/$Engine/pipe.pfx" -Password $password -Server $admin
        $token = New-ProvStationToken -Name 'pipe token' -Server $admin
        { $token | Revoke-ProvStationCertificate -Server $admin -ErrorAction Stop } | Should -Throw '*cannot be bound*'
        (Get-ProvStationCertificate 'pipe' -Server $admin).Status | Should -Be 'Valid'
        $certificate | Revoke-ProvStationCertificate -WhatIf -Server $admin
        (Get-ProvStationCertificate 'pipe' -Server $admin).Status | Should -Be 'Valid'
        ($certificate | Revoke-ProvStationCertificate -PassThru -Server $admin).Status | Should -Be 'Revoked'
    }

    It 'refuses a station token on station endpoints, since the server requires certificates' {
        $token = New-ProvStationToken -Name 'token station' -Server $admin
        $e = Get-ErrorText { Connect-ProvServer -Uri $server.Uri -Token $token.Token -CaCertificatePath (Join-Path $server.DataPath 'tls/ca.crt') }
        $e | Should -Match 'requires station certificates'
        $e | Should -Match 'Connect-ProvServer -Certificate'
        # What a script calling the API with that token meets: 403 CertificateRequired.
        $ca = [Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem((Get-Content (Join-Path $server.DataPath 'tls/ca.crt') -Raw))
        $trust = [Provisioning.Core.Client.ServerTrust]::Create([Security.Cryptography.X509Certificates.X509Certificate2[]]@($ca), $null, $null)
        $client = [Provisioning.Core.Client.ProvServerClient]::new($server.Uri, (ConvertFrom-SecureString $token.Token -AsPlainText), $trust)
        try { $null = $client.GetConfigAsync(69).GetAwaiter().GetResult(); throw 'the station token was accepted' }
        catch [Provisioning.Core.Client.ProvServerException] {
            $_.Exception.Status | Should -Be 403
            $_.Exception.ErrorId | Should -Be 'CertificateRequired'
        }
        finally { $client.Dispose() }
    }
}
