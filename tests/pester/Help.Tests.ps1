BeforeDiscovery {
    Import-Module "$PSScriptRoot/../../Provisioning.psd1" -Force
    $script:commands = Get-Command -Module Provisioning | ForEach-Object { @{ Name = $_.Name } }
    # Every verb but Test, Get and Read changes state somewhere.
    $script:changing = Get-Command -Module Provisioning | Where-Object Verb -notin 'Test', 'Get', 'Read' | ForEach-Object { @{ Name = $_.Name } }
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
