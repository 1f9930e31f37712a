using System.Management.Automation;
using Provisioning.Core.Api;
using Provisioning.Core.Host;
using Provisioning.Core.Station;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Gets a configuration as a station sees it: node firmware and configs, application bundles, KMS public key; with -Destination, every file downloaded and checked, with its local path (the guide's getConfig for host tools).</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ProvConfig", DefaultParameterSetName = IdSet)]
[OutputType(typeof(ConfigInfo), typeof(HostConfigFiles))]
public sealed class GetProvConfigCommand : ProvServerCmdlet
{
    private const string IdSet = "ConfigId";
    private const string AliasSet = "ConfigAlias";

    /// <summary>The configuration ID, decimal or 0x hex.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [ArgumentCompleter(typeof(ConfigCompleter))]
    [ValidateNotNullOrEmpty]
    public string ConfigId { get; set; } = "";

    /// <summary>A config alias.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = AliasSet)]
    [ArgumentCompleter(typeof(ConfigCompleter))]
    [ValidateNotNullOrEmpty]
    public string ConfigAlias { get; set; } = "";

    /// <summary>
    /// Downloads every file of the configuration (node and app bundles) into this folder, checks each against its size, SHA-256
    /// and MD5, and returns their validated paths instead of the description. In shared file system mode the files are checked
    /// on the share and their paths there are returned; nothing is written to the folder.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    /// <summary>The guide's --path_trans_from: the start of the file paths a server in shared file system mode gives (with -Destination).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? PathTranslateFrom { get; set; }

    /// <summary>The guide's --path_trans_to: what -PathTranslateFrom is on this machine.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public string? PathTranslateTo { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        ConfigInfo? config;
        if (ParameterSetName == AliasSet)
        {
            if (!TryCall((c, ct) => c.GetConfigByAliasAsync(ConfigAlias, ct), ConfigAlias, out config)) return;
        }
        else
        {
            if (!TryParseConfigId(ConfigId, out ulong id)) return;
            if (!TryCall((c, ct) => c.GetConfigAsync(id, ct), ConfigId, out config)) return;
        }
        if (Destination is null)
        {
            if (PathTranslateFrom is not null || PathTranslateTo is not null)
                WriteWarning("-PathTranslateFrom and -PathTranslateTo apply to the files -Destination fetches; without -Destination they are not used.");
            WriteObject(config);
            return;
        }
        Download(config!);
    }

    private void Download(ConfigInfo config)
    {
        PathTranslation? translation;
        try { translation = PathTranslation.Of(PathTranslateFrom, PathTranslateTo); }
        catch (StationFailureException e) { WriteError(Error(new ArgumentException(e.Message, e), "InvalidPathTranslation", ErrorCategory.InvalidArgument, PathTranslateFrom)); return; }
        string folder = ResolvePath(Destination!);
        var latest = new LatestValue<(string File, int Index, int Count, long Done, long Total)>();
        var relay = new Relay<HostDownloadProgress>(p => latest.Report((p.File, p.FileIndex, p.FileCount, p.BytesDone, p.BytesTotal)));
        var progress = NewProgress<(string File, int Index, int Count, long Done, long Total)>(6, $"Fetching the files of config {config.ConfigId}",
            p => ($"{p.File} (file {p.Index} of {p.Count}, {p.Done:N0} of {p.Total:N0} bytes)", p.Total == 0 ? 100 : (int)(p.Done * 100 / p.Total)));
        try
        {
            var files = Await(HostConfigDownload.FetchAsync(Client, config, folder, translation, relay, Cancellation), () =>
            {
                if (latest.Take() is { } p) progress.Report(p);
            });
            WriteVerbose(files.Destination is null
                ? $"Config {config.ConfigId}: the server shares its repository; every file was checked where the share holds it, and nothing was written to {folder}."
                : $"Config {config.ConfigId}: every file is in {folder}, checked against its size, SHA-256 and MD5.");
            WriteObject(files);
        }
        catch (StationFailureException e)
        {
            WriteError(Error(e, e.Code == ProvExitCode.FileUnavailable ? "ConfigFileUnavailable" : "ConfigFileMismatch",
                e.Code == ProvExitCode.FileUnavailable ? ErrorCategory.ReadError : ErrorCategory.InvalidData, config.ConfigId));
        }
        catch (Exception e) when (FileErrorCategory(e, ErrorCategory.WriteError) is { } category)
        {
            WriteError(Error(new IOException($"The files of config {config.ConfigId} cannot be written to {folder}: {Provisioning.Core.ExceptionText.Of(e)}", e),
                "DestinationNotWritable", category, folder));
        }
        finally
        {
            progress.Complete();
        }
    }

    /// <summary>Hands reports from Core's threads to a sink that the pipeline thread reads.</summary>
    private sealed class Relay<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
