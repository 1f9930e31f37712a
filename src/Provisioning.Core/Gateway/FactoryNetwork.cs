using System.Text;

namespace Provisioning.Core.Gateway;

/// <summary>
/// Which factory network a configuration file names: the ASCII line <c>network_id=&lt;id&gt;</c> (docs/gateway-protocol.md).
/// Everything else in the file is opaque to the station and to the gateway.
/// </summary>
public static class FactoryNetwork
{
    /// <summary>The line prefix that names the network.</summary>
    public const string LinePrefix = "network_id=";

    /// <summary>Longest network ID, characters.</summary>
    public const int MaxIdLength = 64;

    /// <summary>
    /// The network ID the configuration names: the first line that starts with <c>network_id=</c> (a CR before the LF is
    /// ignored, surrounding blanks are trimmed); null when no line does or the ID is not a valid one.
    /// </summary>
    public static string? NetworkIdOf(ReadOnlySpan<byte> config)
    {
        ReadOnlySpan<byte> prefix = "network_id="u8;
        while (!config.IsEmpty)
        {
            int end = config.IndexOf((byte)'\n');
            var line = end < 0 ? config : config[..end];
            config = end < 0 ? default : config[(end + 1)..];
            if (!line.StartsWith(prefix)) continue;
            var value = line[prefix.Length..];
            if (value.Length > 0 && value[^1] == (byte)'\r') value = value[..^1];
            string id = Encoding.ASCII.GetString(value).Trim();
            return IsValidId(id) ? id : null;
        }
        return null;
    }

    /// <summary>Whether <paramref name="id"/> is a network ID: 1 to 64 of the characters A–Z, a–z, 0–9, '.', '_' and '-'.</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= MaxIdLength } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
