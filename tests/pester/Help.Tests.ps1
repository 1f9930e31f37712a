BeforeDiscovery {
    Import-Module "$PSScriptRoot/../../Provisioning.psd1" -Force
    $script:commands = Get-Command -Module Provisioning | ForEach-Object { @{ Name = $_.Name } }
    # Every verb but Test, Get and Read changes state somewhere; Protect-ProvAppKey only computes (like Protect-CmsMessage).
    $script:changing = Get-Command -Module Provisioning | Where-Object Verb -notin 'Test', 'Get', 'Read' | Where-Object Name -ne 'Protect-ProvAppKey' |
        ForEach-Object { @{ Name = $_.Name } }
}
BeforeAll { . "$PSScriptRoot/TestHelpers.ps1" }

Describe 'Help for <Name>' -ForEach $commands {
    It 'has a synopsis, a description and at least one example' {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name"
        ($help.description | Out-String).Trim() | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterThan 0
    }

    It 'documents every parameter' {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        $help = Get-Help $Name -Full
        foreach ($p in (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $doc = $help.parameters.parameter | Where-Object name -eq $p
            ($doc.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$p needs a description"
        }
    }
}

Describe 'Get-Help syntax of <Name>' -ForEach $commands {
    It 'shows -WhatIf and -Confirm where the cmdlet takes them, and type names as a user types them' {
        $syntax = Get-Help $Name | Select-Object -ExpandProperty syntax | Out-String -Width 1000
        if ((Get-Command $Name).Parameters.ContainsKey('WhatIf')) {
            foreach ($line in $syntax -split "`n" | Where-Object { $_ -match "^\s*$Name\b" }) {
                $line | Should -Match '\[-WhatIf\] \[-Confirm\] \[<CommonParameters>\]' -Because "every syntax line of $Name takes them"
            }
        }
        $syntax | Should -Not -Match '`\d' -Because 'a generic type''s arity is not a type name'
        $syntax | Should -Not -Match 'Nullable'
    }
}

Describe 'Get-Help of cmdlets that read files' {
    It '<Name> -Path takes wildcards and -LiteralPath does not' -ForEach @(@{ Name = 'Import-ProvPackage' }, @{ Name = 'Test-ProvPackage' }, @{ Name = 'Read-ProvKeyFile' }) {
        $help = Get-Help $Name -Full
        ($help.parameters.parameter | Where-Object name -eq 'Path').globbing | Should -Be 'true'
        ($help.parameters.parameter | Where-Object name -eq 'LiteralPath').globbing | Should -Be 'false'
        ($help.parameters.parameter | Where-Object name -eq 'LiteralPath').aliases | Should -Match 'PSPath'
    }

    It 'Export-ProvKey shows -From as a DateTime' {
        (Get-Help Export-ProvKey | Select-Object -ExpandProperty syntax | Out-String -Width 1000) | Should -Match '\[-From <DateTime>\]'
    }
}

Describe '<Name> changes state' -ForEach $changing {
    It 'supports -WhatIf and -Confirm' {
        (Get-Command $Name).Parameters.ContainsKey('WhatIf') | Should -BeTrue
        (Get-Command $Name).Parameters.ContainsKey('Confirm') | Should -BeTrue
    }
}

Describe 'about_Provisioning' {
    It 'is found by Get-Help' {
        (Get-Help about_Provisioning | Out-String) | Should -Match 'New-ProvPackage'
    }
}
