namespace Provisioning.Core.Wrappers.Psem;

/// <summary>
/// The two manufacturer tables through which opt_psem tunnels a node's messages and the host's own (docs/wrappers.md,
/// "opt_psem"). Manufacturer table numbers start at 2048; these are manufacturer tables 152 and 153.
/// </summary>
/// <remarks>
/// The node mailbox holds two byte streams, one each way, addressed by their position (modulo 2^24, the reach of a
/// C12.18 offset): the station writes its bytes for the node with Write (offset) at the position they start at, and
/// reads the node's bytes with Read (offset) from the position it has received up to. A request sent again because its
/// answer was lost therefore does nothing twice: the meter passes on only bytes beyond what it already has, and keeps
/// the node's bytes until a read from a later position shows the station has them.
/// </remarks>
public static class PsemMailbox
{
    /// <summary>Table 2200 (manufacturer table 152): the node's byte streams.</summary>
    public const ushort NodeTable = 2200;

    /// <summary>Table 2201 (manufacturer table 153): whole messages for and from the host platform itself.</summary>
    public const ushort HostTable = 2201;

    /// <summary>Stream positions wrap at 2^24, the reach of a 3-byte offset.</summary>
    public const int PositionModulus = 1 << 24;

    /// <summary>The Logon user ID the station sends.</summary>
    public const ushort StationUserId = 0;

    /// <summary>The Logon user name the station sends (padded to 10 bytes with spaces).</summary>
    public const string StationUser = "PROVISION";

    /// <summary><paramref name="position"/> + <paramref name="count"/>, modulo 2^24.</summary>
    public static int Advance(int position, int count) => (position + count) & (PositionModulus - 1);

    /// <summary>How far <paramref name="position"/> is ahead of <paramref name="reference"/> (negative: behind), modulo 2^24.</summary>
    public static int Distance(int reference, int position)
    {
        int d = (position - reference) & (PositionModulus - 1);
        return d >= PositionModulus / 2 ? d - PositionModulus : d;
    }
}
