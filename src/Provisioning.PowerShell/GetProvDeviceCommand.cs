using System.Management.Automation;
using Provisioning.Core.Api;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Lists devices on the provisioning server with their current record and history (key check values and states, no keys), e.g. the ones with an unresolved pending key.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ProvDevice", DefaultParameterSetName = DeviceSet)]
[OutputType(typeof(ProvDevice), ParameterSetName = [DeviceSet])]
[OutputType(typeof(ProvHostRecord), ParameterSetName = [HostSet])]
public sealed class GetProvDeviceCommand : ProvServerCmdlet
{
    private const string DeviceSet = "Device", HostSet = "HostRecord";

    /// <summary>Only these nodes (decimal or 0x hex).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [NodeIdTransformation]
    public uint[]? NodeId { get; set; }

    /// <summary>Only nodes with a pending record: the ones a station was stopped on between recording a key and confirming it.</summary>
    [Parameter(ParameterSetName = DeviceSet)]
    public SwitchParameter Unresolved { get; set; }

    /// <summary>Lists host records (Set-ProvDeviceRecord) instead, newest first: all, of -NodeId, or of -ConfigId.</summary>
    [Parameter(Mandatory = true, ParameterSetName = HostSet)]
    public SwitchParameter HostRecord { get; set; }

    /// <summary>With -HostRecord: only the records of this configuration (decimal or 0x hex).</summary>
    [Parameter(ParameterSetName = HostSet)]
    [ArgumentCompleter(typeof(ConfigCompleter))]
    [ValidateNotNullOrEmpty]
    public string? ConfigId { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (HostRecord)
        {
            ListHostRecords();
            return;
        }
        if (NodeId is { Length: > 0 } ids)
        {
            foreach (uint id in ids)
            {
                try
                {
                    var device = new ProvDevice(Await(Client.GetDeviceHistoryAsync(id, Cancellation)));
                    if (!Unresolved || device.Unresolved) WriteObject(device);
                }
                catch (ProvServerException e) { WriteError(ServerError(e, id)); } // e.g. NodeNotFound: one node unknown, the others still listed
            }
            return;
        }
        // Page through in node order, so a large factory streams rather than waits.
        uint? after = null;
        while (true)
        {
            if (!TryCall((c, ct) => c.GetDevicesAsync(Unresolved, after, ApiRoutes.MaxDevicePage, ct), Connection, out var page)) return;
            foreach (var history in page!) WriteObject(new ProvDevice(history));
            if (page.Count < ApiRoutes.MaxDevicePage) return;
            after = page[^1].NodeId;
        }
    }

    private void ListHostRecords()
    {
        ulong? config = null;
        if (ConfigId is not null)
        {
            if (!TryParseConfigId(ConfigId, out ulong id)) return;
            config = id;
        }
        foreach (uint? node in NodeId is { Length: > 0 } ids ? ids.Select(i => (uint?)i) : [null])
        {
            long? before = null;
            while (true)
            {
                if (!TryCall((c, ct) => c.GetHostRecordsAsync(config, node, before, ApiRoutes.MaxDevicePage, ct), node, out var page)) break;
                foreach (var record in page!) WriteObject(new ProvHostRecord(record));
                if (page.Count < ApiRoutes.MaxDevicePage) break;
                before = page[^1].Id;
            }
        }
    }
}
