@{
    # Built by ./build.ps1 Build; the Package task rewrites these paths for the distributed folder.
    RootModule           = 'out/module/Provisioning.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0c8a52-7d3e-4e19-9a57-2f1b8c4d9e60'
    Author               = 'Provisioning contributors'
    Copyright            = '(c) Provisioning contributors. MIT License.'
    Description          = 'Factory provisioning for wireless end devices: configuration packages, a provisioning server, stations that program nodes, and key export for the KMS.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('module/Provisioning.Format.ps1xml')
    CmdletsToExport      = @(
        'New-ProvKmsKeyPair'
        'New-ProvGatewayKeyFile'
        'New-ProvPackage'
        'Test-ProvPackage'
        'Start-ProvServer'
        'Stop-ProvServer'
        'Connect-ProvServer'
        'New-ProvStationToken'
        'Get-ProvStationToken'
        'Revoke-ProvStationToken'
        'New-ProvStationCertificate'
        'Get-ProvStationCertificate'
        'Revoke-ProvStationCertificate'
        'Import-ProvPackage'
        'Get-ProvPackage'
        'Get-ProvDevice'
        'Get-ProvConfig'
        'Export-ProvKey'
        'Invoke-NodeProvision'
        'Invoke-EmcmProvision'
        'Invoke-EmcmFactoryStage'
        'Read-ProvKeyFile'
        'Start-ProvNodeSimulator'
        'Stop-ProvNodeSimulator'
        'Start-ProvGatewaySimulator'
        'Stop-ProvGatewaySimulator'
        'Start-ProvEmcmSimulator'
        'New-ProvVirtualSerialPair'
        'Remove-ProvVirtualSerialPair'
        'New-ProvUser'
        'Get-ProvUser'
        'Set-ProvUser'
        'Remove-ProvUser'
        'Get-ProvAuditLog'
        'Backup-ProvServer'
        'Restore-ProvServer'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @('Export-ProvKeys')
    PrivateData          = @{
        PSData = @{
            Tags       = @('Provisioning', 'RPMA', 'Factory', 'IoT', 'KMS')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
