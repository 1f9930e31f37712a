using System.Runtime.InteropServices;
using System.Security;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>A provisioning server this session talks to: its address, the token the cmdlets send and, over HTTPS, how its certificate is trusted.</summary>
public sealed class ProvServerConnection
{
    internal ProvServerConnection(Uri uri, SecureString? token, ServerTrust? trust = null)
    {
        Uri = uri;
        token?.MakeReadOnly();
        Token = token;
        Trust = trust ?? ServerTrust.System;
    }

    /// <summary>The server's base address.</summary>
    public Uri Uri { get; }

    /// <summary>The bearer token (kept as a SecureString; never shown).</summary>
    public SecureString? Token { get; }

    /// <summary>The token's role as the server treats it (<c>admin</c> or <c>station</c>), once checked.</summary>
    public string? Role { get; internal set; }

    /// <summary>The token's name on the server (as New-ProvStationToken -Name gave it), once checked.</summary>
    public string? TokenName { get; internal set; }

    /// <summary>The server's version, from its health answer.</summary>
    public string? ServerVersion { get; internal set; }

    /// <summary>The server's database, described without secrets.</summary>
    public string? Database { get; internal set; }

    /// <summary>The server's process ID, from its health answer.</summary>
    public int? ProcessId { get; internal set; }

    /// <summary>How the server's certificate is checked (its CA, pinned fingerprints, or the system store) and the client certificate presented.</summary>
    public ServerTrust Trust { get; }

    /// <summary>The certificate the server presented when the session connected (HTTPS), or null.</summary>
    public PresentedCertificate? ServerCertificate { get; internal set; }

    /// <summary>The client (station) certificate this connection presents, or null.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate => Trust.ClientCertificate;

    /// <summary>A client for one cmdlet call. The token is a string only inside the client (the Authorization header needs one).</summary>
    internal ProvServerClient OpenClient() => new(Uri, Reveal(Token), Trust);

    private static string? Reveal(SecureString? secret)
    {
        if (secret is null || secret.Length == 0) return null;
        IntPtr unmanaged = Marshal.SecureStringToGlobalAllocUnicode(secret);
        try { return Marshal.PtrToStringUni(unmanaged, secret.Length); }
        finally { Marshal.ZeroFreeGlobalAllocUnicode(unmanaged); }
    }

    /// <inheritdoc/>
    public override string ToString() => ServerAddress.Display(Uri);
}
