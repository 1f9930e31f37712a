using System.Management.Automation;
using System.Security;
using System.Security.Cryptography;
using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Makes a user account for the web pages: an admin, or an exporter who may only read and export keys.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "ProvUser", SupportsShouldProcess = true)]
[OutputType(typeof(ProvUser))]
public sealed class NewProvUserCommand : ProvServerCmdlet
{
    /// <summary>The sign-in name: letters, digits and . _ - @.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Admin or Exporter.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateSet("Admin", "Exporter")]
    public string Role { get; set; } = "";

    /// <summary>The password (at least 12 characters). Without it a strong one is generated and returned once in the Password property.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SecureString? Password { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"{Connection}", $"Create {Role.ToLowerInvariant()} user '{Name}'")) return;
        var generated = Password is null ? GeneratedPassword.Create() : null;
        char[] secret = Reveal(Password ?? generated);
        try
        {
            var request = new UserRequest(Name, Role.ToLowerInvariant(), new string(secret));
            if (!TryCall((c, ct) => c.CreateUserAsync(request, ct), Name, out var user))
            {
                generated?.Dispose();
                return;
            }
            WriteObject(new ProvUser(user!, generated));
        }
        finally
        {
            Clear(secret);
        }
    }
}

/// <summary>Passwords New-ProvUser makes: four groups of five characters a person can read aloud and type (about 99 bits).</summary>
internal static class GeneratedPassword
{
    // No 0/o, 1/l/i: nothing to misread when it is handed over on paper.
    private const string Alphabet = "abcdefghjkmnpqrstuvwxyz23456789";

    public static SecureString Create()
    {
        var password = new SecureString();
        for (int i = 0; i < 23; i++)
            password.AppendChar(i % 6 == 5 ? '-' : Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)]);
        password.MakeReadOnly();
        return password;
    }
}
