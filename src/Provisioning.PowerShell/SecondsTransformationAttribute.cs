using System.Globalization;
using System.Management.Automation;

namespace Provisioning.PowerShell;

/// <summary>
/// Lets a wait be given as seconds (<c>5</c>, <c>0.5</c>) as well as a TimeSpan (<c>00:00:05</c>, <c>(New-TimeSpan -Seconds 5)</c>):
/// PowerShell would otherwise read a bare number as ticks.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SecondsTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc/>
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject ps ? ps.BaseObject : inputData;
        switch (value)
        {
            case null or TimeSpan:
                return value;
            case int or long or short or byte or uint or ulong or ushort or double or float or decimal:
                return TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture));
            case string text when double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds):
                return TimeSpan.FromSeconds(seconds);
            case string text when TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var span):
                return span;
            default:
                throw new ArgumentTransformationMetadataException($"'{value}' is not a wait: give seconds (5, 0.5) or a TimeSpan (00:00:05).");
        }
    }
}
