@{
    Synopsis    = 'Verifies a configuration package: structure, hashes, gateway key signature and (optionally) the passphrase.'
    Description = @'
Reads the package in one streaming pass and checks everything the provisioning server checks at import:

- the archive is safe: no entry escapes the package root (.., absolute paths, links), no duplicate or undeclared entries, no entry larger than declared, and manifest.xml has no DTD or external entities;
- every declared file is present and its MD5 and SHA-256 match the manifest;
- the gateway key file's signature verifies with the package's KMS public key;
- with -Passphrase, the passphrase opens the gateway key file. The keys themselves are never shown.

The result shows the guide's "Uploaded Package Information" (Prov. Config ID, App. Label, Node Type, Node Version, App. Names and versions) with every file's verified hashes. Each problem is also written as a non-terminating error that names the package and the file. A package that cannot be read safely gives an error and a result whose IsValid is false and whose one problem says why, so a filter on IsValid sees it. Nothing is written to disk.
'@
    Parameters  = @{
        Path       = 'The packages (.tar.gz) to verify. Wildcards are expanded as in Get-ChildItem (./incoming/*.tar.gz); a pattern that matches nothing is an error. Accepts pipeline input.'
        LiteralPath = 'The packages to verify, taken exactly as typed: no wildcards, so names holding [ ] * or ? need it. Files from Get-ChildItem bind here by their PSPath.'
        Passphrase = 'The gateway key file passphrase. When given, the cmdlet checks that it opens the gateway key file.'
    }
    Inputs      = @{ 'System.String' = 'Package paths, by value or from a Path property; files from Get-ChildItem (by PSPath, to -LiteralPath).' }
    Outputs     = @{ 'Provisioning.PowerShell.ProvPackageVerification' = 'Package identity, every file with expected and actual hashes, SignatureValid, GatewayKeysDecrypt, the KMS key fingerprint, Problems and IsValid.' }
    Examples    = @(
        @{
            Code    = 'Test-ProvPackage ./meter_69.tar.gz -Passphrase (Read-Host -AsSecureString "Gateway key file passphrase")'
            Remarks = 'Verifies a package before importing it, including the passphrase the server will ask for.'
        }
        @{
            Code    = 'Get-ChildItem ./incoming/*.tar.gz | Test-ProvPackage -ErrorAction SilentlyContinue | Where-Object { -not $_.IsValid } | Select-Object Path, Problems'
            Remarks = 'Checks every package in a folder and lists the ones with problems, including any that could not be read at all (their one problem says why).'
        }
        @{
            Code    = '(Test-ProvPackage ./meter_69.tar.gz).Files | Format-Table'
            Remarks = 'Shows each file with its role, size and whether its MD5 and SHA-256 match the manifest.'
        }
    )
    Links       = @('New-ProvPackage', 'about_Provisioning')
}
