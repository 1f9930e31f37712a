using Provisioning.Core.Api;
using Provisioning.Core.Export;
using Provisioning.Server.Store;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

public abstract partial class ProvStoreTests
{
    private static HostRecordRequest Host(ulong config, uint? node, string emcmId, string key = "c0ffee", uint batch = 1000, int minute = 0) =>
        new(config, batch, T0.AddMinutes(minute), node, [new DeviceApp("meter", emcmId, key, "0102")], "host-tool");

    private async Task<HostRecord> RecordHostAsync(HostRecordRequest request, bool confirm = true)
    {
        var (record, created) = await Store.RecordHostAsync(Guid.NewGuid(), request, request.Timestamp);
        Assert.True(created);
        return confirm ? (await Store.ConfirmHostAsync(record.RequestId, request.Timestamp.AddSeconds(5)))! : record;
    }

    private async Task<List<ExportedHostRecord>> ExportHostsAsync(ExportQuery query)
    {
        var hosts = new List<ExportedHostRecord>();
        await foreach (var host in Store.ReadHostExportAsync(query))
            hosts.Add(host);
        return hosts;
    }

    [StoreFact]
    public async Task A_host_record_without_a_node_id_is_stored_pending_then_confirmed_and_a_retry_returns_it()
    {
        var request = Host(ConfigA, null, "00A1B2C3D4E5F601");
        var id = Guid.NewGuid();
        var (pending, created) = await Store.RecordHostAsync(id, request, T0);
        Assert.True(created);
        Assert.Equal(DeviceStatus.Pending, pending.Status);
        Assert.Null(pending.NodeId);
        Assert.Equal(request.Apps, pending.Apps);

        var (again, createdAgain) = await Store.RecordHostAsync(id, request, T0.AddSeconds(3));
        Assert.False(createdAgain);
        Assert.Equal(pending.Id, again.Id);
        await Assert.ThrowsAsync<HostRecordConflictException>(() => Store.RecordHostAsync(id, request with { Batch = 7 }, T0));

        var confirmed = await Store.ConfirmHostAsync(id, T0.AddSeconds(5));
        Assert.Equal(DeviceStatus.Confirmed, confirmed!.Status);
        Assert.Equal(T0.AddSeconds(5), confirmed.ConfirmedAt);
        // A repeat keeps the first confirmation.
        Assert.Equal(T0.AddSeconds(5), (await Store.ConfirmHostAsync(id, T0.AddMinutes(9)))!.ConfirmedAt);
        Assert.Null(await Store.ConfirmHostAsync(Guid.NewGuid(), T0));

        var listed = Assert.Single(await Store.ListHostRecordsAsync(null, null, null, 10));
        Assert.Equal(DeviceStatus.Confirmed, listed.Status);
        Assert.Equal("host-tool", listed.Station);
    }

    [StoreFact]
    public async Task Host_records_never_touch_the_nodes_device_records()
    {
        await ProvisionAsync(0x10, ConfigA);
        var before = await Store.GetDeviceAsync(0x10);
        await RecordHostAsync(Host(ConfigA, 0x10, "00A1B2C3D4E5F610"));

        var after = await Store.GetDeviceAsync(0x10);
        Assert.Equal(before!.Records.Select(r => (r.RequestId, r.Status)), after!.Records.Select(r => (r.RequestId, r.Status)));
        Assert.Null(await Store.GetDeviceAsync(0x11));
        Assert.Equal(new uint[] { 0x10 }, await ExportedNodesAsync(Query(ConfigA)));
    }

