using System.Management.Automation;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Confirms host records saved with Set-ProvDeviceRecord -Pending, once the host holds what they say: each becomes its device's current host record, which the key export carries.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Confirm, "ProvDeviceRecord", SupportsShouldProcess = true)]
[OutputType(typeof(ProvHostRecord))]
public sealed class ConfirmProvDeviceRecordCommand : ProvServerCmdlet
{
    /// <summary>The records' request IDs; Set-ProvDeviceRecord's output binds by its RequestId.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public Guid[] RequestId { get; set; } = [];

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (var id in RequestId)
        {
            if (!ShouldProcess($"host record {id}", "Confirm")) continue;
            if (TryCall((c, ct) => c.ConfirmHostAsync(id, ct), id, out var record))
                WriteObject(new ProvHostRecord(record!));
        }
    }
}
