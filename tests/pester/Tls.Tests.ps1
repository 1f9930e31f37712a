# HTTPS as an operator sets it up: Start-ProvServer -Tls with the server's own CA and with an operator certificate made
# by openssl (PFX and PEM), Connect-ProvServer trusting by CA file or pinned fingerprint, and the cmdlets over HTTPS.
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    . "$PSScriptRoot/NodeSimulatorHelpers.ps1"
    function script:Get-Sha256Fingerprint([string] $CertificateFile) {
        $certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem((Get-Content $CertificateFile -Raw))
        try { [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($certificate.RawData)) } finally { $certificate.Dispose() }
    }
    function script:Invoke-OpenSsl {
        $output = & openssl @args 2>&1
        if ($LASTEXITCODE -ne 0) { throw "openssl $($args[0]) failed: $output" }
        $output
    }
}

Describe 'Start-ProvServer -Tls with the server''s own CA' {
    BeforeAll {
        $script:port = Get-FreeTcpPort
        $script:info = $null
        $script:server = Start-ProvServer -Tls -Port $port -DataPath "$TestDrive/own/data" -InformationVariable info
        $script:caFingerprint = Get-Sha256Fingerprint $server.CaCertificatePath
        $script:pkg = New-TestServerPackage -Root "$TestDrive/own/pkg"
    }
    AfterAll { Stop-TestServer $server }

    It 'serves HTTPS, connects the session trusting its CA and shows the fingerprints to check' {
        $server.Uri.AbsoluteUri | Should -Be "https://127.0.0.1:$port/"
        $server.Tls | Should -BeTrue
        $server.CaCertificatePath | Should -Be (Join-Path $server.DataPath 'tls/ca.crt')
        Join-Path $server.DataPath 'tls/ca.key.sealed' | Should -Exist
        (Get-Content (Join-Path $server.DataPath 'tls/ca.key.sealed') -Raw) | Should -Not -Match 'PRIVATE KEY'
        $server.ServerCertificate.CaFingerprint | Should -Be $caFingerprint
        $shown = "$info"
        $shown | Should -Match $caFingerprint
        $shown | Should -Match $server.ServerCertificate.Fingerprint
        # The operator of the server reads the same fingerprints in its log.
        Get-Content $server.LogPath -Raw | Should -Match $caFingerprint
        { Get-ProvPackage -ErrorAction Stop } | Should -Not -Throw
    }

    It 'imports, lists, provisions and exports over HTTPS' {
        $imported = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $imported.ConfigId | Should -Be 69
        (Get-ProvPackage).ConfigId | Should -Contain 69

        # A station connects on its own, by the CA fingerprint its operator was given.
        $token = New-ProvStationToken -Name 'line 1'
        $station = Connect-ProvServer "https://127.0.0.1:$port" -Token $token.Token -CertificateThumbprint $caFingerprint -PassThru -InformationAction Ignore
        $sims = 0x7101, 0x7102 | ForEach-Object { Start-ProvNodeSimulator -Listen tcp://127.0.0.1:0 -NodeType UNODE -NodeId $_ }
        try {
            $results = $sims | ForEach-Object { $_.Endpoint } | Invoke-NodeProvision -Batch 4100 -ConfigId 69 -Server $station
            $results.ExitCode | ForEach-Object { [int]$_ | Should -Be 0 }
        }
        finally { $sims | Stop-ProvNodeSimulator }

        $null = Connect-ProvServer "https://127.0.0.1:$port" -Token $server.AdminToken -CaCertificatePath $server.CaCertificatePath -InformationAction Ignore
        $export = Export-ProvKey -ConfigId 69 -Batch 4100 -Path "$TestDrive/own/keys.xml"
        $export.Count | Should -Be 2
        $export.Sha256 | Should -Be (Get-FileHash "$TestDrive/own/keys.xml" -Algorithm SHA256).Hash.ToLowerInvariant()
    }

    It 'connects with -CaCertificatePath' {
        # localhost is a name the session holds no trust for yet: only what is given counts.
        $c = Connect-ProvServer "https://localhost:$port" -Token $server.AdminToken -CaCertificatePath $server.CaCertificatePath -PassThru -InformationAction Ignore
        $c.Role | Should -Be 'admin'
        $c.ServerCertificate.CaFingerprint | Should -Be $caFingerprint
        { Get-ProvPackage -ErrorAction Stop } | Should -Not -Throw
        # An address given to -Server finds the token and the trust the session holds for it.
        { Get-ProvPackage -Server "https://localhost:$port" -ErrorAction Stop } | Should -Not -Throw
    }

    It 'connects with the right pin, as openssl prints the fingerprint' {
        $printed = Invoke-OpenSsl x509 -in $server.CaCertificatePath -noout -fingerprint -sha256
        $c = Connect-ProvServer "https://localhost:$port" -Token $server.AdminToken -CertificateThumbprint "$printed" -PassThru -InformationAction Ignore
        $c.Role | Should -Be 'admin'
    }

    It 'refuses a wrong pin, showing the fingerprint the server presented' {
        $text = Get-ErrorText { Connect-ProvServer "https://localhost:$port" -Token $server.AdminToken -CertificateThumbprint ('0' * 64) }
        $text | Should -Match 'matches no pinned fingerprint'
        $text | Should -Match $caFingerprint
        $text | Should -Match $server.ServerCertificate.Fingerprint
    }

    It 'refuses a server it was given no trust for, naming the fingerprint to check and what to pass' {
        # A new shell knows nothing of this server: the system store decides, and it does not know the server's CA.
        $token = ConvertFrom-SecureString $server.AdminToken -AsPlainText
        $out = Invoke-TestShell "Import-Module '$RepoRoot/Provisioning.psd1'; Connect-ProvServer 'https://localhost:$port' -Token (ConvertTo-SecureString '$token' -AsPlainText -Force)"
        $out | Should -Match 'does not trust'
        $out | Should -Match $caFingerprint
        $out | Should -Match '-CertificateThumbprint'
        $out | Should -Match '-CaCertificatePath'
    }

    It 'tells plain HTTP to the TLS port to use https' {
        $text = Get-ErrorText { Connect-ProvServer "http://127.0.0.1:$port" -Token $server.AdminToken }
        $text | Should -Match "speaks HTTPS: use https://127.0.0.1:$port"
    }

    It 'carries a client certificate given as a PFX path or an X509Certificate2, beside the token' {
        $cdir = "$TestDrive/own/client"
        New-Item -ItemType Directory $cdir -Force | Out-Null
        Invoke-OpenSsl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$cdir/client.key" -out "$cdir/client.crt" -days 2 -subj '/CN=line 7' -addext 'extendedKeyUsage=clientAuth' | Out-Null
        Invoke-OpenSsl pkcs12 -export -in "$cdir/client.crt" -inkey "$cdir/client.key" -out "$cdir/client.pfx" -passout 'pass:client pfx' | Out-Null

        $c = Connect-ProvServer "https://127.0.0.1:$port" -Token $server.AdminToken -Certificate "$cdir/client.pfx" -CertificatePassword (ConvertTo-TestSecret 'client pfx') -PassThru -InformationAction Ignore
        $c.ClientCertificate.Subject | Should -Be 'CN=line 7'
        $c.ClientCertificate.HasPrivateKey | Should -BeTrue
        # The token decides who the caller is; the certificate rides along on the same trust as before.
        $c.Role | Should -Be 'admin'
        ($c | Format-List | Out-String) | Should -Match 'CN=line 7'
        { Get-ProvPackage -ErrorAction Stop } | Should -Not -Throw

        $object = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile("$cdir/client.crt", "$cdir/client.key")
        (Connect-ProvServer "https://127.0.0.1:$port" -Token $server.AdminToken -Certificate $object -PassThru -InformationAction Ignore).ClientCertificate.Subject | Should -Be 'CN=line 7'

        Get-ErrorText { Connect-ProvServer "https://127.0.0.1:$port" -Token $server.AdminToken -Certificate "$cdir/client.crt" } | Should -Match 'No private key'
        Get-ErrorText { Connect-ProvServer "https://127.0.0.1:$port" -Token $server.AdminToken -Certificate "$cdir/client.pfx" -CertificatePassword (ConvertTo-TestSecret 'wrong') } | Should -Match 'password is wrong'
        $null = Connect-ProvServer "https://127.0.0.1:$port" -Token $server.AdminToken -InformationAction Ignore
    }

    It 'keeps its CA across a restart, so the pin stays valid, and Stop-ProvServer stops it' {
        $leaf = $server.ServerCertificate.Fingerprint
        $server | Stop-ProvServer
        Get-Process -Id $server.ProcessId -ErrorAction Ignore | Should -BeNullOrEmpty
        $script:server = Start-ProvServer -Tls -Port $port -DataPath "$TestDrive/own/data" -InformationAction Ignore
        $server.ServerCertificate.CaFingerprint | Should -Be $caFingerprint
        # The server certificate is issued anew at each start; the CA is what clients keep.
        $server.ServerCertificate.Fingerprint | Should -Not -Be $leaf
        (Connect-ProvServer "https://127.0.0.1:$port" -Token $server.AdminToken -CertificateThumbprint $caFingerprint -PassThru -InformationAction Ignore).Role | Should -Be 'admin'
        $server | Stop-ProvServer
        Get-Process -Id $server.ProcessId -ErrorAction Ignore | Should -BeNullOrEmpty
    }
}

Describe 'Start-ProvServer -Tls with an operator certificate' {
    BeforeAll {
        $dir = "$TestDrive/operator"
        New-Item -ItemType Directory $dir | Out-Null
        $script:ca = "$dir/ca.crt"
        $script:password = 'operator secret 42'
        Invoke-OpenSsl req -x509 -newkey rsa:3072 -nodes -keyout "$dir/ca.key" -out $ca -days 30 -subj '/CN=Factory Test CA' `
            -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' | Out-Null
        Invoke-OpenSsl req -new -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" -subj '/CN=localhost' | Out-Null
        Set-Content "$dir/server.ext" "subjectAltName=DNS:localhost,IP:127.0.0.1`nextendedKeyUsage=serverAuth"
        Invoke-OpenSsl x509 -req -in "$dir/server.csr" -CA $ca -CAkey "$dir/ca.key" -CAcreateserial -out "$dir/server.crt" -days 10 -extfile "$dir/server.ext" | Out-Null
        Invoke-OpenSsl pkcs12 -export -in "$dir/server.crt" -inkey "$dir/server.key" -certfile $ca -out "$dir/server.pfx" -passout "pass:$password" | Out-Null
        Invoke-OpenSsl pkcs8 -topk8 -in "$dir/server.key" -out "$dir/server.enc.key" -passout "pass:$password" | Out-Null
        Set-Content "$dir/server-chain.pem" ((Get-Content "$dir/server.crt" -Raw) + (Get-Content $ca -Raw))
        $script:dir = $dir
        $script:leafFingerprint = Get-Sha256Fingerprint "$dir/server.crt"
    }

    It 'serves a PFX given with its password, which stays off the server''s command line' {
        $port = Get-FreeTcpPort
        $server = Start-ProvServer -CertificatePath "$dir/server.pfx" -CertificatePassword (ConvertTo-TestSecret $password) -Port $port -DataPath "$TestDrive/pfx" -InformationAction Ignore
        try {
            $server.Uri.Scheme | Should -Be 'https'
            $server.ServerCertificate.Fingerprint | Should -Be $leafFingerprint
            $server.CaCertificatePath | Should -BeNullOrEmpty
            { Get-ProvPackage -ErrorAction Stop } | Should -Not -Throw
            $commandLine = (Get-Content "/proc/$($server.ProcessId)/cmdline" -Raw) -replace "`0", ' '
            $commandLine | Should -Match 'CertificatePath='
            $commandLine | Should -Not -Match ([regex]::Escape($password))
            Get-Content $server.LogPath -Raw | Should -Not -Match ([regex]::Escape($password))

            $c = Connect-ProvServer "https://localhost:$port" -Token $server.AdminToken -CaCertificatePath $ca -PassThru -InformationAction Ignore
            $c.ServerCertificate.Fingerprint | Should -Be $leafFingerprint
            $p = New-TestServerPackage -Root "$TestDrive/pfx-pkg"
            (Import-ProvPackage $p.Path -Passphrase $p.Passphrase).ConfigId | Should -Be 69
            (Get-ProvPackage).ConfigId | Should -Contain 69
        }
        finally { Stop-TestServer $server }
    }

    It 'serves a PEM certificate and chain with its encrypted key in another file' {
        $port = Get-FreeTcpPort
        $server = Start-ProvServer -CertificatePath "$dir/server-chain.pem" -CertificateKeyPath "$dir/server.enc.key" -CertificatePassword (ConvertTo-TestSecret $password) `
            -Port $port -DataPath "$TestDrive/pem" -InformationAction Ignore
        try {
            $server.ServerCertificate.Fingerprint | Should -Be $leafFingerprint
            (Connect-ProvServer "https://127.0.0.1:$port" -Token $server.AdminToken -CaCertificatePath $ca -PassThru -InformationAction Ignore).Role | Should -Be 'admin'
        }
        finally { Stop-TestServer $server }
    }

    It 'refuses a wrong password before any server starts, without echoing it' {
        $text = Get-ErrorText { Start-ProvServer -CertificatePath "$dir/server.pfx" -CertificatePassword (ConvertTo-TestSecret 'not it') -Port (Get-FreeTcpPort) -DataPath "$TestDrive/wrong" }
        $text | Should -Match 'password is wrong'
        $text | Should -Not -Match 'not it'
        "$TestDrive/wrong" | Should -Not -Exist
    }

    It 'refuses a PEM certificate without its key, saying where the key goes' {
        $text = Get-ErrorText { Start-ProvServer -CertificatePath "$dir/server.crt" -Port (Get-FreeTcpPort) -DataPath "$TestDrive/nokey" -TimeoutSec 20 }
        $text | Should -Match 'No private key'
        $text | Should -Match 'CertificateKeyPath'
    }
}

Describe 'Start-ProvServer TLS parameters' {
    It 'refuses TLS-only parameters without -Tls and names that are not names, before starting anything' {
        Get-ErrorText { Start-ProvServer -RequireClientCertificate -Port (Get-FreeTcpPort) -DataPath "$TestDrive/p1" } | Should -Match '-RequireClientCertificate is for an HTTPS server: add -Tls'
        Get-ErrorText { Start-ProvServer -HostName prov1 -Port (Get-FreeTcpPort) -DataPath "$TestDrive/p2" } | Should -Match '-HostName is for an HTTPS server'
        Get-ErrorText { Start-ProvServer -Tls -IpAddress prov1 -Port (Get-FreeTcpPort) -DataPath "$TestDrive/p3" } | Should -Match "'prov1' is not an IP address"
        Get-ErrorText { Start-ProvServer -Tls -HostName 'line 1' -Port (Get-FreeTcpPort) -DataPath "$TestDrive/p4" } | Should -Match "'line 1' is not a DNS host name"
        "$TestDrive/p1", "$TestDrive/p2", "$TestDrive/p3", "$TestDrive/p4" | Should -Not -Exist
    }
}
