using System.Globalization;
using Provisioning.Core.Api;
using Provisioning.Server.Auth;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary>
/// <c>GET /api/v1/audit</c> (admin): the audit log, newest first, in pages. The next page is asked for with
/// <c>before</c> = the ID of the last entry received; IDs only grow, so pages neither skip nor repeat entries while new
/// ones are appended.
/// </summary>
public static class AuditEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(ApiRoutes.Audit, async (IProvStore store, string? from, string? to, string? action, string? user, long? before, int? limit,
            CancellationToken ct) =>
        {
            if (!TryTime(from, "from", out var fromTime, out var problem) || !TryTime(to, "to", out var toTime, out problem))
                return problem!;
            if (fromTime > toTime)
                return ApiErrors.BadRequest("BadFilter", $"from ({fromTime:u}) is later than to ({toTime:u}).");
            int size = limit ?? 100;
            if (size is < 1 or > ApiRoutes.MaxAuditPage)
                return ApiErrors.BadRequest("BadLimit", $"limit must be 1 to {ApiRoutes.MaxAuditPage}, not {size}.");
            if (before is <= 0)
                return ApiErrors.BadRequest("BadFilter", $"before must be an entry ID (1 or more), not {before}.");
            var entries = await store.ReadAuditAsync(new AuditQuery(fromTime, toTime, Blank(action), Blank(user), before, size), ct);
            return Results.Json(entries, ApiJson.Options);
        }).RequireAdmin();
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static bool TryTime(string? text, string name, out DateTimeOffset? time, out IResult? problem)
    {
        time = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
            return true;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            time = parsed;
            return true;
        }
        problem = ApiErrors.BadRequest("BadFilter", $"{name} must be a date and time (ISO 8601, e.g. 2026-12-01T08:00:00Z), not '{text}'.");
        return false;
    }
}
