using System.Management.Automation;
using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Export;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Exports device keys for the KMS (device_keys.xml), selected as on the guide's export page: batches, node IDs, dates.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "ProvKey", SupportsShouldProcess = true, DefaultParameterSetName = IdSet)]
[Alias("Export-ProvKeys")]
[OutputType(typeof(ProvKeyExport))]
public sealed class ExportProvKeyCommand : ProvServerCmdlet
{
    private const string IdSet = "ConfigId";
    private const string AliasSet = "ConfigAlias";

    /// <summary>The configuration whose devices are exported, decimal or 0x hex.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [ArgumentCompleter(typeof(ConfigCompleter))]
    [ValidateNotNullOrEmpty]
    public string ConfigId { get; set; } = "";

    /// <summary>A config alias instead of the ID.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = AliasSet)]
    [ArgumentCompleter(typeof(ConfigCompleter))]
    [ValidateNotNullOrEmpty]
    public string ConfigAlias { get; set; } = "";

    /// <summary>Batch numbers: values and ranges separated by commas.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Batch { get; set; }

    /// <summary>Node IDs: values and ranges separated by commas, hex with 0x or decimal.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? NodeId { get; set; }

    /// <summary>Earliest provisioning time included.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public DateTime? From { get; set; }

    /// <summary>Latest provisioning time included; a date at midnight means the end of that day.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public DateTime? To { get; set; }

    /// <summary>Also exports devices whose record is still pending.</summary>
    [Parameter]
    public SwitchParameter IncludePending { get; set; }

    /// <summary>The file to write.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Replaces an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        // Filters are checked here first, so a typo is named before anything is sent.
        try
        {
            RangeList.ParseBatches(Batch);
            RangeList.ParseNodeIds(NodeId);
        }
        catch (FilterFormatException e)
        {
            WriteError(Error(e, "BadFilter", ErrorCategory.InvalidArgument, e.Token));
            return;
        }
        if (!TryTimeRange(From, To, out var from, out var to)) return;

        string path = ResolvePath(Path);
        if (!Force && File.Exists(path))
        {
            // Checked before -WhatIf answers, so that -WhatIf predicts the refusal.
            WriteError(Error(new IOException($"The file '{path}' already exists; use -Force to replace it."), "ExportFileExists", ErrorCategory.ResourceExists, path));
            return;
        }
        if (Directory.Exists(path))
        {
            WriteError(Error(new IOException($"'{path}' is a folder: give the file to write, e.g. {System.IO.Path.Combine(path, "device_keys.xml")}."), "ExportPathIsFolder", ErrorCategory.InvalidArgument, path));
            return;
        }

        ulong configId;
        if (ParameterSetName == AliasSet)
        {
            // The alias is resolved from the server's package overview, which owns the mapping and which exporters may read too
            // (the station view of a config is not theirs).
            if (!TryCall((c, ct) => c.GetPackagesAsync(false, ct), ConfigAlias, out var packages)) return;
            if (packages!.FirstOrDefault(p => p.Aliases.Contains(ConfigAlias, StringComparer.Ordinal)) is not { } package)
            {
                WriteError(Error(new ItemNotFoundException($"No imported package has the config alias '{ConfigAlias}'; check the aliases with Get-ProvPackage."),
                    "AliasNotFound", ErrorCategory.ObjectNotFound, ConfigAlias));
                return;
            }
            configId = package.ConfigId;
        }
        else if (!TryParseConfigId(ConfigId, out configId)) return;

        string filters = Describe(configId, from, to);
        if (!ShouldProcess(path, $"Export device keys ({filters}) from {Connection}")) return;

        var request = new ExportRequest(configId, Blank(Batch), Blank(NodeId), from, to, IncludePending);
        var received = new LatestValue<long>();
        var progress = NewProgress<long>(4, $"Exporting device keys of config {configId}", bytes => ($"Received {bytes:N0} bytes", -1));
        try
        {
            var file = Await(Client.ExportKeysAsync(request, path, Force, received, Cancellation), () =>
            {
                if (received.Take() is { } bytes) progress.Report(bytes);
            });
            var export = new ProvKeyExport(file);
            if (export.Unresolved > 0)
                WriteWarning(ExportWarnings.Unresolved(export.Unresolved, IncludePending));
            WriteObject(export);
            // The file stays (a valid export with no devices), but an empty result is usually a filter that missed.
            if (file.Receipt.Count == 0)
                WriteWarning(ExportWarnings.NothingMatched(filters, path, IncludePending));
        }
        catch (ProvServerException e) { WriteError(ServerError(e, path)); }
        catch (Exception e) when (FileErrorCategory(e, ErrorCategory.WriteError) is { } category) { WriteError(Error(e, "ExportNotWritten", category, path)); }
        finally { progress.Complete(); }
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private string Describe(ulong configId, DateTimeOffset? from, DateTimeOffset? to) =>
        ExportWarnings.Filters(configId, Blank(Batch), Blank(NodeId), from, to, IncludePending);
}
