@{
    Synopsis    = 'Builds a configuration package (.tar.gz) that the provisioning server imports.'
    Description = @'
A configuration package carries everything needed to provision one kind of end device for one network, identified by a 64-bit provisioning configuration ID (the guide's provConfigId): node firmware, node field configuration and optionally a factory configuration, the KMS public key, the encrypted gateway key file with its signature, and zero or more application bundles (firmware, field and factory configuration, backend RSA public key; guide Appendix C.2).

The package is a gzip-compressed tar archive whose first entry, manifest.xml, lists every file with its role, size, MD5 and SHA-256 (format and schema in docs/package-format.md). Files are streamed, so memory stays flat whatever the firmware size. The folder of -Path is created if needed. Before writing, the cmdlet checks that every file exists, that the KMS public key parses, and that the gateway key file's signature verifies with it. The package is written to a temporary file beside -Path and moved into place only when complete.

Every parameter but -App and -Force also takes pipeline input by property name, so a CSV with one row per package can be piped in (Import-Csv packages.csv | New-ProvPackage).

Values come from parameters or from a definition file (-DefinitionPath, a .psd1 whose keys are this cmdlet's parameter names; relative paths in it are relative to the file). Parameters given on the command line override the file. -ConfigId accepts decimal or 0x hex.
'@
    Parameters  = @{
        DefinitionPath    = 'A package definition file (.psd1) whose keys are this cmdlet''s parameter names (ConfigId, ConfigAlias, AppLabel, NodeType, NodeVersion, HardwareType, NodeFirmware, NodeFieldConfig, NodeFactoryConfig, KmsPublicKeyFile, GatewayKeyFile, App; the older KmsPublicKeyPath is read too).'
        ConfigId          = 'The provisioning configuration ID: an unsigned 64-bit number, decimal (69) or hex (0x45).'
        ConfigAlias       = 'Zero or more aliases stations may use instead of the ID (letters, digits, dot, dash, underscore). One string may hold several separated by ; or , (as a CSV cell would).'
        AppLabel          = 'Application label shown in the server''s overview, e.g. ge_sgm3000_falconv1_zigbeev2.'
        NodeType          = 'Node type, e.g. UNODE, DNODE or ENODE.'
        NodeVersion       = 'Version of the node firmware, e.g. 1.2.3.4.'
        HardwareType      = 'Hardware types (board revisions) the node firmware supports, e.g. rev-a, rev-b; a station refuses a node of any other hardware type (return code 40). Leave out to allow any. In a CSV cell, separate several with ";".'
        NodeFirmware      = 'The node firmware image.'
        NodeFieldConfig   = 'The node field configuration file (device settings, AP list, system parameters).'
        NodeFactoryConfig = 'Optional node factory configuration for over-the-air tests at the factory.'
        KmsPublicKeyFile  = 'The KMS public key PEM (kms_key.pub.pem). -KmsPublicKeyPath is the older name.'
        GatewayKeyFile    = 'The encrypted gateway key file (gw_keys.csv.aes). Its signature, gw_keys.csv.aes.sig, is taken from the same folder.'
        App               = 'Application bundles: hashtables with Name and Version and optional Firmware, FieldConfig, FactoryConfig and PublicKeyFile (the older key PublicKeyPath is read too). File parameters take a wildcard that matches exactly one file.'
        Path              = 'The package file to write, e.g. meter_69.tar.gz.'
        Force             = 'Replaces an existing package file.'
    }
    Inputs      = @{ 'System.Management.Automation.PSObject' = 'Objects (for example CSV rows from Import-Csv) whose property names match the parameter names; one package per object.' }
    Outputs     = @{ 'Provisioning.PowerShell.ProvPackageInfo' = 'The package path, its identity (config ID, aliases, label, node type and version, hardware types, apps), every file with its hashes, its size and SHA-256.' }
    Examples    = @(
        @{
            Code    = @'
New-ProvPackage -Path ./meter_69.tar.gz -ConfigId 69 -ConfigAlias kite_170 -AppLabel ge_sgm3000_falconv1_zigbeev2 `
    -NodeType UNODE -NodeVersion 1.2.3.4 -NodeFirmware ./fw/node.bin -NodeFieldConfig ./cfg/field.cfg `
    -KmsPublicKeyFile ./kms/kms_key.pub.pem -GatewayKeyFile ./network/gw_keys.csv.aes `
    -App @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = './fw/emcm.bin'; FieldConfig = './cfg/emcm.cfg'; PublicKeyFile = './keys/hes.pub.pem' },
         @{ Name = 'zigbee'; Version = '1.2.3.4'; Firmware = './fw/zigbee.bin' }
'@
            Remarks = 'Builds the guide''s example package: config 69 with two application bundles.'
        }
        @{
            Code    = 'New-ProvPackage -DefinitionPath ./meter_69.psd1 -HardwareType rev-a, rev-b -Path ./meter_69-revab.tar.gz'
            Remarks = 'Builds a package whose node firmware runs only on boards rev-a and rev-b; stations refuse other boards with return code 40.'
        }
        @{
            Code    = @'
# meter_69.psd1
@{
    ConfigId = '0x45'; ConfigAlias = 'kite_170'; AppLabel = 'ge_sgm3000_falconv1_zigbeev2'
    NodeType = 'UNODE'; NodeVersion = '1.2.3.4'
    NodeFirmware = 'fw/node.bin'; NodeFieldConfig = 'cfg/field.cfg'
    KmsPublicKeyFile = 'kms/kms_key.pub.pem'; GatewayKeyFile = 'network/gw_keys.csv.aes'
    App = @{ Name = 'emcm'; Version = '5.6.7.8'; Firmware = 'fw/emcm.bin' }
}

New-ProvPackage -DefinitionPath ./meter_69.psd1 -Path ./out/meter_69.tar.gz
'@
            Remarks = 'Builds the package from a definition file kept under version control; paths in it are relative to the file.'
        }
        @{
            Code    = @'
# packages.csv
# ConfigId,ConfigAlias,AppLabel,NodeType,NodeVersion,NodeFirmware,NodeFieldConfig,KmsPublicKeyFile,GatewayKeyFile,Path
# 71,kite_171;kite_172,meter_a,UNODE,1.2.3.4,fw/node.bin,cfg/net_a.cfg,kms/kms_key.pub.pem,network/gw_keys.csv.aes,out/meter_71.tar.gz
# 72,kite_173,meter_b,UNODE,1.2.3.4,fw/node.bin,cfg/net_b.cfg,kms/kms_key.pub.pem,network/gw_keys.csv.aes,out/meter_72.tar.gz

Import-Csv ./packages.csv | New-ProvPackage
'@
            Remarks = 'Builds one package per CSV row, creating the out folder if needed. Column names are parameter names; relative paths are relative to the current location. A row that fails (a missing file, an existing package without -Force) is reported as an error and the other rows are still built.'
        }
        @{
            Code    = 'New-ProvPackage -DefinitionPath ./meter_69.psd1 -NodeVersion 1.2.4.0 -NodeFirmware ./fw/node-1.2.4.0.bin -Path ./meter_69-v2.tar.gz -WhatIf'
            Remarks = 'Checks a definition with a newer firmware and shows what would be built, without writing the package.'
        }
    )
    Links       = @('Test-ProvPackage', 'New-ProvGatewayKeyFile', 'New-ProvKmsKeyPair', 'about_Provisioning')
}
