using System.Management.Automation;
using Provisioning.Core.Transport;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Removes a virtual serial pair: stops its socat process, so both ports disappear.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "ProvVirtualSerialPair", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class RemoveProvVirtualSerialPairCommand : ProvCmdlet
{
    /// <summary>The pair from New-ProvVirtualSerialPair.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public VirtualSerialPair[]? InputObject { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (var pair in InputObject!)
            if (ShouldProcess(pair.ToString(), "Remove virtual serial pair")) pair.Dispose();
    }
}
