@{
    Synopsis    = 'Gets a configuration as a station sees it: node files, application bundles and the KMS public key.'
    Description = @'
Returns what a station needs to provision a node with a configuration: the node firmware, field and factory configuration (each with download URL, size, MD5 and SHA-256), the application bundles (the guide's app_names, app_versions, app_pub_keys and app_files), the KMS public key and its fingerprint. Works with admin and station tokens. Gateway keys are not part of it.

Select the configuration by ID (decimal or 0x hex) or by one of its config aliases; tab completion offers the server's aliases and IDs.

With -Destination it is the guide's getConfig for host tools (Appendix C.4): every file of the configuration, the node's and each app bundle's, is downloaded into the folder (node files under node/, each app's under apps/<name>/), checked against its size, SHA-256 and MD5, and the validated local paths are returned: Node.FirmwarePath, FieldConfigPath and FactoryConfigPath, and per app bundle (Apps, also as the guide's parallel lists AppNames, AppVersions, AppPublicKeys and AppFiles) its Version, PublicKey and FirmwarePath, FieldConfigPath, FactoryConfigPath (empty when the bundle has no such file). Each file is written under a temporary name and renamed once it matched, so a failed check or a stopped download leaves no file under its name; a file already there with the same content is kept, so running it again downloads only what changed. Progress is shown. A file that does not match is an error with the guide's code 102 in its message; nothing half-written stays. When the server shares its repository (shared file system mode), nothing is downloaded: each file is checked where the share holds it, after -PathTranslateFrom/-PathTranslateTo, and those paths are returned (an unreadable share is an error with code 108). Files are held in memory while checked (up to 64 MiB each).
'@
    Parameters  = @{
        ConfigId    = 'The configuration ID, decimal or 0x hex.'
        ConfigAlias = 'A config alias, e.g. kite_170.'
        Destination = 'Downloads every file of the configuration into this folder (created when missing), checks each and returns their validated paths instead of the description. In shared file system mode the files are checked on the share and nothing is written here.'
        PathTranslateFrom = 'The guide''s --path_trans_from, with -Destination: the start of the file paths a server in shared file system mode gives (e.g. /workspace).'
        PathTranslateTo   = 'The guide''s --path_trans_to, with -Destination: what -PathTranslateFrom is on this machine (e.g. Z: or /mnt/prov).'
        Server      = 'The server: a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address. Default: the current server.'
    }
    Outputs     = @{
        'Provisioning.Core.Api.ConfigInfo' = 'ConfigId, Revision, Aliases, AppLabel, NodeType, NodeVersion, HardwareTypes (empty: any), Node (Firmware, FieldConfig, FactoryConfig), Apps, KmsPublicKey, KmsKeyFingerprint, ImportedAt.'
        'Provisioning.Core.Host.HostConfigFiles' = 'With -Destination: ConfigId, Config, Destination, Node (FirmwarePath, FieldConfigPath, FactoryConfigPath), Apps (Name, Version, PublicKey, FirmwarePath, FieldConfigPath, FactoryConfigPath), AppNames, AppVersions, AppPublicKeys, AppFiles.'
    }
    Examples    = @(
        @{
            Code    = 'Get-ProvConfig -ConfigAlias kite_170'
            Remarks = 'Shows the configuration a station would use for the alias kite_170.'
        }
        @{
            Code    = '(Get-ProvConfig 0x45).Node.Firmware | Format-List Name, Size, Md5, Sha256, Url'
            Remarks = 'Shows the node firmware of configuration 69 with its hashes and download URL.'
        }
        @{
            Code    = @'
$files = Get-ProvConfig -ConfigAlias emcm_70 -Destination ./host-files
$emcm = $files.App('emcm')
"eMCM firmware $($emcm.Version): $($emcm.FirmwarePath)"
'@
            Remarks = 'Downloads and checks every file of the configuration, then shows where the emcm bundle''s firmware is.'
        }
    )
    Links       = @('Get-ProvPackage', 'Import-ProvPackage')
}
