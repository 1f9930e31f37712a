using System.Management.Automation;
using Provisioning.Core.Emcm.Simulator;

namespace Provisioning.PowerShell;

/// <summary>Lets the cmdlets that take node simulators take eMCM simulators too: the node simulator behind each eMCM carries the line.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SimulatorTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc/>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject ps ? ps.BaseObject : inputData;
        if (value is EmcmSimulator emcm) return emcm.Node;
        if (value is System.Collections.IList list)
            return list.Cast<object>().Select(item => Transform(engineIntrinsics, item)).ToArray();
        return inputData;
    }
}
