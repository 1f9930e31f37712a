using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Provisioning.Core;
using Provisioning.Core.Api;
using Provisioning.Core.Backup;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Endpoints;
using Provisioning.Server.Hosting;
using Provisioning.Server.Repository;
using Provisioning.Server.Store;

namespace Provisioning.Server.Backup;

/// <summary>
/// <c>POST /api/v1/server/backup</c> (admin, and a secure channel since the passphrase travels in the body): the server
/// streams a backup of itself while stations keep working. The backup is made by the running server rather than by
/// reading its folder and database from outside because only the server can take one snapshot of the database and the
/// repository that matches it on every engine, and it already holds the connection, the files and the policies.
/// </summary>
public static class BackupEndpoints
{
    private const int MaxPassphraseBytes = 1024;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost(ApiRoutes.ServerBackup, Backup).RequireAdmin().KeyTransport();

    private static async Task Backup(HttpContext context, IProvStore store, FileRepository repository, IOptions<ServerSettings> settings,
        AuditLog audit, ILogger<ServerBackup> log)
    {
        var ct = context.RequestAborted;
        char[]? passphrase = await ReadPassphraseAsync(context.Request, ct);
        if (passphrase is null or { Length: 0 })
        {
            await ApiErrors.Problem(400, "PassphraseMissing",
                $"Send the backup passphrase as the text/plain body (1 to {MaxPassphraseBytes} bytes of UTF-8).").ExecuteAsync(context);
            return;
        }
        try
        {
            context.Response.ContentType = "application/octet-stream";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"provisioning-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.provbak\"";
            // Nothing proxies or compresses this: it is encrypted, and a cache must never keep it.
            context.Response.Headers.CacheControl = "no-store";
            var backup = new ServerBackup(store, repository, settings.Value);
            var counts = await backup.WriteAsync(context.Response.Body, passphrase, BackupEnvelope.DefaultIterations, ct);
            log.LogInformation("Backup taken: {Packages} packages, {Records} device records, {Files} repository files, {Bytes} bytes",
                counts.Packages, counts.DeviceRecords, counts.Files, counts.Bytes);
            await audit.RecordAsync(context, AuditActions.ServerBackup, Environment.MachineName,
                $"{counts.Packages} packages, {counts.DeviceRecords} device records, {counts.Files} files, {counts.Bytes} bytes");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogError(ex, "The backup failed");
            await audit.RecordAsync(context, AuditActions.ServerBackup, Environment.MachineName, ExceptionText.Of(ex), succeeded: false);
            if (!context.Response.HasStarted)
            {
                await ApiErrors.Problem(500, "BackupFailed", $"The backup failed: {ExceptionText.Of(ex)}").ExecuteAsync(context);
                return;
            }
            // Part of it was sent: break the connection so the client cannot take it for a whole backup.
            context.Abort();
        }
        finally
        {
            Array.Clear(passphrase);
        }
    }

    private static async Task<char[]?> ReadPassphraseAsync(HttpRequest request, CancellationToken ct)
    {
        byte[] buffer = new byte[MaxPassphraseBytes + 1];
        int length = await request.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
        try
        {
            if (length > MaxPassphraseBytes) return null;
            return Encoding.UTF8.GetChars(buffer, 0, length);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }
}
