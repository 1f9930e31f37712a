using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Provisioning.Core.Api;

namespace Provisioning.PowerShell;

/// <summary>
/// <para type="synopsis">Reads the server's audit log, newest first: who imported, exported, signed in, changed accounts or tokens, and which key requests were refused.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "ProvAuditLog")]
[OutputType(typeof(AuditEntry))]
public sealed class GetProvAuditLogCommand : ProvServerCmdlet
{
    /// <summary>Entries at or after this time.</summary>
    [Parameter]
    public DateTime? From { get; set; }

    /// <summary>Entries at or before this time; a date alone means the end of that day.</summary>
    [Parameter]
    public DateTime? To { get; set; }

    /// <summary>Only this action (e.g. export, login.failed); a trailing * matches a prefix (login*, user.*).</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(AuditActionCompleter))]
    public string? Action { get; set; }

    /// <summary>Only entries by this user, token or certificate name (for a failed sign-in: the name tried).</summary>
    [Parameter]
    public string? User { get; set; }

    /// <summary>At most this many entries (the newest). Default: all that match.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int First { get; set; } = int.MaxValue;

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (!TryTimeRange(From, To, out var from, out var to)) return;
        // Pages newest first, each after the last ID seen, so entries appended meanwhile neither repeat nor push others out.
        long? before = null;
        int left = First;
        while (left > 0)
        {
            int size = Math.Min(left, ApiRoutes.MaxAuditPage);
            var page = Call((c, ct) => c.GetAuditAsync(from, to, Action, User, before, size, ct), Connection);
            foreach (var entry in page) WriteObject(entry);
            left -= page.Count;
            if (page.Count < size) break;
            before = page[^1].Id;
        }
    }
}

/// <summary>Tab completion for -Action: the actions the server records (docs/security.md). Other values are still accepted.</summary>
public sealed class AuditActionCompleter : IArgumentCompleter
{
    private static readonly string[] Actions =
    [
        "package.import", "package.dryrun", "export", "token.create", "token.revoke", "certificate.issue", "certificate.revoke",
        "user.create", "user.update", "user.remove", "login", "login.failed", "logout", "keys.refused", "server.stop",
    ];

    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        return Actions.Where(a => a.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(a => new CompletionResult(a, a, CompletionResultType.ParameterValue, a));
    }
}
