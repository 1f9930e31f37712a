BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll { . "$PSScriptRoot/ServerTestHelpers.ps1" }

Describe 'Start-ProvServer on <Engine>' -ForEach $engines {
    BeforeAll { $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine" }
    AfterAll { Stop-TestServer $server }

    It 'returns a handle to the process it started and connects the session to it' {
        (Get-Process -Id $server.ProcessId).Id | Should -Be $server.ProcessId
        $server.Uri.AbsoluteUri | Should -Match '^http://127\.0\.0\.1:\d+/$'
        $server.DataPath | Should -Be (Join-Path "$TestDrive/$Engine" 'data')
        $server.LogPath | Should -Exist
        (Invoke-RestMethod "$($server.Uri)api/v1/health").processId | Should -Be $server.ProcessId
        # No -Server: Start-ProvServer made it the current server, with its admin token.
        Get-ProvPackage | Should -BeNullOrEmpty
        New-ProvStationToken -Name 'started' | Should -Not -BeNullOrEmpty
    }

    It 'holds the admin token from admin.token as a SecureString and never shows it' {
        $server.AdminToken | Should -BeOfType [securestring]
        $token = ConvertFrom-SecureString $server.AdminToken -AsPlainText
        $token | Should -Be (Get-Content (Join-Path $server.DataPath 'admin.token') -First 1).Trim()
        $shown = ($server | Format-List | Out-String) + ($server | Format-List * | Out-String) + ($server.Connection | Format-List | Out-String)
        $shown | Should -Not -Match ([regex]::Escape($token))
        $shown | Should -Match 'Admin Token'
    }

    It 'describes the database without a password' {
        # The handle names what an operator looks for: the SQLite file, or the MySQL server and database.
        if ($Engine -eq 'SQLite') {
            $server.Database | Should -Be "sqlite:$(Join-Path $server.DataPath 'provisioning.db')"
            ($server | Format-List | Out-String) | Should -Match ([regex]::Escape((Join-Path $server.DataPath 'provisioning.db')))
        }
        else {
            $server.Database | Should -Match '(?i)mysql'
            $password = Get-TestMariaDbPassword
            if ($password) { $server.Database | Should -Not -Match ([regex]::Escape($password)) }
        }
    }

    It 'keeps the database password off the server''s command line' -Skip:($Engine -ne 'MariaDB') {
        $commandLine = (Get-Content "/proc/$($server.ProcessId)/cmdline" -Raw) -replace "`0", ' '
        $commandLine | Should -Match 'Provisioning:Database=mysql:'
        $password = Get-TestMariaDbPassword
        if ($password) { $commandLine | Should -Not -Match ([regex]::Escape($password)) }
    }

    It 'refuses a port another server holds, with the server''s own reason, and leaves that server serving' {
        $text = Get-ErrorText { Start-ProvServer -Port $server.Uri.Port -DataPath "$TestDrive/$Engine-second" -TimeoutSec 20 }
        $text | Should -Match "$($server.Uri.Port)"
        $text | Should -Match '(?i)in use|another'
        (Invoke-RestMethod "$($server.Uri)api/v1/health").processId | Should -Be $server.ProcessId
        # The failed start did not take the session's connection away.
        { Get-ProvPackage -ErrorAction Stop } | Should -Not -Throw
    }
}

Describe 'Start-ProvServer' {
    It 'says in one sentence which database forms it takes when the spec is wrong, and starts nothing' {
        foreach ($spec in 'oracle:orw_prov', 'bogus') {
            $e = $null
            try { Start-ProvServer -Port (Get-FreeTcpPort) -DataPath "$TestDrive/bad-spec" -Database $spec } catch { $e = $_ }
            $e.FullyQualifiedErrorId | Should -Match '^InvalidDatabaseSpec'
            "$e" | Should -Be "The database '$spec' is not understood: -Database takes sqlite (the default, a file in the data folder), sqlite:<file>, mysql:Server=<host>;Database=<name>;User ID=<user> or sqlserver:Server=<host>;Database=<name>."
        }
        "$TestDrive/bad-spec" | Should -Not -Exist
    }

    It 'makes the data folder and everything in it readable by this account only' -Skip:($IsWindows) {
        $server = Start-ProvServer -Port (Get-FreeTcpPort) -DataPath "$TestDrive/private/data"
        try {
            $pkg = New-TestServerPackage -Root "$TestDrive/private-pkg"
            $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
            $entries = @(Get-Item "$TestDrive/private/data") + @(Get-ChildItem "$TestDrive/private/data" -Recurse -Force)
            $entries.Name | Should -Contain 'provisioning.db-wal'
            $entries.Name | Should -Contain 'server.log'
            $open = $entries | Where-Object { ([int]$_.UnixFileMode -band 0x3F) -ne 0 } | ForEach-Object { "$($_.FullName) $($_.UnixMode)" }
            $open | Should -BeNullOrEmpty
        }
        finally { $server | Stop-ProvServer }
    }

    It 'refuses a credential for a SQLite database' {
        $credential = [pscredential]::new('prov', (ConvertTo-TestSecret 'pw'))
        Get-ErrorText { Start-ProvServer -Port (Get-FreeTcpPort) -DataPath "$TestDrive/cred" -DatabaseCredential $credential } |
            Should -Match 'MySQL'
    }

    It 'says which SQL Server it cannot reach, keeps the password out of the message and writes no admin token' {
        $closed = Get-FreeTcpPort
        $credential = [pscredential]::new('prov', (ConvertTo-TestSecret 'sql-pw-never-shown'))
        $spec = "sqlserver:Server=tcp:127.0.0.1,$closed;Database=orw_prov;Connect Timeout=5;Encrypt=False"
        $text = Get-ErrorText { Start-ProvServer -Port (Get-FreeTcpPort) -DataPath "$TestDrive/sql-down" -Database $spec -DatabaseCredential $credential }
        $text | Should -Match ([regex]::Escape("tcp:127.0.0.1,$closed"))
        $text | Should -Match 'cannot be reached'
        $text | Should -Not -Match 'sql-pw-never-shown'
        Join-Path "$TestDrive/sql-down" 'admin.token' | Should -Not -Exist
    }

    It 'starts again on the same data folder with the same admin token and the same tokens' {
        $first = Start-TestServer -Engine SQLite -Root "$TestDrive/restart"
        $made = New-ProvStationToken -Name 'survives'
        Stop-TestServer $first
        $second = Start-ProvServer -Port (Get-FreeTcpPort) -DataPath $first.DataPath
        try {
            $second.ProcessId | Should -Not -Be $first.ProcessId
            (ConvertFrom-SecureString $second.AdminToken -AsPlainText) | Should -Be (ConvertFrom-SecureString $first.AdminToken -AsPlainText)
            (Get-ProvStationToken).Id | Should -Contain $made.Id
        }
        finally { Stop-TestServer $second }
    }

    It 'warns that the admin token is unknown when admin.token is gone, and still starts' {
        $first = Start-TestServer -Engine SQLite -Root "$TestDrive/no-token-file"
        Stop-TestServer $first
        Remove-Item (Join-Path $first.DataPath 'admin.token')
        $warnings = $null
        $second = Start-ProvServer -Port (Get-FreeTcpPort) -DataPath $first.DataPath -WarningVariable warnings -WarningAction SilentlyContinue
        try {
            $second.AdminToken | Should -BeNullOrEmpty
            ($warnings | Out-String) | Should -Match 'Connect-ProvServer'
        }
        finally {
            $second | Stop-ProvServer -ErrorAction SilentlyContinue
            # Without a token the stop request is refused; end the process this test started.
            Stop-Process -Id $second.ProcessId -ErrorAction Ignore
        }
    }

    It '-WhatIf starts nothing' {
        $port = Get-FreeTcpPort
        Start-ProvServer -Port $port -DataPath "$TestDrive/whatif" -WhatIf | Should -BeNullOrEmpty
        "$TestDrive/whatif" | Should -Not -Exist
    }

    It '-Wait runs the server in the foreground and stops it on Ctrl+C' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$RepoRoot/Provisioning.psd1'; Start-ProvServer -Port $(Get-FreeTcpPort) -DataPath '$TestDrive/wait' -Wait")
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $null = Register-ObjectEvent -InputObject $output -EventName DataAdded -SourceIdentifier 'prov-wait-handle'
            $null = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
            Wait-Event -SourceIdentifier 'prov-wait-handle' -Timeout 60 | Should -Not -BeNullOrEmpty
            $handle = $output[0]
            $process = Get-Process -Id $handle.ProcessId
            (Invoke-RestMethod "$($handle.Uri)api/v1/health").processId | Should -Be $handle.ProcessId
            # Stop() is what Ctrl+C does to the running command.
            $ps.Stop()
            $process.WaitForExit(30000) | Should -BeTrue
        }
        finally {
            Unregister-Event -SourceIdentifier 'prov-wait-handle' -ErrorAction Ignore
            Remove-Event -SourceIdentifier 'prov-wait-handle' -ErrorAction Ignore
            $ps.Dispose()
        }
    }
}

if (Get-MariaDbSkipReason) {
    Describe 'Server suites on MariaDB' {
        It 'run only when PROV_TEST_MYSQL is set' { Set-ItResult -Skipped -Because (Get-MariaDbSkipReason) }
    }
}
