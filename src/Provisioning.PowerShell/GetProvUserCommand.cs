using System.Management.Automation;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Lists the server's user accounts (never their passwords).</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ProvUser")]
[OutputType(typeof(ProvUser))]
public sealed class GetProvUserCommand : ProvServerCmdlet
{
    /// <summary>Only accounts whose name matches (wildcards allowed).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var users = Call((c, ct) => c.GetUsersAsync(ct), Connection);
        if (Name is null)
        {
            foreach (var user in users) WriteObject(new ProvUser(user));
            return;
        }
        var written = new HashSet<long>();
        foreach (string name in Name)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            bool found = false;
            foreach (var user in users.Where(u => pattern.IsMatch(u.Name)))
            {
                found = true;
                if (written.Add(user.Id)) WriteObject(new ProvUser(user));
            }
            // As Get-Process does: a name without wildcards that matches nothing is an error, a pattern is not.
            if (!found && !WildcardPattern.ContainsWildcardCharacters(name))
                WriteError(Error(new ItemNotFoundException($"There is no user '{name}'; Get-ProvUser without -Name lists them all."),
                    "UserNotFound", ErrorCategory.ObjectNotFound, name));
        }
    }
}
