using Provisioning.Core.Api;
using Provisioning.Server.Store;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

// The device record layout of schema version 5 (app data in binary) and group commit: what a user sees must not change.
public abstract partial class ProvStoreTests
{
    private const uint Layout = 0x1A70_0001;

    /// <summary>App data of every shape a station may report: hex of both cases, mixed case, odd length, text, empty, absent.</summary>
    private static readonly DeviceApp[] OddApps =
    [
        new("emcm", "0a0b0c0d", new string('e', 512), "00ff"),
        new("zigbee", "00124B0001ABCDEF", "C0FFEE00C0FFEE00C0FFEE00C0FFEE00", null),
        new("mixed", "AbCd", "abc", ""),
        new("text", "line 1, port 7", "ünïcode ✓", "{\"json\":true}"),
        new("bare", null, null, null),
    ];

    [StoreFact]
    public async Task App_data_of_every_shape_reads_back_exactly_from_history_and_export()
    {
        var (record, _) = await Store.RecordDeviceAsync(Layout, Guid.NewGuid(), Device(ConfigA, apps: OddApps), T0);
        await Store.ConfirmDeviceAsync(Layout, record.RequestId, T0.AddSeconds(1));

        Assert.Equal(OddApps, record.Apps);
        Assert.Equal(OddApps, (await Store.GetDeviceAsync(Layout))!.Current!.Apps);
        Assert.Equal(OddApps, (await ExportAsync(Query(ConfigA))).Single().Apps);
        // A repeat of the call with the same apps is the same call, not a conflict.
        var (again, created) = await Store.RecordDeviceAsync(Layout, record.RequestId, Device(ConfigA, apps: OddApps), T0);
        Assert.False(created);
        Assert.Equal(OddApps, again.Apps);
    }

    [StoreFact]
    public async Task Records_kept_in_the_json_form_of_schema_4_are_still_read_exported_and_confirmed()
    {
        var confirmed = await ProvisionAsync(Layout, ConfigA, minute: 0, key: 1);
        var later = T0.AddMinutes(1);
        var (pending, _) = await Store.RecordDeviceAsync(Layout + 1, Guid.NewGuid(), Device(ConfigA, 1000, later, keyMarker: 2), later);
        // As a server before version 5 wrote them: apps as JSON text, no binary column value.
        await ExecuteRawAsync(Spec,
            "UPDATE device_records SET apps = '[{\"name\":\"meter\",\"id\":\"0a0b0c0d\",\"key\":\"c0ffee\"},{\"name\":\"valve\",\"extra\":\"ff\"}]', app_data = NULL");

        var expected = new DeviceApp[] { new("meter", "0a0b0c0d", "c0ffee", null), new("valve", null, null, "ff") };
        Assert.Equal(expected, (await Store.GetDeviceAsync(Layout))!.Current!.Apps);
        Assert.Equal(expected, (await ExportAsync(Query(ConfigA, includePending: true))).First().Apps);
        var now = await Store.ConfirmDeviceAsync(Layout + 1, pending.RequestId, T0.AddMinutes(2));
        Assert.Equal(DeviceStatus.Confirmed, now!.Status);
        Assert.Equal(expected, now.Apps);
        Assert.Equal(confirmed.RequestId, (await Store.GetDeviceAsync(Layout))!.Current!.RequestId);
    }

    [StoreFact]
    public async Task A_conflicting_call_among_many_concurrent_writes_fails_alone()
    {
        var (first, _) = await Store.RecordDeviceAsync(Layout, Guid.NewGuid(), Device(ConfigA, keyMarker: 1), T0);

        // 48 stations at once: their writes share transactions; one of them repeats a request ID with another key.
        var calls = Enumerable.Range(0, 48).Select(i => Task.Run(async () =>
        {
            if (i == 20)
                return await Store.RecordDeviceAsync(Layout, first.RequestId, Device(ConfigA, keyMarker: 9), T0);
            var node = Layout + 100 + (uint)i;
            var (record, created) = await Store.RecordDeviceAsync(node, Guid.NewGuid(), Device(ConfigA, keyMarker: (byte)i), T0);
            return (Record: (await Store.ConfirmDeviceAsync(node, record.RequestId, T0.AddSeconds(1)))!, Created: created);
        })).ToList();
        await Assert.ThrowsAsync<RequestConflictException>(() => calls[20]);

        Assert.All(calls.Where((_, i) => i != 20), c => Assert.Equal(DeviceStatus.Confirmed, c.Result.Record.Status));
        Assert.Equal(47, (await ExportAsync(Query(ConfigA))).Count);
        var kept = (await Store.GetDeviceAsync(Layout))!.Records.Single();
        Assert.Equal((first.RequestId, first.EncryptedRootKey, DeviceStatus.Pending), (kept.RequestId, kept.EncryptedRootKey, kept.Status));
    }

    [StoreFact]
    public async Task A_write_answered_before_the_store_is_closed_is_in_the_database_after_it()
    {
        var store = OpenStore(Spec);
        var writes = Enumerable.Range(0, 40).Select(i => store.RecordDeviceAsync(Layout + (uint)i, Guid.NewGuid(), Device(ConfigA), T0)).ToList();
        await store.DisposeAsync();
        await Task.WhenAll(writes.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));

        // Every call was either answered (and its record is there) or refused because the store was closing; none lost.
        var answered = writes.Where(w => w.IsCompletedSuccessfully).Select(w => w.Result.Record.NodeId).ToHashSet();
        Assert.All(writes.Where(w => !w.IsCompletedSuccessfully), w => Assert.IsType<ObjectDisposedException>(w.Exception!.InnerException));
        var stored = (await ExportAsync(Query(ConfigA, includePending: true))).Select(d => d.NodeId).ToHashSet();
        Assert.Equal(answered, stored);
        Assert.NotEmpty(answered);
    }
}
