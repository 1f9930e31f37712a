using System.Globalization;
using Provisioning.Core.Api;

namespace Provisioning.Core.Client;

public sealed partial class ProvServerClient
{
    // ---- host records (guide C.5 setDutParams) ----

    /// <summary><c>PUT /host-records/{requestId}</c>: records a host tool's application data for a device as pending. Repeating a request is harmless.</summary>
    public Task<HostRecord> RecordHostAsync(Guid requestId, HostRecordRequest record, CancellationToken cancellationToken = default)
        => RepeatableAsync(() => SendJsonAsync<HostRecord>(HttpMethod.Put, $"{ApiRoutes.HostRecords}/{requestId:D}", record, cancellationToken), cancellationToken);

    /// <summary><c>POST /host-records/{requestId}/confirm</c>: the host holds what the record says; it becomes the device's current host record.</summary>
    public Task<HostRecord> ConfirmHostAsync(Guid requestId, CancellationToken cancellationToken = default)
        => RepeatableAsync(() => SendJsonAsync<HostRecord>(HttpMethod.Post, $"{ApiRoutes.HostRecords}/{requestId:D}/confirm", null, cancellationToken), cancellationToken);

    /// <summary><c>GET /host-records</c> (exporter): one page of host records, newest first, before record <paramref name="before"/>.</summary>
    public Task<IReadOnlyList<HostRecord>> GetHostRecordsAsync(ulong? configId, uint? nodeId, long? before, int limit = ApiRoutes.MaxDevicePage,
        CancellationToken cancellationToken = default)
    {
        string query = $"?limit={limit.ToString(CultureInfo.InvariantCulture)}" +
            (configId is { } c ? $"&configId={c.ToString(CultureInfo.InvariantCulture)}" : "") +
            (nodeId is { } n ? $"&nodeId={Decimal(n)}" : "") +
            (before is { } b ? $"&before={b.ToString(CultureInfo.InvariantCulture)}" : "");
        return GetJsonAsync<IReadOnlyList<HostRecord>>(ApiRoutes.HostRecords + query, cancellationToken);
    }
}
