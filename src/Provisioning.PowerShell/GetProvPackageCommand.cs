using System.Management.Automation;
using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Lists the packages on the provisioning server: the guide's overview table, current revisions or the whole history.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ProvPackage")]
[OutputType(typeof(PackageSummary))]
public sealed class GetProvPackageCommand : ProvServerCmdlet
{
    /// <summary>Only this configuration (decimal or 0x hex).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConfigCompleter))]
    [ValidateNotNullOrEmpty]
    public string? ConfigId { get; set; }

    /// <summary>Also the revisions that newer imports replaced.</summary>
    [Parameter]
    public SwitchParameter History { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        IReadOnlyList<PackageSummary> rows;
        if (ConfigId is null)
        {
            rows = Call((c, ct) => c.GetPackagesAsync(History, ct), Connection);
        }
        else
        {
            if (!TryParseConfigId(ConfigId, out ulong id)) return;
            if (!TryCall((c, ct) => c.GetPackageRevisionsAsync(id, ct), ConfigId, out var revisions)) return;
            rows = History ? revisions! : revisions!.Where(r => r.IsCurrent).ToArray();
        }
        foreach (var row in rows) WriteObject(History ? AsRevision(row) : row);
    }

    /// <summary>Type name of -History rows: their default view shows Revision and Current, which tell otherwise equal rows apart.</summary>
    internal const string RevisionTypeName = "Provisioning.PackageRevision";

    private static PSObject AsRevision(PackageSummary row)
    {
        var output = PSObject.AsPSObject(row);
        output.TypeNames.Insert(0, RevisionTypeName);
        output.Properties.Add(new PSAliasProperty("Current", nameof(PackageSummary.IsCurrent)));
        return output;
    }
}
