namespace Provisioning.Core.Packaging;

/// <summary>
/// The 64-bit provisioning configuration ID (the guide's <c>provConfigId</c>). Written as unsigned decimal;
/// parsed from decimal or <c>0x</c> hex.
/// </summary>
public readonly record struct ProvConfigId(ulong Value)
{
    /// <summary>Parses decimal or <c>0x</c>/<c>0X</c> hex. Throws <see cref="FormatException"/> naming the value and what is wrong with it.</summary>
    public static ProvConfigId Parse(string text) => throw new NotImplementedException();

    /// <summary>Like <see cref="Parse"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string? text, out ProvConfigId id, out string? error) => throw new NotImplementedException();

    /// <summary>Unsigned decimal.</summary>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary><c>0x</c> and 16 upper-case hex digits.</summary>
    public string ToHexString() => "0x" + Value.ToString("X16", System.Globalization.CultureInfo.InvariantCulture);
}
