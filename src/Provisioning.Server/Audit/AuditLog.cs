using Provisioning.Core.Api;
using Provisioning.Server.Auth;
using Provisioning.Server.Store;

namespace Provisioning.Server.Audit;

/// <summary>The actions the audit log records (docs/security.md).</summary>
public static class AuditActions
{
    /// <summary>A package imported (or refused).</summary>
    public const string PackageImport = "package.import";
    /// <summary>A package verified without importing (dry run or web preview).</summary>
    public const string PackageDryRun = "package.dryrun";
    /// <summary>A key export, with its receipt.</summary>
    public const string Export = "export";
    /// <summary>A token created.</summary>
    public const string TokenCreate = "token.create";
    /// <summary>A token revoked.</summary>
    public const string TokenRevoke = "token.revoke";
    /// <summary>A station certificate issued.</summary>
    public const string CertificateIssue = "certificate.issue";
    /// <summary>A station certificate revoked.</summary>
    public const string CertificateRevoke = "certificate.revoke";
    /// <summary>An account created.</summary>
    public const string UserCreate = "user.create";
    /// <summary>An account changed (password, role, disabled).</summary>
    public const string UserUpdate = "user.update";
    /// <summary>An account removed.</summary>
    public const string UserRemove = "user.remove";
    /// <summary>A successful sign-in.</summary>
    public const string Login = "login";
    /// <summary>A failed or throttled sign-in.</summary>
    public const string LoginFailed = "login.failed";
    /// <summary>A sign-out.</summary>
    public const string Logout = "logout";
    /// <summary>A request for keys or passphrases refused (plain HTTP, wrong role).</summary>
    public const string KeysRefused = "keys.refused";
    /// <summary>The server stopped on request.</summary>
    public const string ServerStop = "server.stop";
    /// <summary>A backup of the server was taken (or failed).</summary>
    public const string ServerBackup = "server.backup";
}

/// <summary>
/// Appends to the audit log (table <c>audit_log</c>, append-only). A failure to write is logged and does not fail the
/// request it describes; the detail must never hold a secret.
/// </summary>
public sealed class AuditLog(IProvStore store, ILogger<AuditLog> log)
{
    /// <summary>Longest detail kept.</summary>
    public const int MaxDetailLength = 4000;

    /// <summary>Records an action by the caller of <paramref name="context"/>.</summary>
    public Task RecordAsync(HttpContext context, string action, string? target = null, string? detail = null, bool succeeded = true) =>
        RecordAsync(Caller.Of(context), Caller.AddressOf(context), action, target, detail, succeeded);

    /// <summary>Records an action by <paramref name="caller"/> (null: anonymous) from <paramref name="address"/>.</summary>
    public async Task RecordAsync(Caller? caller, string? address, string action, string? target = null, string? detail = null, bool succeeded = true)
    {
        var entry = new AuditEntry(0, DateTimeOffset.UtcNow, caller?.Kind, caller?.Id, caller?.Name, address ?? caller?.Address, action, target,
            detail is { Length: > MaxDetailLength } ? detail[..MaxDetailLength] : detail, succeeded);
        try
        {
            await store.AppendAuditAsync(entry, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            log.LogError("Could not write the audit entry {Action} {Target} by {Caller}: {Reason}", action, target, caller, ex.Message);
        }
    }
}
