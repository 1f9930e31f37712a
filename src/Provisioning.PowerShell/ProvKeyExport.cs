using Provisioning.Core.Client;

namespace Provisioning.PowerShell;

/// <summary>A key export saved by Export-ProvKey: the server's receipt, checked against the file on disk.</summary>
public sealed class ProvKeyExport
{
    internal ProvKeyExport(KeyExportFile file)
    {
        var r = file.Receipt;
        ExportId = r.ExportId;
        ConfigId = r.ConfigId;
        Count = r.Count;
        Size = r.Size;
        Sha256 = r.Sha256 ?? "";
        Path = file.Path;
        Batch = r.Batch;
        NodeId = r.NodeId;
        From = r.From;
        To = r.To;
        IncludePending = r.IncludePending;
        Started = r.Started;
        Completed = r.Completed;
        RequestedBy = r.RequestedBy;
        Unresolved = r.Unresolved;
    }

    /// <summary>The server's ID for this export (its history).</summary>
    public long ExportId { get; }
    /// <summary>The configuration exported.</summary>
    public ulong ConfigId { get; }
    /// <summary>Number of devices in the file.</summary>
    public long Count { get; }
    /// <summary>File size in bytes.</summary>
    public long Size { get; }
    /// <summary>SHA-256 of the file (the server's, equal to the one computed while saving).</summary>
    public string Sha256 { get; }
    /// <summary>Where the file was saved.</summary>
    public string Path { get; }
    /// <summary>Batch filter, as given.</summary>
    public string? Batch { get; }
    /// <summary>Node ID filter, as given.</summary>
    public string? NodeId { get; }
    /// <summary>Earliest provisioning time included.</summary>
    public DateTimeOffset? From { get; }
    /// <summary>Latest provisioning time included.</summary>
    public DateTimeOffset? To { get; }
    /// <summary>Whether pending records were included.</summary>
    public bool IncludePending { get; }
    /// <summary>When the server started the export.</summary>
    public DateTimeOffset Started { get; }
    /// <summary>When it finished.</summary>
    public DateTimeOffset? Completed { get; }
    /// <summary>The token name that asked for it.</summary>
    public string? RequestedBy { get; }
    /// <summary>
    /// Nodes in the selection with an unresolved pending key: each may hold its pending key rather than the one exported by
    /// default (an IncludePending export holds the pending one). Get-ProvDevice -Unresolved lists them.
    /// </summary>
    public long Unresolved { get; }
}
