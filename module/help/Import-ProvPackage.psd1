@{
    Synopsis    = 'Imports configuration packages into the provisioning server; -WhatIf shows the uploaded package information without importing.'
    Description = @'
Uploads each package with the gateway key file passphrase (streamed from disk, with progress). The server verifies everything Test-ProvPackage checks and imports the package atomically: files, metadata, config aliases and the gateway keys (re-encrypted under the server's key) - or nothing. A newer package for a configuration ID that is already there replaces it; the old one stays in history (Get-ProvPackage -History), and the result's ReplacedRevision says which revision that was.

With -WhatIf (or -Confirm) the server checks the package without importing it and the cmdlet shows the guide's "Uploaded Package Information": Prov. Config ID, config aliases, App. Label, Node Type, Node Version, and each App. Name and App. Version.

Each package stands alone: one that the server refuses gives a non-terminating error naming the file and listing every problem (wrong passphrase, hash mismatches, bad signature), and the next package is still imported. A config alias that already belongs to another configuration, or a concurrent import of the same configuration, is a conflict that changes nothing. The passphrase goes to the server only over HTTPS or to this machine, unless the server allows otherwise.
'@
    Parameters  = @{
        Path       = 'The packages (.tar.gz) to import; several, or from the pipeline. Wildcards are expanded as in Get-ChildItem (./incoming/*.tar.gz); a pattern that matches nothing is an error.'
        LiteralPath = 'The packages to import, taken exactly as typed: no wildcards, so names holding [ ] * or ? need it. Files from Get-ChildItem bind here by their PSPath.'
        Passphrase = 'The gateway key file passphrase the package was built with.'
        Comment    = 'A comment shown in the overview (the guide''s Comment column).'
        Server     = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Inputs      = @{ 'System.String' = 'Package paths, by value or from a Path property; files from Get-ChildItem (by PSPath, to -LiteralPath).' }
    Outputs     = @{ 'Provisioning.Core.Api.PackageSummary' = 'The imported package as the overview shows it, with Path and ReplacedRevision added.' }
    Examples    = @(
        @{
            Code    = '$pass = Read-Host -AsSecureString "Gateway key file passphrase"
Import-ProvPackage ./meter_69.tar.gz -Passphrase $pass -WhatIf'
            Remarks = 'Shows the uploaded package information (config ID, label, node type and version, apps) that the server read, without importing.'
        }
        @{
            Code    = 'Import-ProvPackage ./meter_69.tar.gz -Passphrase $pass -Comment "Import Demo."'
            Remarks = 'Imports the package; the result says which revision it is and which it replaced.'
        }
        @{
            Code    = 'Get-ChildItem ./incoming/*.tar.gz | Import-ProvPackage -Passphrase $pass -ErrorVariable failed
$failed | ForEach-Object { $_.TargetObject }'
            Remarks = 'Imports every package in a folder and lists the ones the server refused.'
        }
        @{
            Code    = 'Import-ProvPackage ./incoming/meter_*.tar.gz -Passphrase $pass
Import-ProvPackage -LiteralPath "./incoming/meter[rev-b].tar.gz" -Passphrase $pass'
            Remarks = '-Path expands wildcards; -LiteralPath takes a name that holds [ ] as it is.'
        }
    )
    Links       = @('Test-ProvPackage', 'Get-ProvPackage', 'about_Provisioning')
}
