using System.Globalization;
using System.Management.Automation;

namespace Provisioning.PowerShell;

/// <summary>Lets a node ID be typed as decimal (<c>4660</c>) or hex with 0x (<c>0x1234</c>), as the guide writes them; 32 bits unsigned.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class NodeIdTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc/>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject ps ? ps.BaseObject : inputData;
        // A list (-NodeId 0x10, 0x11) is transformed item by item; a single-ID parameter then refuses it as usual.
        if (value is System.Collections.IList list)
            return list.Cast<object>().Select(item => (uint)Transform(engineIntrinsics, item)).ToArray();
        if (value is uint id) return id;
        if (value is int or long or ulong or ushort or short or byte)
        {
            long number = Convert.ToInt64(value, CultureInfo.InvariantCulture);
            if (number is >= 0 and <= uint.MaxValue) return (uint)number;
        }
        if (value is string text && TryParse(text.Trim(), out uint parsed)) return parsed;
        throw new ArgumentTransformationMetadataException(
            $"'{value}' is not a node ID: write an unsigned 32-bit number in decimal (4660) or hex with 0x (0x1234), at most 0xFFFFFFFF.");
    }

    private static bool TryParse(string text, out uint id) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out id) && text.Length > 2
            : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
}
