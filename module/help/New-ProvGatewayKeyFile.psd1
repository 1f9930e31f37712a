@{
    Synopsis    = 'Creates the gateway key file (gw_keys.csv.aes) and its KMS signature (gw_keys.csv.aes.sig).'
    Description = @'
Plays the role of the guide's generate_gw_keys.py. The network-wide gateway key and code download (CDLD) key, 128 bits each, are written as a small CSV that exists only in memory, encrypted with AES-256-GCM under a key derived from -Passphrase with PBKDF2-SHA256 (random salt; the iteration count is stored in the file), and written as gw_keys.csv.aes. The KMS private key then signs the encrypted file (RSA PKCS#1 v1.5, SHA-256): gw_keys.csv.aes.sig.

Without -GatewayKey and -CdldKey both keys come from the operating system's secure random generator. Give both to re-issue known keys; they are SecureStrings holding 32 hexadecimal digits, so they never sit in the console history as plain text.

The output shows each key's key check value (KCV) so operators can compare keys without revealing them. The provisioning server asks for the same passphrase when it imports a package that carries this file.
'@
    Parameters  = @{
        KmsPrivateKeyFile = 'The KMS private key PEM (kms_key.pem) that signs the file. A wildcard must match exactly one file. -KmsPrivateKeyFile is the older name.'
        KmsKeyPassphrase  = 'Passphrase of the KMS private key, when it is encrypted.'
        Passphrase        = 'The passphrase that encrypts the gateway key file. Required. The provisioning server needs the same passphrase to import packages.'
        Path              = 'Folder to write gw_keys.csv.aes and gw_keys.csv.aes.sig into. Created if missing. Defaults to the current location.'
        GatewayKey        = 'The gateway key: 32 hexadecimal digits in a SecureString. Random when omitted; give -CdldKey with it.'
        CdldKey           = 'The code download (CDLD) key: 32 hexadecimal digits in a SecureString. Random when omitted; give -GatewayKey with it.'
        Iterations        = 'PBKDF2-SHA256 iteration count stored in the file (10000 to 10000000; default 600000).'
        Force             = 'Replaces existing files.'
    }
    Defaults    = @{ Path = 'the current location'; Iterations = '600000'; GatewayKey = 'a random key'; CdldKey = 'a random key' }
    Outputs     = @{ 'Provisioning.Core.Crypto.GatewayKeyFileInfo' = 'Paths of both files, the key check values of both keys, the iteration count and the fingerprint of the signing KMS key.' }
    Examples    = @(
        @{
            Code    = @'
$pass = Read-Host -AsSecureString 'Gateway key file passphrase'
New-ProvGatewayKeyFile -KmsPrivateKeyFile ./kms/kms_key.pem -Passphrase $pass -Path ./network
'@
            Remarks = 'Generates two random keys and writes ./network/gw_keys.csv.aes and ./network/gw_keys.csv.aes.sig.'
        }
        @{
            Code    = @'
$kmsPass = Read-Host -AsSecureString 'KMS private key passphrase'
$pass    = Read-Host -AsSecureString 'Gateway key file passphrase'
$gw   = Read-Host -AsSecureString 'Gateway key (32 hex digits)'
$cdld = Read-Host -AsSecureString 'CDLD key (32 hex digits)'
New-ProvGatewayKeyFile -KmsPrivateKeyFile ./kms/kms_key.pem -KmsKeyPassphrase $kmsPass -Passphrase $pass -GatewayKey $gw -CdldKey $cdld -Path ./network -Force
'@
            Remarks = 'Re-issues the file for known keys with a KMS private key that is itself passphrase-protected, replacing the existing files.'
        }
    )
    Links       = @('New-ProvKmsKeyPair', 'New-ProvPackage', 'Test-ProvPackage', 'about_Provisioning')
}
