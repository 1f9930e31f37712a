@{
    Synopsis    = 'Gets a configuration as a station sees it: node files, application bundles and the KMS public key.'
    Description = @'
Returns what a station needs to provision a node with a configuration: the node firmware, field and factory configuration (each with download URL, size, MD5 and SHA-256), the application bundles (the guide's app_names, app_versions, app_pub_keys and app_files), the KMS public key and its fingerprint. Works with admin and station tokens. Gateway keys are not part of it.

Select the configuration by ID (decimal or 0x hex) or by one of its config aliases; tab completion offers the server's aliases and IDs.
'@
    Parameters  = @{
        ConfigId    = 'The configuration ID, decimal or 0x hex.'
        ConfigAlias = 'A config alias, e.g. kite_170.'
        Server      = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Outputs     = @{ 'Provisioning.Core.Api.ConfigInfo' = 'ConfigId, Revision, Aliases, AppLabel, NodeType, NodeVersion, HardwareTypes (empty: any), Node (Firmware, FieldConfig, FactoryConfig), Apps, KmsPublicKey, KmsKeyFingerprint, ImportedAt.' }
    Examples    = @(
        @{
            Code    = 'Get-ProvConfig -ConfigAlias kite_170'
            Remarks = 'Shows the configuration a station would use for the alias kite_170.'
        }
        @{
            Code    = '(Get-ProvConfig 0x45).Node.Firmware | Format-List Name, Size, Md5, Sha256, Url'
            Remarks = 'Shows the node firmware of configuration 69 with its hashes and download URL.'
        }
    )
    Links       = @('Get-ProvPackage', 'Import-ProvPackage')
}
