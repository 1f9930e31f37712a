using System.Globalization;
using Provisioning.Core.Packaging;

namespace Provisioning.Server.Endpoints;

/// <summary>Route values: config IDs (decimal or 0x hex, 64-bit) and node IDs (decimal or 0x hex, 32-bit).</summary>
public static class RouteIds
{
    /// <summary>Parses a config ID, or returns the 400 to send.</summary>
    public static bool TryConfigId(string text, out ulong configId, out IResult? error)
    {
        if (ProvConfigId.TryParse(text, out var id, out string? message))
        {
            configId = id.Value;
            error = null;
            return true;
        }
        configId = 0;
        error = ApiErrors.BadRequest("BadConfigId", message ?? $"'{text}' is not a config ID.");
        return false;
    }

    /// <summary>Parses a node ID, or returns the 400 to send.</summary>
    public static bool TryNodeId(string text, out uint nodeId, out IResult? error)
    {
        bool ok = TryParseNodeId(text, out nodeId);
        error = ok ? null : ApiErrors.BadRequest("BadNodeId", NotANodeId(text));
        return ok;
    }

    /// <summary>Parses a node ID: decimal, or hexadecimal after 0x.</summary>
    public static bool TryParseNodeId(string text, out uint nodeId) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out nodeId)
            : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out nodeId);

    /// <summary>What is said about text that is no node ID.</summary>
    public static string NotANodeId(string text) => $"'{text}' is not a node ID: use decimal or 0x hexadecimal, at most 0xFFFFFFFF.";

    /// <summary>404 for a config with no package.</summary>
    public static IResult ConfigNotFound(ulong configId) => ApiErrors.NotFound("ConfigNotFound", ConfigNotFoundMessage(configId));

    /// <summary>What is said about a config with no package.</summary>
    public static string ConfigNotFoundMessage(ulong configId) => $"No package is imported for config ID {configId} (0x{configId:X}); import one with Import-ProvPackage, or check Get-ProvPackage.";
}
