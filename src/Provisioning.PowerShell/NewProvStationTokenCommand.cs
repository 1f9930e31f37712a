using System.Management.Automation;
using System.Security;
using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Makes a station token: it can fetch configurations and files and record devices, nothing else.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "ProvStationToken", SupportsShouldProcess = true)]
[OutputType(typeof(ProvStationToken))]
public sealed class NewProvStationTokenCommand : ProvServerCmdlet
{
    /// <summary>A name saying which station or line uses the token.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"{Connection}", $"Create station token '{Name}'")) return;
        if (!TryCall((c, ct) => c.CreateTokenAsync(Name, TokenRoles.Station, ct), Name, out var created)) return;
        var secret = new SecureString();
        foreach (char ch in created!.Token) secret.AppendChar(ch);
        secret.MakeReadOnly();
        WriteObject(new ProvStationToken(created.Info, secret));
    }
}
