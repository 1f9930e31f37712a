using System.Management.Automation;
using Provisioning.Core.Gateway.Simulator;

namespace Provisioning.PowerShell;

/// <summary>
/// Lets a simulator's -Gateway be the object Start-ProvGatewaySimulator returned as well as its RadioEndpoint text
/// (<c>host:port</c>), so <c>-Gateway $gw</c> works.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class GatewayEndpointTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc/>
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) =>
        (inputData is PSObject ps ? ps.BaseObject : inputData) switch
        {
            GatewaySimulator gateway => gateway.RadioEndpoint,
            var other => other,
        };
}
