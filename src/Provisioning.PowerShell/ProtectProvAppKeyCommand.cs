using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using Provisioning.Core.Api;
using Provisioning.Core.Host;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Encrypts an application key (e.g. an eMCM key) for its app bundle's public key, as hex for Set-ProvDeviceRecord (the guide's EncryptKeyInfo: RSA-OAEP-SHA256).</para>
/// </summary>
[Cmdlet(VerbsSecurity.Protect, "ProvAppKey")]
[OutputType(typeof(string))]
public sealed class ProtectProvAppKeyCommand : ProvCmdlet
{
    /// <summary>The key: a SecureString holding it as hex text, or a byte array. Never plain text.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public object Key { get; set; } = null!;

    /// <summary>The app bundle whose public key encrypts it (case-sensitive, e.g. emcm).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string AppName { get; set; } = "";

    /// <summary>The configuration: Get-ProvConfig's output, with or without -Destination.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object Config { get; set; } = null!;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var config = (Config is PSObject ps ? ps.BaseObject : Config) switch
        {
            ConfigInfo info => info,
            HostConfigFiles files => files.Config,
            var other => null as ConfigInfo,
        };
        if (config is null)
            Fail(new ArgumentException($"-Config takes what Get-ProvConfig returns (with or without -Destination), not a {(Config is PSObject p ? p.BaseObject : Config).GetType().Name}."),
                "InvalidConfig", ErrorCategory.InvalidArgument, Config);
        byte[] key = KeyBytes();
        try
        {
            WriteObject(HostProvisioning.ProtectAppKey(config!, AppName, key));
        }
        catch (HostInputException e)
        {
            Fail(e, e.ErrorId, e.ErrorId == "AppNotFound" ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidArgument, AppName);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    // The key in a pinned buffer the caller zeroes: a SecureString's hex is read straight from its unmanaged copy, never a string.
    private byte[] KeyBytes()
    {
        object value = Key is PSObject ps ? ps.BaseObject : Key;
        switch (value)
        {
            case byte[] bytes:
                var copy = GC.AllocateArray<byte>(bytes.Length, pinned: true);
                bytes.CopyTo(copy, 0);
                return copy;
            case SecureString secure:
                return FromSecureHex(secure);
            // PowerShell unrolls byte arrays into object[] on the way through a pipeline or an if: take the numbers back as bytes.
            case object[] items when LanguagePrimitives.TryConvertTo(items, out byte[]? converted) && converted is not null:
                var pinned = GC.AllocateArray<byte>(converted.Length, pinned: true);
                converted.CopyTo(pinned, 0);
                CryptographicOperations.ZeroMemory(converted);
                return pinned;
            case string:
                Fail(new ArgumentException("-Key takes a SecureString (the key as hex text, e.g. from Read-Host -AsSecureString) or a byte array, never plain text, which would stay in memory and in the session history."),
                    "PlainTextKey", ErrorCategory.SecurityError, null);
                return [];
            default:
                Fail(new ArgumentException($"-Key takes a SecureString (hex text) or a byte array, not a {value.GetType().Name}."), "InvalidKey", ErrorCategory.InvalidArgument, null);
                return [];
        }
    }

    private byte[] FromSecureHex(SecureString secure)
    {
        IntPtr unmanaged = Marshal.SecureStringToGlobalAllocUnicode(secure);
        try
        {
            int length = secure.Length, digits = 0;
            for (int i = 0; i < length; i++)
                if (!char.IsWhiteSpace((char)Marshal.ReadInt16(unmanaged, i * 2))) digits++;
            var key = GC.AllocateArray<byte>(digits / 2, pinned: true);
            int nibble = 0;
            for (int i = 0; i < length; i++)
            {
                char c = (char)Marshal.ReadInt16(unmanaged, i * 2);
                if (char.IsWhiteSpace(c)) continue;
                int v = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : c is >= 'A' and <= 'F' ? c - 'A' + 10 : -1;
                if (v < 0 || digits % 2 != 0)
                {
                    CryptographicOperations.ZeroMemory(key);
                    Fail(new ArgumentException("-Key holds text that is not hex of whole bytes (two digits 0-9, A-F per byte); give the key as hex: 32 digits for a 128-bit key."),
                        "InvalidKey", ErrorCategory.InvalidArgument, null);
                }
                if (nibble % 2 == 0) key[nibble / 2] = (byte)(v << 4); else key[nibble / 2] |= (byte)v;
                nibble++;
            }
            return key;
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
        }
    }
}
