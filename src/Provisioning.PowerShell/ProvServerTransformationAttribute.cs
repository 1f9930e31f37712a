using System.Management.Automation;
using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>
/// Lets -Server take a handle from Start-ProvServer, a connection from Connect-ProvServer, or an address
/// (a URI or text such as <c>http://127.0.0.1:8085</c>); an address uses the token this session already knows for it.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ProvServerTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc/>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject ps ? ps.BaseObject : inputData;
        return value switch
        {
            ProvServerConnection connection => connection,
            ProvServerHandle handle => handle.Connection,
            Uri uri => FromText(uri.OriginalString),
            string text => FromText(text),
            _ => throw new ArgumentTransformationMetadataException(
                $"-Server takes a server from Start-ProvServer or Connect-ProvServer, or an address such as http://127.0.0.1:8085; '{value}' is neither."),
        };
    }

    private static ProvServerConnection FromText(string text)
    {
        if (!ServerAddress.TryParse(text, out var uri, out var error))
            throw new ArgumentTransformationMetadataException(error);
        return ProvServerSession.ForAddress(uri);
    }
}
