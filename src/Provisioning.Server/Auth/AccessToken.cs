using System.Security.Cryptography;
using System.Text;

namespace Provisioning.Server.Auth;

/// <summary>
/// Bearer tokens: <c>prov_</c> and 43 base64url characters (32 random bytes). The database keeps only the SHA-256
/// of the token text, so a database dump grants no access.
/// </summary>
public static class AccessToken
{
    /// <summary>Prefix of every token, so a leaked one is recognisable by secret scanners.</summary>
    public const string Prefix = "prov_";

    /// <summary>A new random token.</summary>
    public static string Create()
    {
        Span<byte> random = stackalloc byte[32];
        RandomNumberGenerator.Fill(random);
        string token = Prefix + Convert.ToBase64String(random).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        CryptographicOperations.ZeroMemory(random);
        return token;
    }

    /// <summary>The hash stored for a token.</summary>
    public static byte[] Hash(ReadOnlySpan<char> token)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(token.Length, 256))];
        int n = Encoding.UTF8.GetBytes(token[..Math.Min(token.Length, 256)], utf8);
        byte[] hash = SHA256.HashData(utf8[..n]);
        CryptographicOperations.ZeroMemory(utf8);
        return hash;
    }
}
