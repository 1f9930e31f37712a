using Provisioning.Core.Api;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

public abstract partial class ProvStoreTests
{
    /// <summary>
    /// Nodes 0x10..0x1F, recorded in scrambled order: batch 1000 + (node % 8), one minute apart by node,
    /// confirmed except 0x13 and 0x1C; plus node 0x40 in config B.
    /// </summary>
    private async Task SeedExportAsync()
    {
        foreach (var node in new uint[] { 0x17, 0x10, 0x1F, 0x12, 0x1A, 0x11, 0x15, 0x1E, 0x13, 0x19, 0x14, 0x1C, 0x16, 0x1B, 0x18, 0x1D })
            await ProvisionAsync(node, ConfigA, batch: 1000 + node % 8, minute: (int)node, confirm: node is not (0x13 or 0x1C));
        await ProvisionAsync(0x40, ConfigB, batch: 1000, minute: 0x20);
    }

    private static uint[] Nodes(uint first, uint last, params uint[] except) =>
        Enumerable.Range((int)first, (int)(last - first + 1)).Select(n => (uint)n).Except(except).ToArray();

    [StoreFact]
    public async Task Export_streams_confirmed_current_records_of_the_config_in_node_order()
    {
        await SeedExportAsync();

        Assert.Equal(Nodes(0x10, 0x1F, except: [0x13, 0x1C]), await ExportedNodesAsync(Query(ConfigA)));
        Assert.Equal(new uint[] { 0x40 }, await ExportedNodesAsync(Query(ConfigB)));
        Assert.Empty(await ExportedNodesAsync(Query(0x77)));
    }

    [StoreFact]
    public async Task Export_includes_pending_records_marked_as_such_only_when_asked()
    {
        await SeedExportAsync();

        var all = await ExportAsync(Query(ConfigA, includePending: true));

        Assert.Equal(Nodes(0x10, 0x1F), all.Select(d => d.NodeId));
        Assert.Equal(new uint[] { 0x13, 0x1C }, all.Where(d => d.Status == DeviceStatus.Pending).Select(d => d.NodeId));
        Assert.All(all.Where(d => d.NodeId is not (0x13 or 0x1C)), d => Assert.Equal(DeviceStatus.Confirmed, d.Status));
    }

    [StoreFact]
    public async Task Export_filters_by_batch_ranges()
    {
        await SeedExportAsync();

        // Batches 1000 and 1002-1005 → node % 8 in {0, 2, 3, 4, 5}; 0x13 is pending.
        var nodes = await ExportedNodesAsync(Query(ConfigA, batches: [R(1000), R(1002, 1005)]));

        Assert.Equal(new uint[] { 0x10, 0x12, 0x14, 0x15, 0x18, 0x1A, 0x1B, 0x1D }, nodes);
        // Overlapping ranges do not repeat a device.
        Assert.Equal(new uint[] { 0x16, 0x17, 0x1E, 0x1F }, await ExportedNodesAsync(Query(ConfigA, batches: [R(1007), R(1007), R(1006, 1007)])));
    }

    [StoreFact]
    public async Task Export_filters_by_node_id_ranges()
    {
        await SeedExportAsync();

        Assert.Equal(new uint[] { 0x10, 0x11, 0x12, 0x1E, 0x1F }, await ExportedNodesAsync(Query(ConfigA, nodes: [R(0x1E, 0x40), R(0x00, 0x12)])));
        Assert.Equal(new uint[] { 0x15 }, await ExportedNodesAsync(Query(ConfigA, nodes: [R(0x15)])));
        Assert.Empty(await ExportedNodesAsync(Query(ConfigA, nodes: [R(0x40)])));
    }

    [StoreFact]
    public async Task Export_filters_by_provisioning_time_inclusive_at_both_ends()
    {
        await SeedExportAsync();

        // Node n was provisioned at T0 + n minutes.
        Assert.Equal(new uint[] { 0x14, 0x15, 0x16 }, await ExportedNodesAsync(Query(ConfigA, from: T0.AddMinutes(0x14), to: T0.AddMinutes(0x16))));
        Assert.Equal(new uint[] { 0x1D, 0x1E, 0x1F }, await ExportedNodesAsync(Query(ConfigA, from: T0.AddMinutes(0x1D))));
        Assert.Equal(new uint[] { 0x10, 0x11 }, await ExportedNodesAsync(Query(ConfigA, to: T0.AddMinutes(0x11).AddTicks(9_999))));
        Assert.Equal(new uint[] { 0x12 }, await ExportedNodesAsync(Query(ConfigA, from: T0.AddMinutes(0x11).AddTicks(1), to: T0.AddMinutes(0x12))));
    }

    [StoreFact]
    public async Task Export_combines_every_filter()
    {
        await SeedExportAsync();

        var query = Query(ConfigA, batches: [R(1001, 1004)], nodes: [R(0x10, 0x14), R(0x19, 0x1C)], from: T0.AddMinutes(0x11), to: T0.AddMinutes(0x1B),
            includePending: true);

        // batch 1001-1004 → node % 8 in 1..4: 0x11 0x12 0x13 0x14 0x19 0x1A 0x1B 0x1C; the time window drops 0x1C.
        Assert.Equal(new uint[] { 0x11, 0x12, 0x13, 0x14, 0x19, 0x1A, 0x1B }, await ExportedNodesAsync(query));
        Assert.Equal(new uint[] { 0x11, 0x12, 0x14, 0x19, 0x1A, 0x1B }, await ExportedNodesAsync(query with { IncludePending = false }));
    }

