using System.Globalization;
using Provisioning.Core.Station;

namespace Provisioning.Core.Gateway;

/// <summary>
/// A gateway system version's message set (the guide's "gateway message library"): 2.x by default, 1.x with --csys_1_x.
/// Both share only the greeting line <c>CSYS &lt;major&gt;.&lt;minor&gt; …</c>, which tells a station which set to speak.
/// </summary>
internal abstract class GatewayDialect
{
    public static readonly GatewayDialect V2 = new Csys2();
    public static readonly GatewayDialect V1 = new Csys1();

    public static GatewayDialect For(bool csys1x) => csys1x ? V1 : V2;

    /// <summary>The system's major version (1 or 2).</summary>
    public abstract int Major { get; }

    /// <summary>The version a simulated gateway of this system announces.</summary>
    public abstract string SimulatedVersion { get; }

    /// <summary>How the station names the set in messages and options.</summary>
    public string Name => $"{Major}.x";

    /// <summary>The greeting's version: <c>CSYS 2.4 …</c> gives (2, "2.4"); null when the line is no greeting.</summary>
    public static (int Major, string Version)? ParseGreeting(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2 || words[0] != "CSYS") return null;
        int dot = words[1].IndexOf('.');
        string major = dot < 0 ? words[1] : words[1][..dot];
        return int.TryParse(major, NumberStyles.None, CultureInfo.InvariantCulture, out int m) ? (m, words[1]) : null;
    }

    // ---- the station's side ----

    /// <summary>The request sent right after the greeting, or null when the set has none.</summary>
    public abstract string? Hello { get; }

    /// <summary>The network ID the answer to <see cref="Hello"/> names (null when it names none); throws 133 on an error answer.</summary>
    public abstract string? ParseHello(string answer);

    public abstract string StatusRequest(uint nodeId);

    public abstract GatewayNodeStatus ParseStatus(string answer, uint nodeId);

    public abstract string ClearRequest(uint nodeId);

    public abstract void ParseClear(string answer, uint nodeId);

    public abstract string Quit { get; }

    protected static GatewayException Unexpected(string answer, string request) =>
        new(ProvExitCode.GatewayError, $"The gateway answered '{answer}' to '{request}'.");

    /// <summary>2.x: hex node IDs, three-digit status codes (docs/gateway-protocol.md, "2.x").</summary>
    private sealed class Csys2 : GatewayDialect
    {
        public override int Major => 2;
        public override string SimulatedVersion => "2.4";
        public override string? Hello => "HELLO 2";
        public override string Quit => "QUIT";

        public override string? ParseHello(string answer)
        {
            var words = Words(answer, Hello!);
            if (words.Length < 2 || words[1] != "HELLO") throw Unexpected(answer, Hello!);
            return words.Skip(2).FirstOrDefault(w => w.StartsWith("network=", StringComparison.Ordinal))?["network=".Length..];
        }

        public override string StatusRequest(uint nodeId) => $"STATUS {nodeId:X8}";

        public override GatewayNodeStatus ParseStatus(string answer, uint nodeId)
        {
            string request = StatusRequest(nodeId);
            var words = Words(answer, request);
            if (words.Length < 4 || words[1] != "NODE" || !uint.TryParse(words[2], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint id)
                || id != nodeId)
                throw Unexpected(answer, request);
            if (words[3] == "UNKNOWN" && words.Length == 4) return new GatewayNodeStatus(nodeId, GatewayNodeState.Unknown, null, null);
            if (words[3] == "JOINED" && words.Length == 6
                && DateTimeOffset.TryParseExact(words[4], "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
                return new GatewayNodeStatus(nodeId, GatewayNodeState.Joined, at, words[5]);
            throw Unexpected(answer, request);
        }

        public override string ClearRequest(uint nodeId) => $"CLEAR {nodeId:X8}";

        public override void ParseClear(string answer, uint nodeId)
        {
            var words = Words(answer, ClearRequest(nodeId));
            if (words.Length != 3 || words[1] != "CLEARED" || words[2] != $"{nodeId:X8}") throw Unexpected(answer, ClearRequest(nodeId));
        }

        /// <summary>The answer's words when its code is 2xx; otherwise the gateway's error as 133.</summary>
        private static string[] Words(string answer, string request)
        {
            var words = answer.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length > 0 && words[0].Length == 3 && words[0].All(char.IsAsciiDigit))
            {
                if (words[0][0] == '2') return words;
                throw new GatewayException(ProvExitCode.GatewayError,
                    $"The gateway refused '{request}' with error {words[0]}: {string.Join(' ', words.Skip(1))}.");
            }
            throw Unexpected(answer, request);
        }
    }

    /// <summary>1.x: decimal node IDs, OK/ERR answers (docs/gateway-protocol.md, "1.x").</summary>
    private sealed class Csys1 : GatewayDialect
    {
        public override int Major => 1;
        public override string SimulatedVersion => "1.9";
        public override string? Hello => null;
        public override string Quit => "BYE";
        public override string? ParseHello(string answer) => null;

        public override string StatusRequest(uint nodeId) => $"NODE? {nodeId.ToString(CultureInfo.InvariantCulture)}";

        public override GatewayNodeStatus ParseStatus(string answer, uint nodeId)
        {
            string request = StatusRequest(nodeId);
            var words = Words(answer, request);
            if (words.Length < 3 || words[0] != "NODE" || words[1] != nodeId.ToString(CultureInfo.InvariantCulture)) throw Unexpected(answer, request);
            if (words[2] == "0" && words.Length == 3) return new GatewayNodeStatus(nodeId, GatewayNodeState.Unknown, null, null);
            if (words[2] == "1" && words.Length == 5 && long.TryParse(words[3], NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
                return new GatewayNodeStatus(nodeId, GatewayNodeState.Joined, DateTimeOffset.FromUnixTimeSeconds(seconds), words[4]);
            throw Unexpected(answer, request);
        }

        public override string ClearRequest(uint nodeId) => $"NODECLR {nodeId.ToString(CultureInfo.InvariantCulture)}";

        public override void ParseClear(string answer, uint nodeId)
        {
            var words = Words(answer, ClearRequest(nodeId));
            if (words is not ["OK"]) throw Unexpected(answer, ClearRequest(nodeId));
        }

        private static string[] Words(string answer, string request)
        {
            var words = answer.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length > 0 && words[0] == "ERR")
                throw new GatewayException(ProvExitCode.GatewayError,
                    $"The gateway refused '{request}' with error {string.Join(' ', words.Skip(1))}.");
            return words;
        }
    }
}
