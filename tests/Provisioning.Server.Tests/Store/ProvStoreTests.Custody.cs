using Provisioning.Core.Api;
using Provisioning.Core.Export;
using Provisioning.Server.Store;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

// Key custody: a node's exportable key changes only when a newer record is confirmed (by the station, or by the key
// check value the node reports at its next contact), so a station stopped at any instant leaves the key the node holds
// exportable.
public abstract partial class ProvStoreTests
{
    private const uint Custody = 0x0C05_7001;

    private async Task<DeviceRecord> RecordPendingAsync(uint node, byte key, int minute, uint batch = 1000) =>
        (await Store.RecordDeviceAsync(node, Guid.NewGuid(), Device(ConfigA, batch, T0.AddMinutes(minute), key), T0.AddMinutes(minute))).Record;

    private async Task<string[]> StatusesAsync(uint node) => (await Store.GetDeviceAsync(node))!.Records.Select(r => r.Status).ToArray();

    private async Task<(string Status, string Key)?> ExportedKeyAsync(uint node, bool includePending)
    {
        var device = (await ExportAsync(Query(ConfigA, nodes: [R(node)], includePending: includePending))).SingleOrDefault();
        return device is null ? null : (device.Status, Convert.ToBase64String(device.EncryptedRootKey));
    }

    private static string Key(byte marker) => Convert.ToBase64String(RootKey(marker));

    [StoreFact]
    public async Task Recording_a_new_key_keeps_the_confirmed_one_current_until_the_new_one_is_confirmed()
    {
        var first = await ProvisionAsync(Custody, ConfigA, minute: 0, key: 1);
        var second = await RecordPendingAsync(Custody, key: 2, minute: 10);

        var history = await Store.GetDeviceAsync(Custody);
        Assert.Equal(first.RequestId, history!.Current!.RequestId);
        Assert.True(history.Unresolved);
        Assert.Equal([DeviceStatus.Pending, DeviceStatus.Confirmed], history.Records.Select(r => r.Status));
        Assert.Null(history.Records[1].ReplacedAt);
        Assert.Equal((DeviceStatus.Confirmed, Key(1)), await ExportedKeyAsync(Custody, includePending: false));
        Assert.Equal((DeviceStatus.Pending, Key(2)), await ExportedKeyAsync(Custody, includePending: true));

        await Store.ConfirmDeviceAsync(Custody, second.RequestId, T0.AddMinutes(11));
        Assert.Equal([DeviceStatus.Confirmed, DeviceStatus.Replaced], await StatusesAsync(Custody));
        Assert.Equal((DeviceStatus.Confirmed, Key(2)), await ExportedKeyAsync(Custody, includePending: false));
        Assert.Equal((DeviceStatus.Confirmed, Key(2)), await ExportedKeyAsync(Custody, includePending: true));
        Assert.False((await Store.GetDeviceAsync(Custody))!.Unresolved);
    }

    [StoreFact]
    public async Task Confirming_abandons_older_pending_records_and_a_late_confirm_of_one_changes_nothing()
    {
        await ProvisionAsync(Custody, ConfigA, minute: 0, key: 1);
        var stopped = await RecordPendingAsync(Custody, key: 2, minute: 5); // a station killed before the key write
        var next = await ProvisionAsync(Custody, ConfigA, minute: 10, key: 3);

        Assert.Equal([DeviceStatus.Confirmed, DeviceStatus.Abandoned, DeviceStatus.Replaced], await StatusesAsync(Custody));
        var late = await Store.ConfirmDeviceAsync(Custody, stopped.RequestId, T0.AddMinutes(20));
        Assert.Equal(DeviceStatus.Abandoned, late!.Status);
        Assert.Equal(next.RequestId, (await Store.GetDeviceAsync(Custody))!.Current!.RequestId);
        Assert.Equal((DeviceStatus.Confirmed, Key(3)), await ExportedKeyAsync(Custody, includePending: true));
    }

