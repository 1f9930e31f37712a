using System.Globalization;

namespace Provisioning.Bench;

/// <summary>CPU seconds (user + system) a Linux process has used so far, from /proc/&lt;pid&gt;/stat; null when unreadable.</summary>
internal static class ProcessCpu
{
    private const double TicksPerSecond = 100; // USER_HZ, 100 on every Linux the bench targets (getconf CLK_TCK)

    public static double? Seconds(int? pid)
    {
        if (pid is null)
            return null;
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name may hold spaces and parentheses; the fields after its closing one are fixed.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
