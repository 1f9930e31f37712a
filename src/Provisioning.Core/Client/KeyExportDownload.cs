using System.Globalization;
using System.Security.Cryptography;
using Provisioning.Core.Api;

namespace Provisioning.Core.Client;

/// <summary>A key export saved on disk and checked against the server's receipt.</summary>
/// <param name="Receipt">The server's receipt (count, size, SHA-256) for the export.</param>
/// <param name="Path">Full path of the saved file.</param>
public sealed record KeyExportFile(ExportReceipt Receipt, string Path);

/// <summary>
/// One key export: streams the answer of <c>POST /exports</c> into <c>&lt;path&gt;.partial</c> while hashing it, then compares
/// size and SHA-256 with the receipt (<c>GET /exports/{id}</c>) and only then moves the file into place. On any failure
/// nothing is left at the path and the partial file is removed.
/// </summary>
internal sealed class KeyExportDownload(ProvServerClient client, ExportRequest request, string path, bool overwrite, IProgress<long>? bytesReceived)
{
    // The server finishes the receipt just after the last byte; it gets this long to do so.
    private static readonly TimeSpan ReceiptDeadline = TimeSpan.FromSeconds(30);

    public async Task<KeyExportFile> RunAsync(CancellationToken cancellationToken)
    {
        string target = System.IO.Path.GetFullPath(path);
        string partial = target + ".partial";
        if (!overwrite && File.Exists(target))
            throw new IOException($"The file '{target}' already exists; use -Force to replace it.");

        try
        {
            long exportId;
            string sha256;
            long size;
            using (var response = await client.StartExportAsync(request, cancellationToken).ConfigureAwait(false))
            {
                exportId = ReadExportId(response);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
                {
                    size = await client.CopyBodyAsync(response, file, hash, bytesReceived, $"key export {exportId}", cancellationToken).ConfigureAwait(false);
                    await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            var receipt = await WaitForReceiptAsync(exportId, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(receipt.Sha256, sha256, StringComparison.OrdinalIgnoreCase) || receipt.Size != size)
                throw new ProvServerException(client.Server, null, "ExportMismatch",
                    $"The key export received from {ServerAddress.Display(client.Server)} does not match the server's receipt " +
                    $"(export {exportId}: the server wrote {receipt.Size} bytes with SHA-256 {receipt.Sha256 ?? "(none)"}, " +
                    $"{size} bytes with SHA-256 {sha256} arrived). The file was damaged on the way and was not saved to '{target}'; export again.");

            File.Move(partial, target, overwrite);
            return new KeyExportFile(receipt, target);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    private long ReadExportId(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues(ApiRoutes.ExportIdHeader, out var values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out long id))
            return id;
        throw ProvServerException.Unexpected(client.Server, "the key export", $"no {ApiRoutes.ExportIdHeader} header");
    }

    private async Task<ExportReceipt> WaitForReceiptAsync(long exportId, CancellationToken cancellationToken)
    {
        long deadline = Environment.TickCount64 + (long)ReceiptDeadline.TotalMilliseconds;
        int pause = 20;
        while (true)
        {
            var receipt = await client.GetExportAsync(exportId, cancellationToken).ConfigureAwait(false);
            if (receipt.Status == ExportStatus.Complete) return receipt;
            if (receipt.Status == ExportStatus.Failed)
                throw new ProvServerException(client.Server, null, "ExportFailed",
                    $"The server at {ServerAddress.Display(client.Server)} marked key export {exportId} as failed; nothing was saved to '{path}'. " +
                    "Its log (logs/server.log under its data path) says why; export again.");
            if (Environment.TickCount64 > deadline)
                throw ProvServerException.Timeout(client.Server, $"with the receipt of key export {exportId} (still '{receipt.Status}')", ReceiptDeadline);
            // Production wait between polls of a receipt the server completes right after the last byte.
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            pause = Math.Min(pause * 2, 500);
        }
    }
}
