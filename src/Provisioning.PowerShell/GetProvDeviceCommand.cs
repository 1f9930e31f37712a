using System.Management.Automation;
using Provisioning.Core.Api;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Lists devices on the provisioning server with their current record and history (key check values and states, no keys), e.g. the ones with an unresolved pending key.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ProvDevice")]
[OutputType(typeof(ProvDevice))]
public sealed class GetProvDeviceCommand : ProvServerCmdlet
{
    /// <summary>Only these nodes (decimal or 0x hex).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [NodeIdTransformation]
    public uint[]? NodeId { get; set; }

    /// <summary>Only nodes with a pending record: the ones a station was stopped on between recording a key and confirming it.</summary>
    [Parameter]
    public SwitchParameter Unresolved { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
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
}
