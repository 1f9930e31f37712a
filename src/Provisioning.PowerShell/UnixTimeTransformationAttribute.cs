using System.Globalization;
using System.Management.Automation;

namespace Provisioning.PowerShell;

/// <summary>
/// Lets a time be given as the guide's setDutParams timestamp, whole seconds since the Unix epoch (<c>int(time.time())</c>),
/// as well as a DateTime or DateTimeOffset or their text; PowerShell would otherwise refuse a bare number.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class UnixTimeTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc/>
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject ps ? ps.BaseObject : inputData;
        switch (value)
        {
            case null or DateTimeOffset:
                return value;
            case DateTime time:
                return new DateTimeOffset(time);
            case int or long or uint or ulong:
                long seconds = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                if (seconds is >= 0 and <= 253402300799)
                    return DateTimeOffset.FromUnixTimeSeconds(seconds);
                break;
            case string text when long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long s) && s <= 253402300799:
                return DateTimeOffset.FromUnixTimeSeconds(s);
            case string text when DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var parsed):
                return parsed;
        }
        throw new ArgumentTransformationMetadataException(
            $"'{value}' is not a time: give seconds since 1970-01-01 UTC (the guide's int(time.time())), a DateTime, or text such as 2026-11-26T10:00:00Z.");
    }
}
