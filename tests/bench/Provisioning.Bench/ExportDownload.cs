using System.Diagnostics;
using System.Globalization;
using Provisioning.Core.Api;

namespace Provisioning.Bench;

/// <summary>
/// One key export as Export-ProvKey asks for it: every confirmed device of a config, streamed over HTTP to a file.
/// The time runs from sending the request to the last byte on disk; the receipt must match what arrived.
/// </summary>
internal static class ExportDownload
{
    public static async Task<(long Devices, long Bytes, double Seconds, double FirstByteSeconds, double? ClientCpu)> RunAsync(Uri server, string adminToken, ulong configId, string path)
    {
        using var client = BenchHttp.Client(server, adminToken);
        double? cpu = ProcessCpu.Seconds(Environment.ProcessId);
        var clock = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, ApiRoutes.Exports)
        {
            Content = BenchHttp.Json(new ExportRequest(configId, null, null, null, null, IncludePending: false)),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await BenchHttp.EnsureAsync(response, "POST /exports");
        double firstByte = clock.Elapsed.TotalSeconds;
        long bytes;
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            await body.CopyToAsync(file, 1 << 16);
            bytes = file.Length;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        double? clientCpu = ProcessCpu.Seconds(Environment.ProcessId) - cpu;

        string exportId = response.Headers.GetValues(ApiRoutes.ExportIdHeader).Single();
        using var receiptResponse = await client.GetAsync($"{ApiRoutes.Exports}/{exportId}");
        var receipt = await BenchHttp.ReadAsync<ExportReceipt>(receiptResponse, $"GET /exports/{exportId}");
        if (receipt.Status != ExportStatus.Complete || receipt.Size != bytes)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Export {exportId} is '{receipt.Status}' with {receipt.Size} bytes in its receipt, but {bytes} bytes arrived."));
        return (receipt.Count, bytes, seconds, firstByte, clientCpu);
    }
}
