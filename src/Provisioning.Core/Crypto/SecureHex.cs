using System.Security;

namespace Provisioning.Core.Crypto;

/// <summary>Key bytes as lower-case hex text in a read-only <see cref="SecureString"/>, built without an intermediate string.</summary>
public static class SecureHex
{
    /// <summary>The hex text of <paramref name="key"/>.</summary>
    public static SecureString Of(ReadOnlySpan<byte> key)
    {
        const string digits = "0123456789abcdef";
        var secure = new SecureString();
        foreach (byte b in key)
        {
            secure.AppendChar(digits[b >> 4]);
            secure.AppendChar(digits[b & 0xF]);
        }
        secure.MakeReadOnly();
        return secure;
    }
}