    [StoreFact]
    public async Task The_reported_check_value_of_a_pending_key_confirms_it_and_abandons_the_other_pending_ones()
    {
        var first = await ProvisionAsync(Custody, ConfigA, minute: 0, key: 1);
        var written = await RecordPendingAsync(Custody, key: 2, minute: 5);  // killed after the key write
        await RecordPendingAsync(Custody, key: 3, minute: 6);                // killed before the key write

        var resolution = await Store.ResolveDeviceAsync(Custody, Kcv(2).ToLowerInvariant(), T0.AddMinutes(7));

        Assert.Equal((DeviceResolveOutcome.Confirmed, 1, written.RequestId), (resolution.Outcome, resolution.Abandoned, resolution.Current!.RequestId));
        Assert.Contains(written.RequestId.ToString(), resolution.Message);
        Assert.Equal([DeviceStatus.Abandoned, DeviceStatus.Confirmed, DeviceStatus.Replaced], await StatusesAsync(Custody));
        var history = await Store.GetDeviceAsync(Custody);
        Assert.Equal(T0.AddMinutes(7), history!.Current!.ConfirmedAt);
        Assert.Equal(T0.AddMinutes(7), history.Records.Single(r => r.RequestId == first.RequestId).ReplacedAt);
        Assert.Equal((DeviceStatus.Confirmed, Key(2)), await ExportedKeyAsync(Custody, includePending: true));
    }

    [StoreFact]
    public async Task The_reported_check_value_of_the_current_key_abandons_the_pending_ones()
    {
        var first = await ProvisionAsync(Custody, ConfigA, minute: 0, key: 1);
        await RecordPendingAsync(Custody, key: 2, minute: 5);

        var resolution = await Store.ResolveDeviceAsync(Custody, Kcv(1), T0.AddMinutes(7));

        Assert.Equal((DeviceResolveOutcome.Current, 1, first.RequestId), (resolution.Outcome, resolution.Abandoned, resolution.Current!.RequestId));
        Assert.Equal([DeviceStatus.Abandoned, DeviceStatus.Confirmed], await StatusesAsync(Custody));
        Assert.Equal((DeviceStatus.Confirmed, Key(1)), await ExportedKeyAsync(Custody, includePending: true));
    }

    [StoreFact]
    public async Task A_node_without_a_root_key_abandons_its_pending_records_and_keeps_its_current_one()
    {
        await RecordPendingAsync(Custody, key: 1, minute: 0);          // a new node, killed before the key write
        var resolution = await Store.ResolveDeviceAsync(Custody, null, T0.AddMinutes(1));
        Assert.Equal((DeviceResolveOutcome.NoKey, 1, (DeviceRecord?)null), (resolution.Outcome, resolution.Abandoned, resolution.Current));
        Assert.Equal([DeviceStatus.Abandoned], await StatusesAsync(Custody));
        Assert.Null(await ExportedKeyAsync(Custody, includePending: true));

        var current = await ProvisionAsync(Custody, ConfigA, minute: 2, key: 2);
        await RecordPendingAsync(Custody, key: 3, minute: 3);
        resolution = await Store.ResolveDeviceAsync(Custody, null, T0.AddMinutes(4));
        Assert.Equal((DeviceResolveOutcome.NoKey, current.RequestId), (resolution.Outcome, resolution.Current!.RequestId));
        Assert.Equal((DeviceStatus.Confirmed, Key(2)), await ExportedKeyAsync(Custody, includePending: true));
    }

    [StoreFact]
    public async Task A_node_with_nothing_pending_is_answered_as_it_stands_and_nothing_is_written()
    {
        var current = await ProvisionAsync(Custody, ConfigA, minute: 0, key: 1);
        var before = await Store.GetDeviceAsync(Custody);

        var holds = await Store.ResolveDeviceAsync(Custody, Kcv(1), T0.AddMinutes(7));
        Assert.Equal((DeviceResolveOutcome.Current, 0, current.RequestId), (holds.Outcome, holds.Abandoned, holds.Current!.RequestId));
        var other = await Store.ResolveDeviceAsync(Custody, Kcv(2), T0.AddMinutes(8));
        Assert.Equal((DeviceResolveOutcome.NoMatch, current.RequestId), (other.Outcome, other.Current!.RequestId));
        var none = await Store.ResolveDeviceAsync(Custody, null, T0.AddMinutes(9));
        Assert.Equal((DeviceResolveOutcome.NoKey, current.RequestId), (none.Outcome, none.Current!.RequestId));

        Assert.Equal(before!.Records.Select(r => r with { Apps = [] }), (await Store.GetDeviceAsync(Custody))!.Records.Select(r => r with { Apps = [] }));
    }

