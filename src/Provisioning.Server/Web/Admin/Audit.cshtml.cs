using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;
using Provisioning.Core.Api;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Store;

namespace Provisioning.Server.Web.Admin;

/// <summary><c>/provisioning/audit</c>: the audit log with the filters of Get-ProvAuditLog (from, to, action, user), a page at a time.</summary>
public sealed class AuditModel(IProvStore store) : PageModel
{
    /// <summary>Entries per page.</summary>
    public const int PageSize = 100;

    /// <summary>Action names offered as suggestions.</summary>
    public static readonly string[] KnownActions = typeof(AuditActions).GetFields()
        .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).Order().ToArray();

    [BindProperty(SupportsGet = true, Name = "from")] public DateOnly? From { get; set; }
    [BindProperty(SupportsGet = true, Name = "to")] public DateOnly? To { get; set; }
    [BindProperty(SupportsGet = true, Name = "action")] public string? Action { get; set; }
    [BindProperty(SupportsGet = true, Name = "user")] public string? ActorName { get; set; }
    [BindProperty(SupportsGet = true, Name = "before")] public long? Before { get; set; }

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];
    public long? NextBefore { get; private set; }
    public string? Problem { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid)
        {
            Problem = "Dates must be given as year-month-day, e.g. 2026-12-01.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        Entries = await store.ReadAuditAsync(new AuditQuery(
            From is { } from ? new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null,
            To is { } to ? new DateTimeOffset(to.ToDateTime(TimeOnly.MaxValue), TimeSpan.Zero) : null,
            Blank(Action), Blank(ActorName), Before, PageSize), ct);
        NextBefore = Entries.Count == PageSize ? Entries[^1].Id : null;
    }

    /// <summary>The link to the page of entries older than <paramref name="before"/>, keeping the filters.</summary>
    public string PageLink(long before)
    {
        var query = new Dictionary<string, string?> { ["before"] = before.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (From is { } f) query["from"] = f.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        if (To is { } t) query["to"] = t.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        if (Blank(Action) is { } a) query["action"] = a;
        if (Blank(ActorName) is { } u) query["user"] = u;
        return QueryHelpers.AddQueryString(WebPaths.Root + "/audit", query);
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
