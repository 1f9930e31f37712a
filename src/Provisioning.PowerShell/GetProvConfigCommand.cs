using System.Management.Automation;
using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Gets a configuration as a station sees it: node firmware and configs, application bundles, KMS public key.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ProvConfig", DefaultParameterSetName = IdSet)]
[OutputType(typeof(ConfigInfo))]
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
        WriteObject(config);
    }
}