    [StoreFact]
    public async Task A_check_value_that_matches_no_record_changes_nothing_and_an_unknown_node_is_not_created()
    {
        await ProvisionAsync(Custody, ConfigA, minute: 0, key: 1);
        await RecordPendingAsync(Custody, key: 2, minute: 5);
        var before = await Store.GetDeviceAsync(Custody);

        var resolution = await Store.ResolveDeviceAsync(Custody, "ABCDEF", T0.AddMinutes(7));

        Assert.Equal((DeviceResolveOutcome.NoMatch, 0), (resolution.Outcome, resolution.Abandoned));
        Assert.Contains("ABCDEF", resolution.Message);
        Assert.Equal(before!.Records.Select(r => r with { Apps = [] }), (await Store.GetDeviceAsync(Custody))!.Records.Select(r => r with { Apps = [] }));

        var unknown = await Store.ResolveDeviceAsync(Custody + 1, "ABCDEF", T0);
        Assert.Equal(DeviceResolveOutcome.NotRecorded, unknown.Outcome);
        Assert.Null(await Store.GetDeviceAsync(Custody + 1));
        Assert.DoesNotContain(await Store.ListDevicesAsync(false, null, 100), d => d.NodeId == Custody + 1);
    }

    [StoreFact]
    public async Task An_export_counts_the_nodes_of_its_selection_with_an_unresolved_pending_key()
    {
        await ProvisionAsync(0x31, ConfigA, batch: 7, minute: 0, key: 1);
        await RecordPendingAsync(0x31, key: 2, minute: 1, batch: 7);   // re-provisioned, unresolved
        await RecordPendingAsync(0x32, key: 3, minute: 2, batch: 7);   // new node, unresolved
        await ProvisionAsync(0x33, ConfigA, batch: 7, minute: 3, key: 4);
        await RecordPendingAsync(0x34, key: 5, minute: 4, batch: 8);   // another batch

        async Task<string> Read(bool includePending, UIntRange[]? batches = null)
        {
            var tally = new ExportTally();
            var nodes = new List<uint>();
            await foreach (var device in Store.ReadExportAsync(Query(ConfigA, batches: batches, includePending: includePending), tally))
                nodes.Add(device.NodeId);
            return $"{string.Join(",", nodes.Select(n => $"0x{n:X2}"))}; {tally.UnresolvedNodes} unresolved";
        }

        Assert.Equal("0x31,0x33; 3 unresolved", await Read(false));
        Assert.Equal("0x31,0x32,0x33,0x34; 3 unresolved", await Read(true));
        Assert.Equal("0x31,0x33; 2 unresolved", await Read(false, [R(7)]));
        Assert.Equal("0x34; 1 unresolved", await Read(true, [R(8)]));
    }

    [StoreFact]
    public async Task Devices_are_listed_in_node_order_page_by_page_and_the_unresolved_ones_alone()
    {
        foreach (uint node in new uint[] { 0x45, 0x41, 0x44, 0x42, 0x43 })
            await ProvisionAsync(node, ConfigA, minute: (int)node, key: (byte)node);
        await RecordPendingAsync(0x42, key: 9, minute: 90);
        await RecordPendingAsync(0x46, key: 10, minute: 91);

        var first = await Store.ListDevicesAsync(false, null, 4);
        Assert.Equal(new uint[] { 0x41, 0x42, 0x43, 0x44 }, first.Select(d => d.NodeId));
        Assert.Equal(new uint[] { 0x45, 0x46 }, (await Store.ListDevicesAsync(false, first[^1].NodeId, 4)).Select(d => d.NodeId));
        var unresolved = await Store.ListDevicesAsync(true, null, 100);
        Assert.Equal(new uint[] { 0x42, 0x46 }, unresolved.Select(d => d.NodeId));
        Assert.Equal(2, unresolved[0].Records.Count);
        Assert.Equal(Kcv(0x42), unresolved[0].Current!.Kcv);
        Assert.Null(unresolved[1].Current);
    }

