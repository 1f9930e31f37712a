@{
    Synopsis    = 'Creates a Key Management Server (KMS) RSA key pair: kms_key.pem and kms_key.pub.pem.'
    Description = @'
Creates a new RSA key pair (3072 bits unless -KeySize says otherwise) and writes the private key as PKCS#8 PEM (kms_key.pem) and the public key as SubjectPublicKeyInfo PEM (kms_key.pub.pem) into the folder given by -Path.

The KMS private key signs gateway key files and decrypts exported device keys; the public key travels inside every configuration package and encrypts each device's root key on the station. Factories normally receive only the public key: this cmdlet is for KMS operators, tests and rehearsals.

With -KmsKeyPassphrase the private key is encrypted (PKCS#8, AES-256-CBC, PBKDF2-SHA256); openssl reads it with -passin. On Linux and macOS the private key file is created readable by its owner only. Existing files are kept unless -Force is given.
'@
    Parameters  = @{
        Path       = 'Folder to write kms_key.pem and kms_key.pub.pem into. Created if missing. Defaults to the current location.'
        KmsKeyPassphrase = 'Encrypts the private key file with this passphrase. Without it the private key is written unencrypted (protect the file). -Passphrase is the older name.'
        KeySize    = 'RSA modulus size in bits: 2048, 3072 (default) or 4096.'
        Force      = 'Replaces existing kms_key.pem and kms_key.pub.pem.'
    }
    Defaults    = @{ Path = 'the current location'; KeySize = '3072' }
    Outputs     = @{ 'Provisioning.Core.Crypto.KmsKeyPairFiles' = 'The two paths, the public key fingerprint (SHA256 of the SubjectPublicKeyInfo DER), the key size and whether the private key is encrypted.' }
    Examples    = @(
        @{
            Code    = 'New-ProvKmsKeyPair -Path ./kms -KmsKeyPassphrase (Read-Host -AsSecureString "KMS key passphrase")'
            Remarks = 'Creates ./kms/kms_key.pem, encrypted with the passphrase typed at the prompt, and ./kms/kms_key.pub.pem to hand to the packaging side.'
        }
        @{
            Code    = 'New-ProvKmsKeyPair -Path ./kms-next -WhatIf'
            Remarks = 'Shows where the key pair would be written without creating anything.'
        }
        @{
            Code    = '(New-ProvKmsKeyPair -Path ./kms -Force).Fingerprint'
            Remarks = 'Replaces an existing pair and prints the new public key''s fingerprint, which export files and package verification report too.'
        }
    )
    Links       = @('New-ProvGatewayKeyFile', 'New-ProvPackage', 'about_Provisioning')
}
