using System.Management.Automation;
using System.Security;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Makes an access token: by default a station token, which can fetch configurations and files and record devices, nothing else.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "ProvStationToken", SupportsShouldProcess = true)]
[OutputType(typeof(ProvStationToken))]
public sealed class NewProvStationTokenCommand : ProvServerCmdlet
{
    /// <summary>A name saying which station or line uses the token.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Station (default), Exporter (read packages and devices, export keys; for a KMS script) or Admin.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("Station", "Exporter", "Admin")]
    public string Role { get; set; } = "Station";

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        string role = Role.ToLowerInvariant();
        if (!ShouldProcess($"{Connection}", $"Create {role} token '{Name}'")) return;
        if (!TryCall((c, ct) => c.CreateTokenAsync(Name, role, ct), Name, out var created)) return;
        var secret = new SecureString();
        foreach (char ch in created!.Token) secret.AppendChar(ch);
        secret.MakeReadOnly();
        WriteObject(new ProvStationToken(created.Info, secret));
    }
}
