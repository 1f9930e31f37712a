using Provisioning.Core.Api;
using Provisioning.Server.Store;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

public abstract partial class ProvStoreTests
{
    private const uint Node = 0x0010_00A5;

    [StoreFact]
    public async Task A_device_is_recorded_pending_and_then_confirmed()
    {
        var request = Device(ConfigA, timestamp: T0.AddTicks(12_345)); // sub-millisecond part is not kept
        var requestId = Guid.NewGuid();

        var (record, created) = await Store.RecordDeviceAsync(Node, requestId, request, T0.AddSeconds(1));

        Assert.True(created);
        Assert.Equal(new DeviceRecord(requestId, Node, ConfigA, 1000, T0.AddTicks(10_000), DeviceStatus.Pending, request.EncryptedRootKey,
            KeyAlgorithm, KmsFingerprint, request.Apps!, false, T0.AddSeconds(1), null, null, "line1/COM3", Kcv(1)), record with { Apps = request.Apps! });
        Assert.Equal(request.Apps, record.Apps);

        // Pending is not current: the node has no exportable key until the record is confirmed.
        var history = await Store.GetDeviceAsync(Node);
        Assert.Null(history!.Current);
        Assert.True(history.Unresolved);
        Assert.Equal(request.Apps, Assert.Single(history.Records).Apps);

        var confirmed = await Store.ConfirmDeviceAsync(Node, requestId, T0.AddSeconds(2));
        Assert.Equal((DeviceStatus.Confirmed, (DateTimeOffset?)T0.AddSeconds(2), true), (confirmed!.Status, confirmed.ConfirmedAt, confirmed.IsCurrent));
        history = await Store.GetDeviceAsync(Node);
        Assert.Equal(requestId, history!.Current!.RequestId);
        Assert.False(history.Unresolved);
        // Confirming again changes nothing; the wrong node or an unknown request finds nothing.
        Assert.Equal(T0.AddSeconds(2), (await Store.ConfirmDeviceAsync(Node, requestId, T0.AddMinutes(9)))!.ConfirmedAt);
        Assert.Null(await Store.ConfirmDeviceAsync(Node + 1, requestId, T0));
        Assert.Null(await Store.ConfirmDeviceAsync(Node, Guid.NewGuid(), T0));
        Assert.Null(await Store.GetDeviceAsync(Node + 1));
    }

    [StoreFact]
    public async Task A_retried_call_with_the_same_content_returns_the_stored_record_and_creates_nothing()
    {
        var requestId = Guid.NewGuid();
        var request = Device(ConfigA, apps: []);
        var (first, _) = await Store.RecordDeviceAsync(Node, requestId, request, T0);

        var (again, created) = await Store.RecordDeviceAsync(Node, requestId, request, T0.AddSeconds(30));
        Assert.False(created);
        Assert.Equal(first with { Apps = [] }, again with { Apps = [] });
        Assert.Empty(again.Apps);

        await Store.ConfirmDeviceAsync(Node, requestId, T0.AddSeconds(40));
        var (afterConfirm, createdAfterConfirm) = await Store.RecordDeviceAsync(Node, requestId, request with { Apps = null }, T0.AddMinutes(1));
        Assert.False(createdAfterConfirm);
        Assert.Equal(DeviceStatus.Confirmed, afterConfirm.Status);
        Assert.Single((await Store.GetDeviceAsync(Node))!.Records);
    }

    [StoreFact]
    public async Task A_retried_call_with_different_content_is_a_conflict()
    {
        var requestId = Guid.NewGuid();
        var request = Device(ConfigA);
        await Store.RecordDeviceAsync(Node, requestId, request, T0);

        var changes = new[]
        {
            request with { Batch = 1001 },
            request with { EncryptedRootKey = Convert.ToBase64String(RootKey(2)) },
            request with { Timestamp = T0.AddSeconds(1) },
            request with { Apps = [new DeviceApp("meter", "0a0b0c0d", "c0ffee", "01")] },
            request with { ConfigId = ConfigB },
        };
        foreach (var changed in changes)
        {
            var e = await Assert.ThrowsAsync<RequestConflictException>(() => Store.RecordDeviceAsync(Node, requestId, changed, T0));
            Assert.Equal(requestId, e.RequestId);
        }
        await Assert.ThrowsAsync<RequestConflictException>(() => Store.RecordDeviceAsync(Node + 1, requestId, request, T0));

        var history = await Store.GetDeviceAsync(Node);
        Assert.Equal(request.EncryptedRootKey, Assert.Single(history!.Records).EncryptedRootKey);
        Assert.Null(await Store.GetDeviceAsync(Node + 1));
    }

