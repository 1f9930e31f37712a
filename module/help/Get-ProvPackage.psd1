@{
    Synopsis    = 'Lists the packages on the provisioning server as the guide''s overview table.'
    Description = @'
Returns one row per imported package with the guide's overview columns: Prov. Config ID, Node Type, Node Version, App. Label, App. Names (versions) as emcm(5.6.7.8);zigbee(1.2.3.4), Comment and Imported Time. By default only the current package of each configuration is listed; -History adds the revisions that newer imports replaced; its rows show each Revision, whether it is Current (yes, or history) and when it was replaced. Needs an admin token.
'@
    Parameters  = @{
        ConfigId = 'Only this configuration, decimal or 0x hex. Tab completion offers the server''s configuration IDs.'
        History  = 'Also the revisions that newer imports replaced. Each row then shows its Revision and Current (also a property: Where-Object Current).'
        Server   = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Outputs     = @{ 'Provisioning.Core.Api.PackageSummary' = 'ConfigId, Revision, IsCurrent, NodeType, NodeVersion, AppLabel, Apps, Aliases, Comment, ImportedAt, Created, PackageSha256, KmsKeyFingerprint, ReplacedAt.' }
    Examples    = @(
        @{
            Code    = 'Get-ProvPackage'
            Remarks = 'Shows the overview: the current package of every configuration.'
        }
        @{
            Code    = 'Get-ProvPackage -ConfigId 0x45 -History'
            Remarks = 'Shows every revision of configuration 69, newest first, with when each was replaced.'
        }
    )
    Links       = @('Import-ProvPackage', 'Get-ProvConfig')
}
