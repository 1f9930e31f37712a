# Accounts as an admin manages them from PowerShell, and as the person they are for signs in with them on the web pages.
BeforeDiscovery {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    $script:engines = Get-TestEngine
}
BeforeAll {
    . "$PSScriptRoot/ServerTestHelpers.ps1"
    . "$PSScriptRoot/AccountTestHelpers.ps1"
}

Describe 'User accounts on <Engine>' -ForEach $engines {
    BeforeAll {
        # Start-ProvServer connects with the admin token the server made on first start: the only way to the first account.
        $script:server = Start-TestServer -Engine $Engine -Root "$TestDrive/$Engine"
        $script:good = ConvertTo-TestSecret 'lantern quartz meadow 7'
    }
    AfterAll { Stop-TestServer $server }
    AfterEach { Connect-ProvServer $server.Uri -Token $server.AdminToken }

    It 'has no account until the admin token makes one' {
        Get-ProvUser | Should -BeNullOrEmpty
        (Invoke-TestWebSignIn $server -Name admin -Password (ConvertTo-TestSecret 'onramp')).Status | Should -Be 401
    }

    It 'New-ProvUser without -Password generates a strong one, returned once, that signs in' {
        $user = New-ProvUser -Name Alice -Role Exporter
        $user.Name | Should -Be 'alice'
        $user.Role | Should -Be 'exporter'
        $user.Password | Should -BeOfType [securestring]
        $plain = ConvertFrom-SecureString $user.Password -AsPlainText
        $plain | Should -Match '^[a-z2-9]{5}(-[a-z2-9]{5}){3}$'
        ($user | Format-Table | Out-String -Width 200) | Should -Not -Match ([regex]::Escape($plain))
        ($user | Format-Table | Out-String -Width 200) | Should -Match 'hand it over now'
        (Get-ProvUser alice).Password | Should -BeNullOrEmpty

        $signIn = Invoke-TestWebSignIn $server -Name alice -Password $user.Password
        $signIn.Status | Should -Be 302
        (Get-ProvUser alice).LastLogin | Should -Not -BeNullOrEmpty
    }

    It 'New-ProvUser -Password takes the given one and refuses a weak one, a taken name or a bad one, saying why' {
        $bob = New-ProvUser -Name bob -Role Admin -Password $good
        $bob.Password | Should -BeNullOrEmpty
        (Invoke-TestWebSignIn $server -Name BOB -Password $good).Status | Should -Be 302

        Get-ErrorText { New-ProvUser -Name carol -Role Admin -Password (ConvertTo-TestSecret 'short') } | Should -Match 'at least 12 characters'
        Get-ErrorText { New-ProvUser -Name bob -Role Exporter -Password $good } | Should -Match "named 'bob' exists already"
        Get-ErrorText { New-ProvUser -Name 'bob smith' -Role Exporter -Password $good } | Should -Match 'letters, digits'
        { New-ProvUser -Name dave -Role Station } | Should -Throw '*does not belong to the set*'
        Get-ProvUser carol, dave -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'takes Name and Role by property name from the pipeline, as Import-Csv gives them' {
        @'
Name,Role
op.erin,Exporter
op.frank,Exporter
'@ | Set-Content "$TestDrive/users-$Engine.csv"
        $made = Import-Csv "$TestDrive/users-$Engine.csv" | New-ProvUser
        $made.Name | Should -Be @('op.erin', 'op.frank')
        $made | ForEach-Object { $_.Password | Should -BeOfType [securestring] }
        (Get-ProvUser 'op.*').Name | Should -Be @('op.erin', 'op.frank')
    }

    It 'Get-ProvUser reports an unknown name and is quiet for a pattern that matches nothing' {
        Get-ErrorText { Get-ProvUser nobody } | Should -Match "no user 'nobody'"
        Get-ProvUser 'zz*' | Should -BeNullOrEmpty
    }

    It 'Set-ProvUser resets a password, disables, enables and changes the role; -WhatIf changes nothing' {
        $null = New-ProvUser -Name grace -Role Exporter -Password $good
        $new = ConvertTo-TestSecret 'another long passphrase'
        Set-ProvUser grace -Password $new -WhatIf
        (Invoke-TestWebSignIn $server -Name grace -Password $good).Status | Should -Be 302
        Set-ProvUser grace -Password $new
        (Invoke-TestWebSignIn $server -Name grace -Password $good).Status | Should -Be 401
        (Invoke-TestWebSignIn $server -Name grace -Password $new).Status | Should -Be 302

        Get-ProvUser grace | Set-ProvUser -Disabled
        (Get-ProvUser grace).Disabled | Should -BeTrue
        $refused = Invoke-TestWebSignIn $server -Name grace -Password $new
        $refused.Status | Should -Be 401
        $refused.Text | Should -Match 'The user name or password is wrong, or the account is disabled\.'

        $changed = Set-ProvUser grace -Enabled -Role Admin -PassThru
        ($changed.Disabled, $changed.Role) | Should -Be @($false, 'admin')
        Get-ErrorText { Set-ProvUser grace } | Should -Match 'Say what to change'
        { Set-ProvUser grace -Disabled -Enabled } | Should -Throw
    }

    It 'locks an account after repeated failures with the same message for everyone, and a password reset lifts it' {
        $null = New-ProvUser -Name heidi -Role Exporter -Password $good
        1..5 | ForEach-Object { (Invoke-TestWebSignIn $server -Name heidi -Password (ConvertTo-TestSecret "wrong guess $_")).Status | Should -Be 401 }
        $locked = Invoke-TestWebSignIn $server -Name heidi -Password $good
        $locked.Status | Should -Be 401
        $locked.Text | Should -Match 'Too many failed sign-ins'
        (Get-ProvUser heidi).Locked | Should -BeTrue
        ((Get-ProvUser heidi | Format-Table | Out-String -Width 200)) | Should -Match 'locked'

        Set-ProvUser heidi -Password $good
        (Invoke-TestWebSignIn $server -Name heidi -Password $good).Status | Should -Be 302
    }

    It 'ends the web sessions of an account that is disabled, removed or given another role' {
        $overview = "$($server.Uri.AbsoluteUri.TrimEnd('/'))/provisioning"
        function Get-OverviewStatus($SignIn) {
            [int](Invoke-WebRequest $overview -WebSession $SignIn.Session -MaximumRedirection 0 -SkipHttpErrorCheck -ErrorAction SilentlyContinue).StatusCode
        }
        $sessions = foreach ($name in 'kate', 'liam', 'mona') {
            $null = New-ProvUser -Name $name -Role Exporter -Password $good
            Invoke-TestWebSignIn $server -Name $name -Password $good
        }
        $sessions | ForEach-Object { Get-OverviewStatus $_ | Should -Be 200 }

        Set-ProvUser kate -Disabled
        Remove-ProvUser liam -Confirm:$false
        Set-ProvUser mona -Role Admin
        $sessions | ForEach-Object { Get-OverviewStatus $_ | Should -Be 302 }

        # Enabling the account again does not bring the old session back: the person signs in again.
        Set-ProvUser kate -Enabled
        Get-OverviewStatus $sessions[0] | Should -Be 302
        Get-OverviewStatus (Invoke-TestWebSignIn $server -Name kate -Password $good) | Should -Be 200
    }

    It 'Remove-ProvUser removes from the pipeline; -WhatIf does not' {
        $null = New-ProvUser -Name ivan -Role Exporter -Password $good
        Get-ProvUser ivan | Remove-ProvUser -WhatIf
        Get-ProvUser ivan | Should -Not -BeNullOrEmpty
        Get-ProvUser ivan | Remove-ProvUser -Confirm:$false
        Get-ProvUser ivan -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Invoke-TestWebSignIn $server -Name ivan -Password $good).Status | Should -Be 401
        Get-ErrorText { Remove-ProvUser ivan -Confirm:$false } | Should -Match "no user 'ivan'"
    }

    It 'only admins manage accounts' {
        $exporter = New-ProvStationToken -Name 'kms job' -Role Exporter
        $asExporter = Connect-ProvServer $server.Uri -Token $exporter.Token -PassThru
        $asExporter.Role | Should -Be 'exporter'
        Get-ErrorText { Get-ProvUser -Server $asExporter } | Should -Match 'needs an admin token'
        Get-ErrorText { New-ProvUser -Name mallory -Role Admin -Password $good -Server $asExporter } | Should -Match 'needs an admin token'
    }

    It 'never shows or logs a password or its hash' {
        $listed = Get-ProvUser | ConvertTo-Json -Depth 3
        $listed | Should -Not -Match 'AQAAAA'
        $listed | Should -Not -Match 'lantern quartz'
        $log = Get-Content (Join-Path $server.DataPath 'logs/server.log') -Raw
        $log | Should -Not -Match 'lantern quartz'
        $log | Should -Not -Match 'another long passphrase'
        $log | Should -Not -Match 'AQAAAA'
    }
}