    [StoreFact]
    public async Task Reprovisioning_a_node_replaces_its_current_key_and_keeps_the_old_one_as_history()
    {
        var first = await ProvisionAsync(Node, ConfigA, minute: 0, key: 1);
        var second = await ProvisionAsync(Node, ConfigA, minute: 10, key: 2);

        var history = await Store.GetDeviceAsync(Node);
        Assert.Equal(second.RequestId, history!.Current!.RequestId);
        Assert.Equal([second.RequestId, first.RequestId], history.Records.Select(r => r.RequestId));
        var old = history.Records[1];
        Assert.False(old.IsCurrent);
        Assert.Equal(DeviceStatus.Replaced, old.Status);
        Assert.Equal(second.ConfirmedAt, old.ReplacedAt); // replaced when the new key was confirmed, not when it was recorded
        Assert.Equal(Convert.ToBase64String(RootKey(1)), old.EncryptedRootKey);
        Assert.True(history.Records[0].IsCurrent);
    }

    [StoreFact]
    public async Task Thirty_two_stations_recording_at_once_all_succeed()
    {
        const int stations = 32, perStation = 8;
        var results = await Task.WhenAll(Enumerable.Range(0, stations).Select(s => Task.Run(async () =>
        {
            var records = new List<DeviceRecord>();
            for (var i = 0; i < perStation; i++)
            {
                var node = (uint)(0x2000_0000 + s * perStation + i);
                var (record, created) = await Store.RecordDeviceAsync(node, Guid.NewGuid(), Device(ConfigA, batch: (uint)s), T0);
                Assert.True(created);
                records.Add((await Store.ConfirmDeviceAsync(node, record.RequestId, T0.AddSeconds(1)))!);
            }
            return records;
        })));

        Assert.All(results.SelectMany(r => r), r => Assert.Equal(DeviceStatus.Confirmed, r.Status));
        Assert.Equal(stations * perStation, (await ExportAsync(Query(ConfigA))).Count);
    }

    [StoreFact]
    public async Task Simultaneous_retries_of_one_request_yield_exactly_one_record()
    {
        var requestId = Guid.NewGuid();
        var request = Device(ConfigA);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => Store.RecordDeviceAsync(Node, requestId, request, T0))));

        Assert.Single(outcomes, o => o.Created);
        Assert.All(outcomes, o => Assert.Equal(requestId, o.Record.RequestId));
        Assert.Single((await Store.GetDeviceAsync(Node))!.Records);
    }

    [StoreFact]
    public async Task Simultaneous_reprovisioning_of_one_node_keeps_every_record_pending_until_one_is_confirmed()
    {
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() =>
            Store.RecordDeviceAsync(Node, Guid.NewGuid(), Device(ConfigA, keyMarker: (byte)i), T0.AddSeconds(i)))));

        var history = await Store.GetDeviceAsync(Node);
        Assert.Equal(10, history!.Records.Count);
        Assert.Null(history.Current);
        Assert.All(history.Records, r => Assert.Equal((DeviceStatus.Pending, (DateTimeOffset?)null), (r.Status, r.ReplacedAt)));
        Assert.Empty(await ExportAsync(Query(ConfigA)));
        // With pending records asked for, the node appears once, with the newest one written.
        var exported = Assert.Single(await ExportAsync(Query(ConfigA, includePending: true)));
        Assert.Equal(history.Records[0].EncryptedRootKey, Convert.ToBase64String(exported.EncryptedRootKey));

        // Confirming one makes it current; the older pending ones are abandoned, the newer ones stay pending.
        var chosen = history.Records[4];
        await Store.ConfirmDeviceAsync(Node, chosen.RequestId, T0.AddMinutes(1));
        history = await Store.GetDeviceAsync(Node);
        Assert.Equal(chosen.RequestId, history!.Current!.RequestId);
        Assert.Equal(Enumerable.Repeat(DeviceStatus.Pending, 4).Append(DeviceStatus.Confirmed).Concat(Enumerable.Repeat(DeviceStatus.Abandoned, 5)),
            history.Records.Select(r => r.Status));
    }

    [StoreFact]
    public async Task A_root_key_that_is_not_base64_is_refused()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.RecordDeviceAsync(Node, Guid.NewGuid(), Device(ConfigA) with { EncryptedRootKey = "not base64!" }, T0));
        Assert.Contains("0x001000A5", e.Message);
        Assert.Null(await Store.GetDeviceAsync(Node));
    }
}
