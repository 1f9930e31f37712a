using System.Collections;
using System.Management.Automation;
using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Export;
using Provisioning.Core.Host;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Saves a device's host provisioning results on the server (the guide's setDutParams): per application its ID, encrypted key and extra information, with the node ID when known; pending until confirmed.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "ProvDeviceRecord", SupportsShouldProcess = true, DefaultParameterSetName = IdSet)]
[OutputType(typeof(ProvHostRecord))]
public sealed class SetProvDeviceRecordCommand : ProvServerCmdlet
{
    private const string IdSet = "ConfigId", ConfigSet = "Config";

    /// <summary>The configuration ID (config_id), decimal or 0x hex; Get-ProvConfig's output binds by its ConfigId.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
    [ArgumentCompleter(typeof(ConfigCompleter))]
    [ValidateNotNullOrEmpty]
    public string ConfigId { get; set; } = "";

    /// <summary>The configuration: Get-ProvConfig's output, with or without -Destination.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ConfigSet)]
    [ValidateNotNull]
    public object Config { get; set; } = null!;

    /// <summary>Batch number (guide §7.2.4): decimal, 0x hex or leading-0 octal.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Batch { get; set; } = "";

    /// <summary>The node's ID (decimal or 0x hex), when the tool knows it; leave it out when it does not (the guide allows None).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [NodeIdTransformation]
    public uint? NodeId { get; set; }

    /// <summary>When the host was provisioned: a DateTime, or seconds since the Unix epoch as the guide's timestamp; default: now.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [UnixTimeTransformation]
    public DateTimeOffset? Timestamp { get; set; }

    /// <summary>Per application: hashtables or objects with Name and any of Id, Key (from Protect-ProvAppKey), Extra, each hex text or bytes.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public object[] App { get; set; } = [];

    /// <summary>Records the data as pending only, before the key reaches the host; confirm it with Confirm-ProvDeviceRecord once the host holds it.</summary>
    [Parameter]
    public SwitchParameter Pending { get; set; }

    /// <summary>Names the tool or station in the record's history; default: the name of the token or certificate.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Station { get; set; }

    /// <summary>The request ID; give the same one to retry a call whose answer was lost (default: a new one).</summary>
    [Parameter]
    public Guid? RequestId { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (!TryConfigId(out ulong configId)) return;
        if (!BatchNumber.TryParse(Batch, out uint batch, out string? batchError))
        {
            WriteError(Error(new ArgumentException(batchError), "InvalidBatch", ErrorCategory.InvalidArgument, Batch));
            return;
        }
        List<DeviceApp> apps;
        try { apps = App.Select(ToApp).ToList(); }
        catch (HostInputException e)
        {
            WriteError(Error(e, e.ErrorId, ErrorCategory.InvalidArgument, null));
            return;
        }
        var request = new HostRecordRequest(configId, batch, Timestamp ?? DateTimeOffset.UtcNow, NodeId, apps, Station);
        string device = NodeId is { } node ? $"node 0x{node:X8}" : $"a device without node ID ({string.Join(", ", apps.Select(a => a.Id is { Length: > 0 } ? $"{a.Name} {a.Id}" : a.Name))})";
        string action = Pending ? "Record as pending" : "Record and confirm";
        if (!ShouldProcess($"{device}, config {configId}, batch {batch}", $"{action} host data for {string.Join(", ", apps.Select(a => a.Name))}"))
            return;
        var id = RequestId ?? Guid.NewGuid();
        if (TryCall((c, ct) => HostProvisioning.SaveAsync(c, id, request, Pending, ct), device, out var stored))
            WriteObject(new ProvHostRecord(stored!));
    }

    private bool TryConfigId(out ulong id)
    {
        id = 0;
        if (ParameterSetName == IdSet)
            return TryParseConfigId(ConfigId, out id);
        switch (Config is PSObject ps ? ps.BaseObject : Config)
        {
            case ConfigInfo info: id = info.ConfigId; return true;
            case HostConfigFiles files: id = files.ConfigId; return true;
            default:
                WriteError(Error(new ArgumentException("-Config takes what Get-ProvConfig returns (with or without -Destination); give -ConfigId for an ID."),
                    "InvalidConfig", ErrorCategory.InvalidArgument, Config));
                return false;
        }
    }

    // A hashtable or an object; names as the cmdlets write them (Name, Id, Key, Extra) or as the guide's lists (AppName, AppId, AppKey, ExtraAppInfo).
    private static DeviceApp ToApp(object entry)
    {
        object value = entry is PSObject ps ? ps.BaseObject : entry;
        object? Get(params string[] names)
        {
            foreach (string name in names)
            {
                if (value is IDictionary map)
                {
                    foreach (DictionaryEntry e in map)
                        if (string.Equals(e.Key?.ToString(), name, StringComparison.OrdinalIgnoreCase))
                            return e.Value is PSObject p ? p.BaseObject : e.Value;
                }
                else if (PSObject.AsPSObject(entry).Properties[name] is { } property)
                    return property.Value is PSObject p ? p.BaseObject : property.Value;
            }
            return null;
        }
        if (value is DeviceApp app)
            return new DeviceApp(app.Name, HostProvisioning.Hex(app.Id, app.Name, "id"), HostProvisioning.Hex(app.Key, app.Name, "key"), HostProvisioning.Hex(app.Extra, app.Name, "extra"));
        if (Get("Name", "AppName") is not string name || name.Length == 0)
            throw new HostInputException("InvalidApp", "Each -App entry needs a Name (the app bundle's name), e.g. @{ Name = 'emcm'; Id = '00A1B2C3'; Key = $encrypted }.");
        if (Get("Key", "AppKey") is System.Security.SecureString)
            throw new HostInputException("PlainAppKey", $"The Key of app '{name}' is a SecureString: encrypt it with Protect-ProvAppKey first; the server stores only encrypted keys.");
        return new DeviceApp(name, HostProvisioning.Hex(Get("Id", "AppId"), name, "id"), HostProvisioning.Hex(Get("Key", "AppKey"), name, "key"),
            HostProvisioning.Hex(Get("Extra", "ExtraInfo", "ExtraAppInfo"), name, "extra"));
    }
}
