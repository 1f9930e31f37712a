# The audit log as an admin reads it: one entry for each action the issue names, each saying who, from where, what.
BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    . "$PSScriptRoot/AccountTestHelpers.ps1"
    $script:pkg = New-TestServerPackage -Root "$TestDrive/pkg"
}

Describe 'Get-ProvAuditLog on <Engine>' -ForEach $engines {
    BeforeAll {
        $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine"
        $script:started = [datetime]::Now.AddSeconds(-1)
        $script:admin = 'admin (created on first start)'
        $password = ConvertTo-TestSecret 'saffron kettle harbour'

        # One of each audited action, as people and scripts do them.
        $null = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase -WhatIf -InformationAction Ignore
        $script:imported = Import-ProvPackage $pkg.Path -Passphrase $pkg.Passphrase
        $null = Import-ProvPackage $pkg.Path -Passphrase (ConvertTo-TestSecret 'not the passphrase') -ErrorAction SilentlyContinue
        $script:exporter = New-ProvStationToken -Name 'kms job' -Role Exporter
        $asExporter = Connect-ProvServer $server.Uri -Token $exporter.Token -PassThru
        Connect-ProvServer $server.Uri -Token $server.AdminToken   # the admin stays the session's server; the exporter is passed by -Server
        $script:export = Export-ProvKey -ConfigId 69 -Path "$TestDrive/$Engine-keys.xml" -Server $asExporter -WarningAction SilentlyContinue
        $gatewayKeys = "$($server.Uri.AbsoluteUri.TrimEnd('/'))/api/v1/configs/69/gateway-keys"
        $script:refusedStatus = (Invoke-WebRequest $gatewayKeys -Headers @{ Authorization = "Bearer $(ConvertFrom-SecureString $exporter.Token -AsPlainText)" } -SkipHttpErrorCheck).StatusCode
        Get-ProvStationToken 'kms job' -Role Exporter | Revoke-ProvStationToken
        $null = New-ProvUser -Name judy -Role Exporter -Password $password
        Set-ProvUser judy -Disabled
        Set-ProvUser judy -Enabled
        $script:signedIn = (Invoke-TestWebSignIn $server -Name judy -Password $password).Status
        $script:failed = (Invoke-TestWebSignIn $server -Name judy -Password (ConvertTo-TestSecret 'saffron kettle harbor')).Status
        Remove-ProvUser judy -Confirm:$false
        $script:log = @(Get-ProvAuditLog)
    }
    AfterAll { Stop-TestServer $server }

    It 'records each action, newest first' {
        ($refusedStatus, $signedIn, $failed) | Should -Be @(403, 302, 401)
        $log[0].At | Should -BeGreaterOrEqual $log[-1].At
        $actions = $log.Action
        [array]::Reverse($actions)
        $actions | Should -Be @('package.dryrun', 'package.import', 'package.import', 'token.create', 'export', 'keys.refused', 'token.revoke',
            'user.create', 'user.update', 'user.update', 'login', 'login.failed', 'user.remove')
        $log | ForEach-Object { $_.Address | Should -Be '127.0.0.1' }
    }

    It 'names the config, revision and package SHA-256 of an import and a dry run, and why an upload was refused' {
        $dryRun, $ok = $log | Where-Object Action -like 'package.*' | Where-Object Succeeded | Sort-Object Id
        foreach ($entry in $dryRun, $ok) {
            $entry.Target | Should -Be 'config 69'
            $entry.ActorName | Should -Be $admin
            ($entry.Detail | ConvertFrom-Json).sha256 | Should -Be $imported.PackageSha256
            ($entry.Detail | ConvertFrom-Json).revision | Should -Be 1
        }
        $refused = $log | Where-Object { $_.Action -eq 'package.import' -and -not $_.Succeeded }
        $refused.Target | Should -Be (Split-Path $pkg.Path -Leaf)
        $refused.Detail | Should -Match 'WrongPassphrase'
    }

    It 'keeps the receipt of an export, under the name of the token that made it' {
        $entry = $log | Where-Object Action -eq 'export'
        $entry.ActorName | Should -Be 'kms job'
        $entry.ActorKind | Should -Be 'token'
        $receipt = $entry.Detail | ConvertFrom-Json
        $receipt.exportId | Should -Be $export.ExportId
        $receipt.count | Should -Be $export.Count
        $receipt.sha256 | Should -Be $export.Sha256
        $receipt.unresolved | Should -Be 0
    }

    It 'records tokens made and revoked, and the key request an exporter may not make' {
        ($log | Where-Object Action -eq 'token.create').Target | Should -Be "token $($exporter.Id)"
        ($log | Where-Object Action -eq 'token.revoke').Target | Should -Be "token $($exporter.Id)"
        $refused = $log | Where-Object Action -eq 'keys.refused'
        ($refused.ActorName, $refused.Target, $refused.Succeeded) | Should -Be @('kms job', '/api/v1/configs/69/gateway-keys', $false)
    }

    It 'records account changes by the admin, and sign-ins with the name tried, never a password' {
        $changes = $log | Where-Object Action -like 'user.*' | Sort-Object Id
        $changes.Target | Select-Object -Unique | Should -Be 'judy'
        $changes.ActorName | Select-Object -Unique | Should -Be $admin
        $changes.Detail | Should -Contain 'disabled'
        $changes.Detail | Should -Contain 'enabled'
        $login = $log | Where-Object Action -eq 'login'
        ($login.ActorKind, $login.ActorName, $login.Succeeded) | Should -Be @('user', 'judy', $true)
        $failure = $log | Where-Object Action -eq 'login.failed'
        ($failure.ActorKind, $failure.ActorName, $failure.Detail, $failure.Succeeded) | Should -Be @($null, 'judy', 'wrong password', $false)
        ($log | ConvertTo-Json) | Should -Not -Match 'saffron'
        ($log | ConvertTo-Json) | Should -Not -Match 'correct horse'
    }

    It 'filters by action (with a trailing *), user, time and count' {
        (Get-ProvAuditLog -Action login*).Action | Should -Be @('login.failed', 'login')
        (Get-ProvAuditLog login.failed).ActorName | Should -Be 'judy'
        (Get-ProvAuditLog -User JUDY).Action | Should -Be @('login.failed', 'login')
        (Get-ProvAuditLog -User 'kms job').Action | Should -Be @('keys.refused', 'export')
        @(Get-ProvAuditLog -First 3).Id | Should -Be @($log[0..2].Id)
        @(Get-ProvAuditLog -From $started).Count | Should -Be $log.Count
        Get-ProvAuditLog -To $started.AddMinutes(-5) | Should -BeNullOrEmpty
        Get-ProvAuditLog -From ([datetime]::Now.AddMinutes(5)) | Should -BeNullOrEmpty
        Get-ErrorText { Get-ProvAuditLog -From ([datetime]::Now) -To ([datetime]::Now.AddDays(-1)) } | Should -Match 'nothing could match'
    }

    It 'shows a table that fits 80 columns and the detail in a list' {
        $table = $log | Format-Table | Out-String -Width 80
        $table | Should -Match 'At\s+Action\s+OK\s+Who\s+From\s+Target'
        $table | Should -Match 'login\.failed\s+no\s+judy'
        ($log | Where-Object Action -eq 'export' | Format-List | Out-String) | Should -Match 'sha256'
    }

    It 'is for admins only' {
        $station = New-ProvStationToken -Name 'audit reader'
        Get-ErrorText { Get-ProvAuditLog -Server (Connect-ProvServer $server.Uri -Token $station.Token -PassThru) } | Should -Match 'needs an admin token'
        Connect-ProvServer $server.Uri -Token $server.AdminToken
    }
}

Describe 'Stopping the server is audited' {
    It 'records server.stop, read after a restart on the same data' {
        $server = Start-TestServer -Engine SQLite -Root "$TestDrive/stop"
        $server | Stop-ProvServer
        $again = Start-ProvServer -Port (Get-FreeTcpPort) -DataPath $server.DataPath
        try {
            $stop = Get-ProvAuditLog -Action server.stop
            ($stop.ActorName, $stop.Succeeded) | Should -Be @('admin (created on first start)', $true)
        }
        finally { $again | Stop-ProvServer }
    }
}
