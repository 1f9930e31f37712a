@{
    Synopsis    = 'Encrypts an application key (e.g. an eMCM key) for its app bundle''s public key, as hex for Set-ProvDeviceRecord.'
    Description = @'
The guide's EncryptKeyInfo (Appendix C.5): a host tool that gives its host a key (an eMCM key, a meter key) saves it on the provisioning server only encrypted, for the head end that will use it. Protect-ProvAppKey encrypts the key with the RSA public key of the app bundle named by -AppName in the configuration (-Config: what Get-ProvConfig returns, with or without -Destination) using RSA-OAEP with SHA-256, and returns the result as upper-case hex text, ready for the Key of an -App entry of Set-ProvDeviceRecord. The head end decrypts it with Read-ProvKeyFile -AppName -PrivateKeyPath. The station's eMCM flow encrypts eMCM keys the same way.

-Key is a SecureString holding the key as hex text (Read-Host -AsSecureString, or ConvertTo-SecureString) or a byte array; plain text is refused. The hex is read from the SecureString's unmanaged copy straight into a pinned buffer that is zeroed after use: the key never becomes a managed string.

Errors: a configuration without that app bundle (the message lists its bundles), an app bundle without a public key, a key that is empty, not hex, or longer than one RSA-OAEP block carries.
'@
    Parameters  = @{
        Key     = 'The application key: a SecureString holding it as hex text, or a byte array. Never plain text.'
        AppName = 'The app bundle whose public key encrypts the key (case-sensitive, e.g. emcm).'
        Config  = 'The configuration: Get-ProvConfig''s output, with or without -Destination. Takes pipeline input.'
    }
    Inputs      = @{ 'Provisioning.Core.Api.ConfigInfo, Provisioning.Core.Host.HostConfigFiles' = 'The configuration, from Get-ProvConfig.' }
    Outputs     = @{ 'System.String' = 'The encrypted key as upper-case hex text (one RSA block of the app''s public key).' }
    Examples    = @(
        @{
            Code    = @'
$config = Get-ProvConfig -ConfigAlias emcm_70
$encrypted = Protect-ProvAppKey -Key (Read-Host -AsSecureString 'eMCM key as hex') -AppName emcm -Config $config
$encrypted.Length   # 512 hex digits: one block of the app's 2048-bit key
'@
            Remarks = 'Encrypts a key typed at the prompt for the emcm bundle''s public key.'
        }
        @{
            Code    = @'
$key = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(16)   # the host's new key
try { $encrypted = Get-ProvConfig -ConfigAlias emcm_70 | Protect-ProvAppKey -Key $key -AppName emcm }
finally { [Array]::Clear($key) }
'@
            Remarks = 'Encrypts a key the tool generated as bytes, then clears the bytes.'
        }
    )
    Links       = @('Set-ProvDeviceRecord', 'Get-ProvConfig', 'Read-ProvKeyFile')
}
