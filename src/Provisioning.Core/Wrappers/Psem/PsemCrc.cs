namespace Provisioning.Core.Wrappers.Psem;

/// <summary>
/// The C12.18 packet check: CRC-16/X-25 (polynomial 0x1021 processed bit-reversed as 0x8408, initial value 0xFFFF,
/// final complement), over every byte of a packet from the 0xEE start byte to the last data byte, sent low byte first.
/// </summary>
public static class PsemCrc
{
    private static readonly ushort[] Table = BuildTable();

    /// <summary>The CRC of <paramref name="bytes"/>; <c>EE 00 00 00 00 01 20</c> gives 0x1013 (sent as <c>13 10</c>).</summary>
    public static ushort Compute(ReadOnlySpan<byte> bytes)
    {
        ushort crc = 0xFFFF;
        foreach (byte b in bytes) crc = (ushort)((crc >> 8) ^ Table[(crc ^ b) & 0xFF]);
        return (ushort)~crc;
    }

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            int value = i;
            for (int bit = 0; bit < 8; bit++) value = (value & 1) != 0 ? (value >> 1) ^ 0x8408 : value >> 1;
            table[i] = (ushort)value;
        }
        return table;
    }
}