    [StoreFact]
    public async Task Upgrading_repairs_records_the_old_rule_retired_too_early()
    {
        // A database as a server before schema 3 left it: recording a pending key retired the confirmed record at once.
        var spec = await CreateDatabaseAsync();
        foreach (var script in SchemaScripts.For(Store.Engine).Scripts.Where(s => s.Version < 3))
            await ExecuteRawAsync(spec, script.Sql);
        var rows = new List<string>();
        void Row(long id, uint node, string status, long? replacedAt, byte key) => rows.Add(
            $"({id}, X'{id:X32}', {node}, {ConfigA}, 1000, {id * 1000}, '{status}', X'{Convert.ToHexString(RootKey(key))}', '{KeyAlgorithm}', " +
            $"'{KmsFingerprint}', NULL, 'old', {id * 1000}, {(status == "confirmed" ? id * 1000 + 1 : "NULL")}, {replacedAt?.ToString() ?? "NULL"})");
        Row(1, 0x51, "confirmed", 2000, 1); Row(2, 0x51, "pending", null, 2);                               // killed after recording
        Row(3, 0x52, "confirmed", 4000, 3); Row(4, 0x52, "confirmed", null, 4);                             // provisioned twice
        Row(5, 0x53, "pending", 6000, 5); Row(6, 0x53, "confirmed", null, 6);                               // a stopped run, then a good one
        Row(7, 0x54, "pending", null, 7);                                                                   // a new node, never confirmed
        Row(8, 0x55, "confirmed", 9000, 8); Row(9, 0x55, "pending", 10000, 9); Row(10, 0x55, "pending", null, 10); // stopped twice
        await ExecuteRawAsync(spec,
            "INSERT INTO device_records (id, request_id, node_id, config_id, batch, ts, status, encrypted_root_key, key_algorithm, kms_fingerprint, " +
            "apps, station, recorded_at, confirmed_at, replaced_at) VALUES " + string.Join(", ", rows) + ";\n" +
            "INSERT INTO nodes (node_id, current_record_id) VALUES (81, 2), (82, 4), (83, 6), (84, 7), (85, 10)");

        var upgraded = OpenStore(spec);
        await upgraded.MigrateAsync();
        await upgraded.MigrateAsync();

        // Statuses newest first, then the key of the current record.
        async Task<string> Node(uint node)
        {
            var history = (await upgraded.GetDeviceAsync(node))!;
            return string.Join(",", history.Records.Select(r => r.Status)) + "; current key " +
                (history.Current is { } c ? Convert.FromBase64String(c.EncryptedRootKey)[0].ToString() : "none");
        }
        Assert.Equal("pending,confirmed; current key 1", await Node(0x51));
        Assert.Equal("confirmed,replaced; current key 4", await Node(0x52));
        Assert.Equal("confirmed,abandoned; current key 6", await Node(0x53));
        Assert.Equal("pending; current key none", await Node(0x54));
        Assert.Equal("pending,pending,confirmed; current key 8", await Node(0x55));
        Assert.All((await upgraded.GetDeviceAsync(0x55))!.Records, r => Assert.Null(r.ReplacedAt));

        var exported = new List<(uint, string, byte)>();
        await foreach (var d in upgraded.ReadExportAsync(Query(ConfigA)))
            exported.Add((d.NodeId, d.Status, d.EncryptedRootKey[0]));
        Assert.Equal([(0x51u, DeviceStatus.Confirmed, (byte)1), (0x52u, DeviceStatus.Confirmed, (byte)4), (0x53u, DeviceStatus.Confirmed, (byte)6),
            (0x55u, DeviceStatus.Confirmed, (byte)8)], exported);
        Assert.Equal(new uint[] { 0x51, 0x54, 0x55 }, (await upgraded.ListDevicesAsync(true, null, 100)).Select(d => d.NodeId));

        // Records from before have no check value: a node's report cannot match them, so they stay as they are.
        Assert.Equal(DeviceResolveOutcome.NoMatch, (await upgraded.ResolveDeviceAsync(0x51, Kcv(1), T0)).Outcome);
    }
}
