using System.Management.Automation;
using System.Security;
using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Changes a user account: resets its password, disables or enables it, or changes its role.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "ProvUser", SupportsShouldProcess = true, DefaultParameterSetName = ChangeSet)]
[OutputType(typeof(ProvUser))]
public sealed class SetProvUserCommand : ProvServerCmdlet
{
    private const string ChangeSet = "Change", DisableSet = "Disable", EnableSet = "Enable";

    /// <summary>The account's name, e.g. from Get-ProvUser.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>A new password (at least 12 characters); also ends a lock after failed sign-ins.</summary>
    [Parameter]
    public SecureString? Password { get; set; }

    /// <summary>Disables the account: it can no longer sign in.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DisableSet)]
    public SwitchParameter Disabled { get; set; }

    /// <summary>Enables a disabled account (and ends a lock after failed sign-ins).</summary>
    [Parameter(Mandatory = true, ParameterSetName = EnableSet)]
    public SwitchParameter Enabled { get; set; }

    /// <summary>A new role: Admin or Exporter.</summary>
    [Parameter]
    [ValidateSet("Admin", "Exporter")]
    public string? Role { get; set; }

    /// <summary>Writes the changed account.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        bool? disabled = ParameterSetName switch { DisableSet => Disabled.IsPresent, EnableSet => !Enabled.IsPresent, _ => null };
        if (Password is null && disabled is null && Role is null)
        {
            WriteError(Error(new ArgumentException("Say what to change: -Password, -Disabled, -Enabled or -Role."), "NothingToChange", ErrorCategory.InvalidArgument, Name));
            return;
        }
        var what = string.Join(", ", new[]
        {
            Password is null ? null : "reset password",
            disabled switch { true => "disable", false => "enable", null => null },
            Role is null ? null : $"set role {Role.ToLowerInvariant()}",
        }.Where(s => s is not null));
        if (!ShouldProcess($"user '{Name}' on {Connection}", what)) return;

        char[]? secret = Password is null ? null : Reveal(Password);
        try
        {
            var update = new UserUpdate(secret is null ? null : new string(secret), disabled, Role?.ToLowerInvariant());
            if (TryCall((c, ct) => c.UpdateUserAsync(Name, update, ct), Name, out var user) && PassThru)
                WriteObject(new ProvUser(user!));
        }
        finally
        {
            if (secret is not null) Clear(secret);
        }
    }
}
