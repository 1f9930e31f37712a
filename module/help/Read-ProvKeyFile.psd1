@{
    Synopsis    = 'Reads a key export (device_keys.xml) and decrypts each device''s root key with the KMS private key, as the KMS ingests it; with -AppName, each application key with the head end''s private key.'
    Description = @'
The KMS side of the chain (guide section 3.3). Reads each export file written by Export-ProvKey, validating it against the published schema as it goes, and for every device checks that the file names this KMS key (its fingerprint), then decrypts the root key (RSA-OAEP with SHA-256) in memory. One object per device is written as soon as it is decrypted: NodeId, ConfigId, Batch, Timestamp, Status (confirmed or pending), KeyCheckValue (identifies the key without revealing it), KmsKeyFingerprint, Path, and the key itself as RootKey: a SecureString holding the key as hex text. The decrypted key buffers are zeroed once the object is made.

A device whose key cannot be decrypted is a non-terminating error naming the node ID, and the other devices are still read: a file made for another KMS key says which key it was made for and which key was given (both fingerprints); a damaged key block says so. A file that is not a complete, valid key export (damaged or edited XML, cut short, a wrong summary count) stops the cmdlet with an error naming the file and, where the XML shows it, the line. Devices are written as they are read, so a KMS script should commit what it received only once Read-ProvKeyFile has finished without a terminating error.

-AsPlainBytes returns each key as a plain byte array (RootKeyBytes) instead of a SecureString. This is a risk: plain arrays stay in memory until the garbage collector reuses it, and anything that formats or logs the objects (Format-List *, ConvertTo-Json, transcripts) prints the keys. Use it only where the next step needs the bytes (a KMS import API, a comparison in a test), and clear the arrays afterwards ([Array]::Clear).

With -AppName and -PrivateKeyPath it reads the file as an application's head end does (guide C.5): for every device and host record carrying data for that application (the app bundle's name, e.g. emcm), it decrypts the application key (RSA-OAEP-SHA256, the encryption Protect-ProvAppKey and the station use with the app bundle's public key) and writes one ProvAppKey object: NodeId (empty for a host record saved without one), AppName, AppId (e.g. the eMCM ID), ExtraInfo, ConfigId, Batch, Timestamp, Status, Source (device: recorded by a station with the node's root key; host: a host record from Set-ProvDeviceRecord), KeyCheckValue of a 128-bit key, Path, and the key as Key, a SecureString holding it as hex text (KeyBytes with -AsPlainBytes). Records without data for the app are passed over; a file with none for it is an error that names the applications it does hold. A key that does not decrypt (made for another key pair, or damaged) is a non-terminating error naming the node.

Progress is shown while a large file is read. Files come from -Path or from the pipeline (Get-ChildItem *.xml | Read-ProvKeyFile ...); the KMS key is loaded once for all of them.
'@
    Parameters  = @{
        Path              = 'The key export files to read (device_keys.xml), also from the pipeline. Wildcards are expanded (./exports/*.xml); a pattern that matches nothing is an error.'
        LiteralPath       = 'The key export files to read, taken exactly as typed: no wildcards, so names holding [ ] * or ? need it. Files from Get-ChildItem bind here by their PSPath.'
        KmsPrivateKeyFile = 'The KMS private key (kms_key.pem): PKCS#8, encrypted PKCS#8 or PKCS#1 PEM. Its public key must be the one the file names for each device. A wildcard must match exactly one file. -KmsPrivateKeyFile is the older name.'
        KmsKeyPassphrase  = 'The passphrase of an encrypted KMS private key (ENCRYPTED PRIVATE KEY). -Passphrase is the older name.'
        AsPlainBytes      = 'Returns each root key as plain bytes (RootKeyBytes) instead of a SecureString (RootKey), or with -AppName each application key as KeyBytes instead of Key. A risk: see the description.'
        AppName           = 'Decrypts the keys of this application (the app bundle''s name in the package, case-sensitive, e.g. emcm) instead of the root keys, as the application''s head end does. Needs -PrivateKeyPath.'
        PrivateKeyPath    = 'The head end''s private key for -AppName: the pair of the app bundle''s public key (e.g. hes_key.pem), PKCS#8, encrypted PKCS#8 or PKCS#1 PEM.'
        PrivateKeyPassphrase = 'The passphrase of an encrypted -PrivateKeyPath.'
    }
    Inputs      = @{ 'System.String, System.IO.FileInfo' = 'Paths of key export files; files from Get-ChildItem bind to -LiteralPath by their PSPath.' }
    Outputs     = @{
        'Provisioning.PowerShell.ProvDeviceKey' = 'NodeId, ConfigId, Batch, Timestamp, Status, KeyCheckValue, RootKey (SecureString) or RootKeyBytes (byte[], with -AsPlainBytes), KmsKeyFingerprint, Path.'
        'Provisioning.PowerShell.ProvAppKey'    = 'With -AppName: NodeId, AppName, AppId, ExtraInfo, ConfigId, Batch, Timestamp, Status, Source, KeyCheckValue, Key (SecureString) or KeyBytes (byte[], with -AsPlainBytes), Path.'
    }
    Examples    = @(
        @{
            Code    = 'Read-ProvKeyFile ./device_keys.xml -KmsPrivateKeyFile ./kms/kms_key.pem -KmsKeyPassphrase (Read-Host -AsSecureString "KMS key passphrase")'
            Remarks = 'Decrypts every device of the export and shows a table of node IDs, batches, status and key check values.'
        }
        @{
            Code    = @'
$devices = Get-ChildItem ./exports/*.xml | Read-ProvKeyFile -KmsPrivateKeyFile ./kms/kms_key.pem -ErrorVariable failed
"$($devices.Count) keys decrypted, $($failed.Count) devices failed"
'@
            Remarks = 'Reads a folder of export files with one KMS key, collects the devices, and counts the devices whose keys could not be decrypted (each error names its node).'
        }
        @{
            Code    = @'
Read-ProvKeyFile ./device_keys.xml -KmsPrivateKeyFile ./kms/kms_key.pem | ForEach-Object {
    Import-MyKmsKey -NodeId $_.NodeId -KeyHex (ConvertFrom-SecureString $_.RootKey -AsPlainText)
}
'@
            Remarks = 'Hands each key to a (hypothetical) KMS import command, revealing the hex text only at that point.'
        }
        @{
            Code    = '(Read-ProvKeyFile ./device_keys.xml -KmsPrivateKeyFile ./kms/kms_key.pem -AsPlainBytes | Where-Object NodeId -eq 0x10).RootKeyBytes'
            Remarks = 'Gets one node''s key as plain bytes, for a spot check. The bytes are printed: do this only where that is acceptable.'
        }
    )
    Links       = @('Export-ProvKey', 'New-ProvKmsKeyPair', 'about_Provisioning')
}