    [StoreFact]
    public async Task Confirming_a_newer_host_record_of_a_device_replaces_the_older_one_by_node_or_by_app_id()
    {
        var oldByNode = await RecordHostAsync(Host(ConfigA, 0x20, "AA01", minute: 1));
        var lostByNode = await RecordHostAsync(Host(ConfigA, 0x20, "AA01", minute: 2), confirm: false);
        var newByNode = await RecordHostAsync(Host(ConfigA, 0x20, "AA02", minute: 3));
        var oldByApp = await RecordHostAsync(Host(ConfigA, null, "BB01", minute: 4));
        var newByApp = await RecordHostAsync(Host(ConfigA, null, "bb01", minute: 5));
        var other = await RecordHostAsync(Host(ConfigA, null, "CC01", minute: 6));

        var all = (await Store.ListHostRecordsAsync(ConfigA, null, null, 100)).ToDictionary(r => r.RequestId, r => r.Status);
        Assert.Equal(DeviceStatus.Replaced, all[oldByNode.RequestId]);
        Assert.Equal(DeviceStatus.Abandoned, all[lostByNode.RequestId]);
        Assert.Equal(DeviceStatus.Confirmed, all[newByNode.RequestId]);
        Assert.Equal(DeviceStatus.Replaced, all[oldByApp.RequestId]);
        Assert.Equal(DeviceStatus.Confirmed, all[newByApp.RequestId]);
        Assert.Equal(DeviceStatus.Confirmed, all[other.RequestId]);

        // The export holds each device once, its current host record: those without a node ID first, then by node.
        var exported = await ExportHostsAsync(Query(ConfigA));
        Assert.Equal(3, exported.Count);
        Assert.Equal(new uint?[] { null, null, 0x20 }, exported.Select(h => h.NodeId));
        Assert.Equal(["CC01", "bb01"], exported.Take(2).Select(h => h.Apps[0].Id).Order(StringComparer.Ordinal));
        Assert.Equal("AA02", exported[2].Apps[0].Id);
        Assert.Equal(new[] { newByNode.RequestId }, (await Store.ListHostRecordsAsync(null, 0x20, null, 100)).Where(r => r.Status == DeviceStatus.Confirmed).Select(r => r.RequestId));
    }

    [StoreFact]
    public async Task The_host_export_follows_the_filters_and_shows_a_newer_pending_record_only_when_asked()
    {
        await RecordHostAsync(Host(ConfigA, 0x30, "D1", batch: 1000, minute: 1));
        await RecordHostAsync(Host(ConfigA, 0x31, "D2", batch: 1001, minute: 2));
        await RecordHostAsync(Host(ConfigA, null, "D3", batch: 1000, minute: 3));
        await RecordHostAsync(Host(ConfigB, null, "D4", batch: 1000, minute: 4));
        await RecordHostAsync(Host(ConfigA, 0x30, "D5", batch: 1000, minute: 5), confirm: false);

        Assert.Equal(["D3", "D1", "D2"], (await ExportHostsAsync(Query(ConfigA))).Select(h => h.Apps[0].Id));
        Assert.Equal(["D3", "D1"], (await ExportHostsAsync(Query(ConfigA, batches: [R(1000)]))).Select(h => h.Apps[0].Id));
        // A node filter selects nodes: host records without a node ID are left out.
        Assert.Equal(["D2"], (await ExportHostsAsync(Query(ConfigA, nodes: [R(0x31, 0x40)]))).Select(h => h.Apps[0].Id));
        Assert.Equal(["D2", "D3"], (await ExportHostsAsync(Query(ConfigA, from: T0.AddMinutes(2), to: T0.AddMinutes(3)))).Select(h => h.Apps[0].Id).Order());
        var withPending = await ExportHostsAsync(Query(ConfigA, includePending: true));
        Assert.Equal(["D3", "D5", "D2"], withPending.Select(h => h.Apps[0].Id));
        Assert.Equal(DeviceStatus.Pending, withPending[1].Status);
        Assert.Equal(["D4"], (await ExportHostsAsync(Query(ConfigB))).Select(h => h.Apps[0].Id));
    }

    [StoreFact]
    public async Task Host_records_page_newest_first()
    {
        for (int i = 0; i < 5; i++)
            await RecordHostAsync(Host(ConfigA, (uint)(0x50 + i), $"E{i}", minute: i), confirm: i % 2 == 0);
        var first = await Store.ListHostRecordsAsync(ConfigA, null, null, 2);
        Assert.Equal(["E4", "E3"], first.Select(r => r.Apps[0].Id));
        var second = await Store.ListHostRecordsAsync(ConfigA, null, first[^1].Id, 2);
        Assert.Equal(["E2", "E1"], second.Select(r => r.Apps[0].Id));
        Assert.Empty(await Store.ListHostRecordsAsync(ConfigB, null, null, 2));
    }
}