    [StoreFact]
    public async Task Export_carries_each_device_as_recorded_and_only_its_current_key()
    {
        await ProvisionAsync(0x51, ConfigA, batch: 77, minute: 1, key: 1);
        await ProvisionAsync(0x51, ConfigA, batch: 78, minute: 2, key: 2);   // re-provisioned: the old key is history
        await ProvisionAsync(0x52, ConfigA, minute: 3);
        await ProvisionAsync(0x52, ConfigB, minute: 4);                      // moved to another config

        var device = Assert.Single(await ExportAsync(Query(ConfigA)));

        Assert.Equal((0x51u, ConfigA, 78u, T0.AddMinutes(2), DeviceStatus.Confirmed, KeyAlgorithm, KmsFingerprint),
            (device.NodeId, device.ConfigId, device.Batch, device.Timestamp, device.Status, device.KeyAlgorithm, device.KmsKeyFingerprint));
        Assert.Equal(RootKey(2), device.EncryptedRootKey);
        Assert.Equal(Device(ConfigA).Apps, device.Apps);
        Assert.Equal(new uint[] { 0x52 }, await ExportedNodesAsync(Query(ConfigB)));
    }

    [StoreFact]
    public async Task Stations_keep_recording_while_an_export_is_streaming()
    {
        for (uint node = 1; node <= 20; node++)
            await ProvisionAsync(node, ConfigA);

        var seen = 0;
        await foreach (var device in Store.ReadExportAsync(Query(ConfigA)))
        {
            if (seen++ == 0)
            {
                var (record, created) = await Store.RecordDeviceAsync(500, Guid.NewGuid(), Device(ConfigA), T0);
                Assert.True(created);
                Assert.NotNull(await Store.ConfirmDeviceAsync(500, record.RequestId, T0));
            }
        }

        Assert.True(seen >= 20);
        Assert.Equal(21, (await ExportAsync(Query(ConfigA))).Count);
    }

    [StoreFact]
    public async Task An_export_left_half_read_does_not_hold_the_store()
    {
        for (uint node = 1; node <= 5; node++)
            await ProvisionAsync(node, ConfigA);

        for (var i = 0; i < 30; i++)
        {
            await foreach (var _ in Store.ReadExportAsync(Query(ConfigA)))
                break;
        }

        await ProvisionAsync(6, ConfigA);
        Assert.Equal(6, (await ExportAsync(Query(ConfigA))).Count);
    }

    [StoreFact]
    public async Task Export_history_keeps_each_request_and_its_receipt()
    {
        var first = await Store.StartExportAsync(Query(ConfigA, batches: [R(1000), R(1002, 1005)], from: T0, to: T0.AddDays(1)),
            new ExportRequest(ConfigA, "1000,1002-1005", null, T0, T0.AddDays(1), false), "admin token", T0);
        var second = await Store.StartExportAsync(Query(ConfigB, nodes: [R(0x10, 0x1F)], includePending: true),
            new ExportRequest(ConfigB, null, "0x0010-0x001F", null, null, true), null, T0.AddMinutes(5));

        Assert.Equal(new ExportReceipt(first, ConfigA, "1000,1002-1005", null, T0, T0.AddDays(1), false, ExportStatus.Running, 0, 0, null, T0, null,
            "admin token"), await Store.GetExportAsync(first));

        await Store.FinishExportAsync(first, ExportStatus.Complete, 1234, 567_890, new string('e', 64), T0.AddMinutes(1));
        await Store.FinishExportAsync(second, ExportStatus.Failed, 10, 2048, null, T0.AddMinutes(6));

        var receipt = await Store.GetExportAsync(first);
        Assert.Equal((ExportStatus.Complete, 1234L, 567_890L, new string('e', 64), (DateTimeOffset?)T0.AddMinutes(1)),
            (receipt!.Status, receipt.Count, receipt.Size, receipt.Sha256, receipt.Completed));
        var failed = await Store.GetExportAsync(second);
        Assert.Equal((ExportStatus.Failed, "0x0010-0x001F", true, (string?)null), (failed!.Status, failed.NodeId, failed.IncludePending, failed.RequestedBy));

        Assert.Equal([second, first], (await Store.ListExportsAsync(null)).Select(e => e.ExportId));
        Assert.Equal([first], (await Store.ListExportsAsync(ConfigA)).Select(e => e.ExportId));
        Assert.Empty(await Store.ListExportsAsync(0x77));
        Assert.Null(await Store.GetExportAsync(first + second + 100));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Store.FinishExportAsync(first + second + 100, ExportStatus.Complete, 0, 0, null, T0));
    }

    [StoreFact]
    public async Task An_inverted_range_is_refused_rather_than_widening_the_export()
    {
        await ProvisionAsync(1, ConfigA);
        await Assert.ThrowsAsync<ArgumentException>(() => ExportAsync(Query(ConfigA, nodes: [R(9, 2)])));
    }
}
