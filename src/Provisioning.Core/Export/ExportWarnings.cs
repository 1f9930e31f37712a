namespace Provisioning.Core.Export;

/// <summary>
/// What an operator is told about a finished key export, worded once for Export-ProvKey and the web export page.
/// </summary>
public static class ExportWarnings
{
    /// <summary>The selection in words, e.g. "config 69, batch 1000-1002, confirmed only".</summary>
    public static string Filters(ulong configId, string? batch, string? nodeId, DateTimeOffset? from, DateTimeOffset? to, bool includePending)
    {
        var parts = new List<string> { $"config {configId}" };
        if (!string.IsNullOrWhiteSpace(batch)) parts.Add($"batch {batch.Trim()}");
        if (!string.IsNullOrWhiteSpace(nodeId)) parts.Add($"node ID {nodeId.Trim()}");
        if (from is not null) parts.Add($"from {from:yyyy-MM-dd HH:mm:ss zzz}");
        if (to is not null) parts.Add($"to {to:yyyy-MM-dd HH:mm:ss zzz}");
        parts.Add(includePending ? "confirmed and pending" : "confirmed only");
        return string.Join(", ", parts);
    }

    /// <summary>Nodes in the export whose key is not settled: a station stopped between recording and confirming.</summary>
    public static string Unresolved(long nodes, bool includePending) =>
        $"{nodes} node(s) in this export have an unresolved pending key (a station stopped between recording a new key and " +
        "confirming it): " + (includePending
            ? "each may still hold its earlier confirmed key (exported without -IncludePending) instead of the pending one exported here. "
            : "each may hold its pending key (exported only with -IncludePending) instead of the confirmed one exported here, and a node provisioned for the first time is not in this file. ") +
        "Their next contact with a station settles it (provision them again); Get-ProvDevice -Unresolved lists them.";

    /// <summary>An export with no device: the file is valid, but the filter usually missed.</summary>
    public static string NothingMatched(string filters, string file, bool includePending) =>
        $"No device matched ({filters}), so {file} holds no keys. Check the config, batch, node IDs and dates" +
        (includePending ? "." : ", or add -IncludePending to include devices whose keys are not yet confirmed.");
}
